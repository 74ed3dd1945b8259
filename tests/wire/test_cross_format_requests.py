"""What an upstream of another wire format receives: only what its API accepts.

Codex sends Responses-only tools (a free-form ``custom`` apply_patch, built-ins such as
``web_search``) and a reasoning effort with no output limit; an Anthropic client may send
Anthropic server tools. Each upstream must get a body its real API takes, and structured
output asked for in one format must reach an upstream of another.
"""

from __future__ import annotations

from typing import Any

import pytest

from lynkr.errors import InvalidRequest
from lynkr.wire import anthropic, bedrock, gemini, ollama, openai_chat, openai_responses
from tests.wire.offered_tools import tool_names

APPLY_PATCH = {"type": "custom", "name": "apply_patch", "description": "Edit files.",
               "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}}
SHELL = {"type": "function", "name": "shell", "description": "Run a command.",
         "parameters": {"type": "object", "properties": {"command": {"type": "string"}}}}


def codex_request(**fields: Any) -> Any:
    return openai_responses.parse_request({
        "model": "gpt-5-codex", "input": "fix the bug in a.py",
        # A cache-only web search has no form on any upstream (a live one runs on Claude's).
        "tools": [SHELL, APPLY_PATCH, {"type": "web_search", "external_web_access": False},
                  {"type": "local_shell"}],
        **fields})


UPSTREAMS = ["anthropic", "openai_chat", "ollama", "bedrock", "gemini"]


@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_codex_free_form_tool_is_offered_elsewhere_as_a_function_and_built_ins_are_left_out(
        upstream: str) -> None:
    assert tool_names(upstream, codex_request()) == ["shell", "apply_patch"]


def test_the_free_form_tool_takes_its_text_as_one_input_string() -> None:
    body = anthropic.build_request(codex_request(), "m", stream=False, passthrough_extra=False)
    patch = next(t for t in body["tools"] if t["name"] == "apply_patch")
    assert set(patch) == {"name", "description", "input_schema"}
    assert patch["input_schema"]["properties"]["input"]["type"] == "string"
    assert patch["input_schema"]["required"] == ["input"]


def test_anthropic_server_tools_go_as_sent_to_anthropic_and_are_left_out_elsewhere() -> None:
    search = {"type": "web_search_20250305", "name": "web_search", "max_uses": 3}
    request = anthropic.parse_request({
        "model": "claude", "max_tokens": 100, "messages": [{"role": "user", "content": "hi"}],
        "tools": [search, {"name": "Read", "input_schema": {"type": "object"}}]})
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=True)
    assert body["tools"][0] == search
    assert tool_names("openai_chat", request) == ["Read"]


def test_a_request_left_with_no_tools_sends_no_tool_choice() -> None:
    request = codex_request(tools=[{"type": "local_shell"}], tool_choice="required")
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=False)
    assert "tools" not in body and "tool_choice" not in body


@pytest.mark.parametrize("effort", ["minimal", "low", "medium", "high", "xhigh"])
def test_reasoning_effort_without_an_output_limit_leaves_room_for_the_answer(effort: str) -> None:
    body = anthropic.build_request(codex_request(reasoning={"effort": effort}), "m",
                                   stream=False, passthrough_extra=False)
    budget = body["thinking"]["budget_tokens"]
    assert 1024 <= budget < body["max_tokens"] <= 32_000
    assert body["max_tokens"] - budget >= anthropic.ANSWER_ROOM


def test_a_budget_larger_than_the_clients_limit_shrinks_to_fit_it() -> None:
    request = codex_request(reasoning={"effort": "high"}, max_output_tokens=5000)
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=False)
    assert body["max_tokens"] == 5000
    assert body["thinking"]["budget_tokens"] == 4999


def test_thinking_is_left_out_when_the_clients_limit_leaves_no_room_for_it() -> None:
    request = codex_request(reasoning={"effort": "high"}, max_output_tokens=800)
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=False)
    assert body["max_tokens"] == 800 and "thinking" not in body


