"""Codex's Responses-only tool kinds, for upstreams of another format.

What Codex CLI 0.169 really sends (captured against a recording server): for a model it does
not know, each MCP server's tools (and its sub-agent tools) come grouped in a ``namespace``
tool; for one it knows (gpt-5.5), MCP tools are deferred behind a client-executed
``tool_search`` tool, the model calls it with a ``tool_search_call`` item, and Codex sends the
tools found back in a ``tool_search_output`` item. Either way a call to an MCP tool must come
back as a ``function_call`` with ``namespace`` and the tool's own name: Codex answers a
joined name with "unsupported call".
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openai.types.responses import Response as SDKResponse

from lynkr import model
from lynkr.model import Request, Response, TextBlock, ToolResultBlock, ToolUseBlock
from lynkr.wire import anthropic, openai_chat
from lynkr.wire.openai_responses import (
    parse_request,
    render_response,
    response_to_history,
)
from lynkr.wire.openai_responses_tools import upstream_tool_name
from tests.wire.offered_tools import tool_names
from tests.wire.responses_frames import streamed

OBJECT = {"type": "object", "properties": {"pattern": {"type": "string"}}}
GREP = {"type": "function", "name": "grep", "description": "Search file contents.",
        "strict": False, "parameters": OBJECT}
LYNKR_MCP = {"type": "namespace", "name": "mcp__lynkr", "description": "Code tools.",
             "tools": [GREP, {**GREP, "name": "find", "description": "Find files."}]}
EXEC = {"type": "function", "name": "exec_command", "description": "Run a command.",
        "strict": False, "parameters": {"type": "object"}}
TOOL_SEARCH = {"type": "tool_search", "execution": "client",
               "description": "Searches over deferred tool metadata.",
               "parameters": {"type": "object", "properties": {
                   "query": {"type": "string"}, "limit": {"type": "number"}},
                   "required": ["query"], "additionalProperties": False}}
SEARCH_CALL = {"type": "tool_search_call", "id": "tsc_1", "call_id": "search_1",
               "status": "completed", "execution": "client",
               "arguments": {"query": "grep", "limit": 8}}
SEARCH_OUTPUT = {"type": "tool_search_output", "id": "tso_1", "call_id": "search_1",
                 "status": "completed", "execution": "client",
                 "tools": [{**LYNKR_MCP, "tools": [{**GREP, "defer_loading": True}]}]}
ASK = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "TODOs?"}]}


def codex(*items: dict[str, Any], tools: list[dict[str, Any]]) -> Request:
    return parse_request({"model": "gpt-5.5", "input": [ASK, *items], "tools": tools,
                          "stream": True, "store": False})


def called(request: Request, name: str, arguments: dict[str, Any]) -> Response:
    return Response(id="x", model="m", content=[ToolUseBlock("call_1", name, arguments)],
                    stop_reason="tool_use")


UPSTREAMS = ["anthropic", "openai_chat", "ollama", "bedrock", "gemini"]


# --- namespace tools ------------------------------------------------------------------------


@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_a_namespaces_functions_are_offered_to_every_other_format_under_joined_names(
        upstream: str) -> None:
    request = codex(tools=[EXEC, LYNKR_MCP, {"type": "local_shell"}])
    assert tool_names(upstream, request) == ["exec_command", "mcp__lynkr__grep", "mcp__lynkr__find"]


def test_a_namespaced_tool_keeps_its_schema_and_description_upstream() -> None:
    body = anthropic.build_request(codex(tools=[LYNKR_MCP]), "m", stream=False,
                                   passthrough_extra=False)
    assert body["tools"][0] == {"name": "mcp__lynkr__grep",
                                "description": "Search file contents.", "input_schema": OBJECT}


def test_a_call_to_a_namespaced_tool_goes_back_with_its_namespace_and_own_name() -> None:
    request = codex(tools=[EXEC, LYNKR_MCP])
    body = render_response(called(request, "mcp__lynkr__grep", {"pattern": "TODO"}),
                           request=request, response_id="resp_1", created_at=1)
    [call] = SDKResponse.model_validate(body).output
    assert (call.type, call.namespace, call.name) == ("function_call", "mcp__lynkr", "grep")
    assert json.loads(call.arguments) == {"pattern": "TODO"}
    assert body["tools"][1] == LYNKR_MCP  # declared back as the client declared it


def test_a_streamed_namespaced_call_streams_its_arguments_and_ends_in_codexs_shape() -> None:
    request = codex(tools=[LYNKR_MCP])
    answer = called(request, "mcp__lynkr__find", {"pattern": "*.py"})
    events = streamed(request, answer, chunk_size=3)
    deltas = "".join(e["delta"] for e in events
                     if e["type"] == "response.function_call_arguments.delta")
    assert json.loads(deltas) == {"pattern": "*.py"}
    [done_args] = [e for e in events if e["type"] == "response.function_call_arguments.done"]
    assert done_args["name"] == "find"
    [added] = [e["item"] for e in events if e["type"] == "response.output_item.added"]
    [done] = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert (added["namespace"], added["name"], added["status"]) == ("mcp__lynkr", "find",
                                                                    "in_progress")
    assert (done["namespace"], done["name"]) == ("mcp__lynkr", "find")
    assert events[-1]["response"]["output"] == [done]


def test_a_namespaced_call_in_the_history_reaches_the_upstream_under_the_joined_name() -> None:
    call = {"type": "function_call", "id": "fc_1", "call_id": "call_g", "name": "grep",
            "namespace": "mcp__lynkr", "arguments": "{\"pattern\":\"TODO\"}"}
    output = {"type": "function_call_output", "call_id": "call_g", "output": "app.py:2 TODO"}
    request = codex(call, output, tools=[LYNKR_MCP])
    body = openai_chat.build_request(request, "m", stream=False, passthrough_extra=False)
    assert body["messages"][-2]["tool_calls"][0]["function"]["name"] == "mcp__lynkr__grep"


def test_a_plain_function_keeps_its_name_and_goes_back_without_a_namespace() -> None:
    request = codex(tools=[EXEC, LYNKR_MCP])
    body = render_response(called(request, "exec_command", {"cmd": "ls"}), request=request,
                           response_id="resp_1", created_at=1)
    assert "namespace" not in body["output"][0] and body["output"][0]["name"] == "exec_command"


def chosen(tools: list[dict[str, Any]], choice: dict[str, Any]) -> str | None:
    request = parse_request({"model": "m", "input": [ASK], "tools": tools, "tool_choice": choice})
    assert request.tool_choice is not None
    return request.tool_choice.name


def test_a_tool_choice_of_a_namespaced_function_names_it_as_offered_upstream() -> None:
    grep = {"type": "function", "name": "grep"}
    assert chosen([EXEC, LYNKR_MCP], grep) == "mcp__lynkr__grep"
    assert chosen([EXEC, LYNKR_MCP], {**grep, "namespace": "mcp__lynkr"}) == "mcp__lynkr__grep"


def test_a_tool_choice_prefers_a_plain_function_of_that_name_and_leaves_twins_alone() -> None:
    other = {**LYNKR_MCP, "name": "mcp__other"}
    assert chosen([GREP, LYNKR_MCP], {"type": "function", "name": "grep"}) == "grep"
    assert chosen([LYNKR_MCP, other], {"type": "function", "name": "grep"}) == "grep"
    assert chosen([LYNKR_MCP, other], {"type": "function", "name": "grep",
                                        "namespace": "mcp__other"}) == "mcp__other__grep"
    assert chosen([EXEC], {"type": "function", "name": "exec_command"}) == "exec_command"


@given(namespace=st.text(min_size=1, max_size=80), name=st.text(min_size=1, max_size=80))
def test_any_namespaced_tool_is_offered_by_a_valid_name_and_called_back_as_itself(
        namespace: str, name: str) -> None:
    request = codex(tools=[{"type": "namespace", "name": namespace, "description": "",
                            "tools": [{**GREP, "name": name}]}])
    [tool] = request.tools_for("openai_chat")
    assert 1 <= len(tool.name) <= 64
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in tool.name)
    assert tool.name == upstream_tool_name(namespace, name)
    body = render_response(called(request, tool.name, {}), request=request,
                           response_id="resp_1", created_at=1)
    assert (body["output"][0]["namespace"], body["output"][0]["name"]) == (namespace, name)


# --- client tool search ---------------------------------------------------------------------


@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_a_client_tool_search_is_offered_as_a_function_before_anything_is_found(
        upstream: str) -> None:
    assert tool_names(upstream, codex(tools=[EXEC, TOOL_SEARCH])) == ["exec_command", "tool_search"]


def test_a_tool_search_call_goes_back_as_a_tool_search_call_item_with_object_arguments(
        ) -> None:
    request = codex(tools=[EXEC, TOOL_SEARCH])
    answer = called(request, "tool_search", {"query": "grep", "limit": 3})
    body = render_response(answer, request=request, response_id="resp_1", created_at=1)
    [call] = SDKResponse.model_validate(body).output
    assert (call.type, call.execution, call.call_id) == ("tool_search_call", "client", "call_1")
    assert call.arguments == {"query": "grep", "limit": 3}
    assert body["tools"][1] == {"type": "tool_search", "execution": "client",
                                "description": TOOL_SEARCH["description"],
                                "parameters": TOOL_SEARCH["parameters"]}


def test_a_streamed_tool_search_call_sends_its_arguments_whole_in_the_done_item() -> None:
    request = codex(tools=[TOOL_SEARCH])
    events = streamed(request, called(request, "tool_search", {"query": "grep"}), chunk_size=3)
    kinds = [e["type"] for e in events]
    assert "response.function_call_arguments.delta" not in kinds
    assert "response.function_call_arguments.done" not in kinds
    [added] = [e["item"] for e in events if e["type"] == "response.output_item.added"]
    [done] = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert (added["type"], added["arguments"], added["status"]) == ("tool_search_call", {},
                                                                    "in_progress")
    assert (done["type"], done["arguments"]) == ("tool_search_call", {"query": "grep"})
    assert events[-1]["response"]["output"] == [done]


def test_tools_a_search_found_are_offered_from_then_on_and_the_model_reads_they_are_loaded(
        ) -> None:
    request = codex(SEARCH_CALL, SEARCH_OUTPUT, tools=[EXEC, TOOL_SEARCH])
    body = openai_chat.build_request(request, "m", stream=False, passthrough_extra=False)
    assert [t["function"]["name"] for t in body["tools"]] == [
        "exec_command", "tool_search", "mcp__lynkr__grep"]
    call, result = body["messages"][-2:]
    assert call["tool_calls"][0]["function"] == {
        "name": "tool_search", "arguments": json.dumps({"query": "grep", "limit": 8},
                                                       separators=(",", ":"))}
    assert (result["tool_call_id"], result["content"]) == (
        "search_1", "[tool mcp__lynkr__grep loaded: it can be called now]")


def test_a_found_tool_is_called_back_in_its_namespace_and_not_declared_in_the_response(
        ) -> None:
    request = codex(SEARCH_CALL, SEARCH_OUTPUT, tools=[TOOL_SEARCH])
    body = render_response(called(request, "mcp__lynkr__grep", {"pattern": "TODO"}),
                           request=request, response_id="resp_1", created_at=1)
    assert (body["output"][0]["namespace"], body["output"][0]["name"]) == ("mcp__lynkr", "grep")
    assert [t["type"] for t in body["tools"]] == ["tool_search"]


def test_a_search_that_found_nothing_tells_the_model_so() -> None:
    request = codex(SEARCH_CALL, {**SEARCH_OUTPUT, "tools": []}, tools=[TOOL_SEARCH])
    result = request.messages[-1].content[0]
    assert isinstance(result, ToolResultBlock)
    assert result.content == [TextBlock("No tools matched the search.")]
    assert [t.name for t in request.tools] == ["tool_search"]


def test_found_tools_stay_offered_on_a_turn_that_continues_by_previous_response_id() -> None:
    first = codex(SEARCH_CALL, SEARCH_OUTPUT, tools=[TOOL_SEARCH])
    answer = Response(id="x", model="m", content=[TextBlock("Searching done.")])
    later = parse_request({"model": "gpt-5.5", "input": "now grep", "tools": [TOOL_SEARCH]},
                          history=response_to_history(first, answer))
    assert [t.name for t in later.tools_for("anthropic")] == ["tool_search", "mcp__lynkr__grep"]


def test_deferred_tools_wait_for_the_client_search_to_hand_them_over() -> None:
    deferred = {**LYNKR_MCP, "tools": [{**GREP, "defer_loading": True}]}
    assert tool_names("openai_chat", codex(tools=[TOOL_SEARCH, deferred])) == ["tool_search"]


def test_with_a_hosted_search_deferred_tools_are_offered_at_once_and_its_items_dropped(
        ) -> None:
    hosted = {"type": "tool_search"}
    deferred = {**EXEC, "defer_loading": True}
    server_call = {**SEARCH_CALL, "execution": "server", "call_id": None}
    server_output = {**SEARCH_OUTPUT, "execution": "server", "call_id": None}
    request = codex(server_call, server_output, tools=[hosted, deferred])
    assert tool_names("anthropic", request) == ["exec_command"]
    assert [m.role for m in request.messages] == ["user"]


# --- custom (free-form) tools ---------------------------------------------------------------

PATCH_GRAMMAR = ('start: begin_patch hunk+ end_patch\nbegin_patch: "*** Begin Patch" LF\n'
                 'end_patch: "*** End Patch" LF?\nhunk: add_hunk\n'
                 'add_hunk: "*** Add File: " filename LF add_line+\n%import common.LF\n')
APPLY_PATCH = {"type": "custom", "name": "apply_patch",
               "description": "The `apply_patch` tool can be used to edit files. This is a "
                              "FREEFORM tool, so do not wrap the patch in JSON.",
               "format": {"type": "grammar", "syntax": "lark", "definition": PATCH_GRAMMAR}}


@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_a_custom_tools_grammar_reaches_every_other_format_in_its_description(
        upstream: str) -> None:
    [tool] = codex(tools=[APPLY_PATCH]).tools_for(upstream)
    assert tool.description.startswith(APPLY_PATCH["description"])
    assert "```lark\n" + PATCH_GRAMMAR.strip() + "\n```" in tool.description
    assert tool.input_schema["required"] == ["input"]
    assert "grammar" in tool.input_schema["properties"]["input"]["description"]


def test_a_regex_format_is_told_as_a_regular_expression() -> None:
    digits = {**APPLY_PATCH, "name": "pin", "description": "",
              "format": {"type": "grammar", "syntax": "regex", "definition": "^[0-9]{4}$"}}
    [tool] = codex(tools=[digits]).tools_for("anthropic")
    assert tool.description == ("The `input` string must match this regular expression "
                                "exactly:\n```regex\n^[0-9]{4}$\n```")


def test_a_free_text_custom_tool_keeps_its_description_as_sent() -> None:
    text = {**APPLY_PATCH, "format": {"type": "text"}}
    [tool] = codex(tools=[text]).tools_for("openai_chat")
    assert tool.description == APPLY_PATCH["description"]
    assert tool.input_schema["properties"]["input"]["type"] == "string"


def test_a_custom_tool_is_declared_back_to_the_client_as_it_sent_it() -> None:
    request = codex(tools=[APPLY_PATCH])
    body = render_response(called(request, "apply_patch", {"input": "*** Begin Patch\n"}),
                           request=request, response_id="resp_1", created_at=1)
    assert body["tools"] == [APPLY_PATCH]
    assert body["output"][0]["type"] == "custom_tool_call"


# --- hosted web search ----------------------------------------------------------------------

WEB_SEARCH = {"type": "web_search", "external_web_access": True,
              "search_content_types": ["text", "image"]}


# An Anthropic upstream gets Claude's web search instead (test_responses_web_search.py).
@pytest.mark.parametrize("upstream", [u for u in UPSTREAMS if u != "anthropic"])
def test_codexs_hosted_web_search_is_not_offered_to_another_format(upstream: str) -> None:
    assert tool_names(upstream, codex(tools=[EXEC, WEB_SEARCH])) == ["exec_command"]


def test_a_dropped_web_search_is_logged_once_per_process(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "_told", set())
    with caplog.at_level(logging.WARNING, logger="lynkr.tools"):
        tool_names("openai_chat", codex(tools=[EXEC, WEB_SEARCH]))
        tool_names("openai_chat", codex(tools=[WEB_SEARCH]))
        tool_names("anthropic", codex(tools=[EXEC, WEB_SEARCH]))
        tool_names("openai_chat", codex(tools=[EXEC]))
    [record] = [r for r in caplog.records if "web_search" in r.getMessage()]
    assert "not offered web search" in record.getMessage()