def test_an_anthropic_clients_own_limits_go_as_sent() -> None:
    thinking = {"type": "enabled", "budget_tokens": 8000}
    request = anthropic.parse_request({
        "model": "claude", "max_tokens": 4000, "thinking": thinking,
        "messages": [{"role": "user", "content": "hi"}]})
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=True)
    assert (body["max_tokens"], body["thinking"]) == (4000, thinking)


def test_bedrock_claude_gets_the_same_room_for_the_answer() -> None:
    body = bedrock.build_request(codex_request(reasoning={"effort": "medium"}),
                                 "anthropic.claude-sonnet-4")
    budget = body["additionalModelRequestFields"]["thinking"]["budget_tokens"]
    assert budget < body["inferenceConfig"]["maxTokens"]


# --- structured output ----------------------------------------------------------------------

SCHEMA = {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}


def chat_request(response_format: dict[str, Any]) -> Any:
    return openai_chat.parse_request({"model": "m", "response_format": response_format,
                                      "messages": [{"role": "user", "content": "give a"}]})


def test_a_chat_json_schema_becomes_ollamas_format() -> None:
    request = chat_request({"type": "json_schema",
                            "json_schema": {"name": "o", "strict": True, "schema": SCHEMA}})
    assert ollama.build_request(request, "m", stream=False, keep_alive=None)["format"] == SCHEMA
    assert ollama.build_request(chat_request({"type": "json_object"}), "m", stream=False,
                                keep_alive=None)["format"] == "json"


def test_codex_text_format_becomes_a_chat_response_format() -> None:
    request = codex_request(text={"format": {"type": "json_schema", "name": "o",
                                             "schema": SCHEMA, "strict": True}})
    body = openai_chat.build_request(request, "m", stream=False, passthrough_extra=False)
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "o", "schema": SCHEMA, "strict": True}}


@pytest.mark.parametrize("upstream", ["anthropic", "bedrock", "gemini"])
def test_upstreams_without_a_json_switch_get_the_schema_as_a_system_instruction(
        upstream: str) -> None:
    request = chat_request({"type": "json_schema", "json_schema": {"name": "o",
                                                                   "schema": SCHEMA}})
    if upstream == "anthropic":
        system = anthropic.build_request(request, "m", stream=False,
                                         passthrough_extra=False)["system"][-1]["text"]
    elif upstream == "bedrock":
        system = bedrock.build_request(request, "anthropic.claude")["system"][-1]["text"]
    else:
        system = gemini.build_request(request)["systemInstruction"]["parts"][0]["text"]
    assert "single JSON object" in system and '"required":["a"]' in system


def test_a_plain_request_asks_for_no_structured_output() -> None:
    request = chat_request({"type": "text"})
    assert "format" not in ollama.build_request(request, "m", stream=False, keep_alive=None)
    assert "system" not in anthropic.build_request(request, "m", stream=False,
                                                   passthrough_extra=False)


# --- chat request fields --------------------------------------------------------------------


def test_a_chat_reasoning_effort_becomes_a_thinking_budget_elsewhere() -> None:
    request = openai_chat.parse_request({"model": "m", "reasoning_effort": "high",
                                         "messages": [{"role": "user", "content": "why?"}]})
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=False)
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 24576}
    same_format = openai_chat.build_request(request, "m", stream=False, passthrough_extra=True)
    assert same_format["reasoning_effort"] == "high"


def test_more_than_one_choice_is_refused_rather_than_billed_and_dropped() -> None:
    with pytest.raises(InvalidRequest, match="n: only 1"):
        openai_chat.parse_request({"model": "m", "n": 2,
                                   "messages": [{"role": "user", "content": "hi"}]})
    openai_chat.parse_request({"model": "m", "n": 1,
                               "messages": [{"role": "user", "content": "hi"}]})
