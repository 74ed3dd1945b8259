"""Anthropic Messages codec, requests: what Claude Code sends and the bodies lynkr sends
upstream. Answers, whole and streamed, are in test_anthropic_answer_codec.py."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from lynkr.errors import InvalidRequest
from lynkr.model import (
    ImageBlock,
    Message,
    NativeBlock,
    RedactedThinkingBlock,
    Request,
    TextBlock,
    ThinkingBlock,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
)
from lynkr.wire import anthropic as codec

EPHEMERAL = {"type": "ephemeral"}


def claude_code_request() -> dict[str, Any]:
    """Shaped like what Claude Code 2.1 posts to /v1/messages?beta=true (trimmed)."""
    return {
        "model": "claude-sonnet-4-5-20250929",
        "max_tokens": 32000,
        "stream": True,
        "temperature": 1,
        "metadata": {"user_id": "user_abc_account__session_123"},
        "thinking": {"type": "enabled", "budget_tokens": 31999},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "output_config": {"effort": "high"},
        "system": [
            {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.197"},
            {"type": "text", "text": "You are Claude Code, Anthropic's official CLI for Claude.",
             "cache_control": EPHEMERAL},
            {"type": "text", "text": "Here is useful information about the environment...",
             "cache_control": EPHEMERAL},
        ],
        "tools": [
            {"name": "Bash", "description": "Executes a given bash command.",
             "input_schema": {"type": "object", "properties": {
                 "command": {"type": "string"}, "timeout": {"type": "number"}},
                 "required": ["command"], "additionalProperties": False,
                 "$schema": "http://json-schema.org/draft-07/schema#"}},
            {"name": "Read", "description": "Reads a file from the local filesystem.",
             "input_schema": {"type": "object", "properties": {
                 "file_path": {"type": "string"}}, "required": ["file_path"]}},
            {"name": "Edit", "description": "Performs exact string replacements in files.",
             "input_schema": {"type": "object", "properties": {
                 "file_path": {"type": "string"}, "old_string": {"type": "string"},
                 "new_string": {"type": "string"}}}},
            {"name": "mcp__lynkr__graph_query", "description": "Query the code graph.",
             "input_schema": {"type": "object", "properties": {"q": {"type": "string"}}}},
            {"type": "web_search_20250305", "name": "web_search", "max_uses": 5},
        ],
        "messages": [
            {"role": "system", "content": "Session reminder: the user prefers terse answers."},
            {"role": "user", "content": [
                {"type": "text", "text": "<system-reminder>CLAUDE.md contents</system-reminder>"},
                {"type": "text", "text": "Why does test_parse fail?", "cache_control": EPHEMERAL},
            ]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "I should run the test first.",
                 "signature": "EqQBCkYIBxgCKkB..."},
                {"type": "redacted_thinking", "data": "EmwKAhgBEgy..."},
                {"type": "text", "text": "Let me run it."},
                {"type": "tool_use", "id": "toolu_01A", "name": "Bash",
                 "input": {"command": "uv run pytest -k test_parse"}},
                {"type": "tool_use", "id": "toolu_01B", "name": "Read",
                 "input": {"file_path": "/repo/parse.py"}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_01A", "is_error": True,
                 "content": "FAILED test_parse - KeyError: 'x'"},
                {"type": "tool_result", "tool_use_id": "toolu_01B", "content": [
                    {"type": "text", "text": "def parse(d):\n    return d['x']"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                 "data": "iVBORw0KGgo="}},
                ], "cache_control": EPHEMERAL},
                {"type": "text", "text": "Fix it please."},
            ]},
        ],
    }


# --- parse_request --------------------------------------------------------------------------


def test_claude_code_request_is_accepted_whole() -> None:
    request = codec.parse_request(claude_code_request())
    assert request.client_format == "anthropic"
    assert request.model == "claude-sonnet-4-5-20250929"
    assert (request.max_tokens, request.stream, request.temperature) == (32000, True, 1)
    assert request.thinking == {"type": "enabled", "budget_tokens": 31999}
    assert request.metadata == {"user_id": "user_abc_account__session_123"}
    assert set(request.extra) == {"context_management", "output_config"}
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]


def test_a_system_message_inside_messages_joins_the_system_prompt_in_order() -> None:
    system = codec.parse_request(claude_code_request()).system
    assert [b.text for b in system][1:] == [
        "You are Claude Code, Anthropic's official CLI for Claude.",
        "Here is useful information about the environment...",
        "Session reminder: the user prefers terse answers."]
    assert [b.cache_control for b in system] == [None, EPHEMERAL, EPHEMERAL, None]


def test_server_tools_keep_their_raw_definition() -> None:
    tools = codec.parse_request(claude_code_request()).tools
    assert [t.name for t in tools] == ["Bash", "Read", "Edit", "mcp__lynkr__graph_query",
                                       "web_search"]
    assert tools[4].raw == {"type": "web_search_20250305", "name": "web_search", "max_uses": 5}
    assert tools[0].raw is None and tools[0].input_schema["required"] == ["command"]


def test_thinking_tool_use_and_tool_results_survive_parsing() -> None:
    _, assistant, results = codec.parse_request(claude_code_request()).messages
    assert assistant.content == [
        ThinkingBlock("I should run the test first.", "EqQBCkYIBxgCKkB..."),
        RedactedThinkingBlock("EmwKAhgBEgy..."),
        TextBlock("Let me run it."),
        ToolUseBlock("toolu_01A", "Bash", {"command": "uv run pytest -k test_parse"}),
        ToolUseBlock("toolu_01B", "Read", {"file_path": "/repo/parse.py"}),
    ]
    assert results.content == [
        ToolResultBlock("toolu_01A", [TextBlock("FAILED test_parse - KeyError: 'x'")],
                        is_error=True),
        ToolResultBlock("toolu_01B", [TextBlock("def parse(d):\n    return d['x']"),
                                      ImageBlock("image/png", data="iVBORw0KGgo=")],
                        cache_control=EPHEMERAL),
        TextBlock("Fix it please."),
    ]


def test_unknown_block_types_are_kept_whole_and_other_formats_get_their_text() -> None:
    body = {"messages": [
        {"role": "user", "content": [
            {"type": "document", "source": {"type": "text", "media_type": "text/plain",
                                            "data": "doc body"}},
            {"type": "image", "source": {"type": "url", "url": "https://x.test/a.png"}},
            {"type": "image", "source": {"type": "file", "file_id": "file_1"}},
            {"type": "search_result", "text": "found it"},
        ]},
        {"role": "assistant", "content": [
            {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
             "input": {"query": "x"}},
            {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []},
            {"type": "text", "text": "Done."},
        ]},
    ]}
    user, assistant = codec.parse_request(body).messages
    raw = body["messages"][0]["content"]
    assert user.content == [NativeBlock(raw[0]), ImageBlock(url="https://x.test/a.png"),
                            NativeBlock(raw[2]), NativeBlock(raw[3])]
    assert [b.note() for b in user.content if isinstance(b, NativeBlock)] == [
        "doc body", "[image left out: this model cannot read it]", "found it"]
    assert assistant.content == [NativeBlock(raw) for raw in body["messages"][1]["content"][:2]] \
        + [TextBlock("Done.")]


@pytest.mark.parametrize(("choice", "expected"), [
    ({"type": "auto"}, ToolChoice("auto")),
    ({"type": "any", "disable_parallel_tool_use": True}, ToolChoice("any", None, True)),
    ({"type": "tool", "name": "Bash"}, ToolChoice("tool", "Bash")),
    ({"type": "none"}, ToolChoice("none")),
])
def test_tool_choice_forms(choice, expected) -> None:
    assert codec.parse_request({"messages": [], "tool_choice": choice}).tool_choice == expected


@pytest.mark.parametrize(("body", "param"), [
    ("hello", None),
    ({}, "messages"),
    ({"messages": "hi"}, "messages"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].role"),
    ({"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": [{"text": "no type"}]}]},
     "messages[0].content[0]"),
    ({"messages": [{"role": "user", "content": [{"type": "text"}]}]},
     "messages[0].content[0].text"),
    ({"messages": [{"role": "assistant", "content": [
        {"type": "tool_use", "id": "t", "name": "f", "input": "[]"}]}]},
     "messages[0].content[0].input"),
    ({"messages": [{"role": "user", "content": [
        {"type": "tool_result", "content": "x"}]}]}, "messages[0].content[0].tool_use_id"),
    ({"messages": [{"role": "user", "content": [{"type": "image"}]}]},
     "messages[0].content[0].source"),
    ({"messages": [], "max_tokens": "1024"}, "max_tokens"),
    ({"messages": [], "max_tokens": 1.5}, "max_tokens"),
    ({"messages": [], "system": 7}, "system"),
    ({"messages": [], "system": [{"type": "text", "text": None}]}, "system[0].text"),
    ({"messages": [], "tools": [{"description": "nameless"}]}, "tools[0].name"),
    ({"messages": [], "tool_choice": {"type": "maybe"}}, "tool_choice"),
    ({"messages": [], "tool_choice": {"type": "tool"}}, "tool_choice.name"),
    ({"messages": [], "stop_sequences": "END"}, "stop_sequences"),
    ({"messages": [], "thinking": True}, "thinking"),
    ({"messages": [], "temperature": "1"}, "temperature"),
])
def test_invalid_shapes_are_rejected_with_the_offending_param(body, param) -> None:
    with pytest.raises(InvalidRequest) as caught:
        codec.parse_request(body)
    assert caught.value.param == param


# --- build_request --------------------------------------------------------------------------


def test_build_then_parse_gives_back_the_claude_code_request() -> None:
    request = codec.parse_request(claude_code_request())
    body = codec.build_request(request, "claude-opus-4-1", stream=True, passthrough_extra=True)
    again = codec.parse_request(orjson.loads(orjson.dumps(body)))
    assert again.model == "claude-opus-4-1"
    again.model = request.model
    assert again == request
    assert body["context_management"] == claude_code_request()["context_management"]


def test_build_request_defaults_max_tokens_and_leaves_extras_unless_passthrough() -> None:
    request = Request("m", [Message("user", [TextBlock("hi")])], extra={"top_k": 5})
    body = codec.build_request(request, "claude-haiku", stream=False, passthrough_extra=False)
    assert body == {"model": "claude-haiku", "max_tokens": codec.DEFAULT_MAX_TOKENS,
                    "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                    "stream": False}
    passthrough = codec.build_request(request, "m", stream=False, passthrough_extra=True)
    assert passthrough["top_k"] == 5


def test_build_request_drops_unsigned_thinking_from_other_providers() -> None:
    request = Request("m", [Message("assistant", [ThinkingBlock("from deepseek"),
                                                  ThinkingBlock("signed", "sig"),
                                                  TextBlock("ok")])])
    content = codec.build_request(request, "m", stream=False,
                                  passthrough_extra=False)["messages"][0]["content"]
    assert content == [{"type": "thinking", "thinking": "signed", "signature": "sig"},
                       {"type": "text", "text": "ok"}]


def test_a_turn_of_only_another_providers_thinking_is_left_out_not_sent_empty() -> None:
    request = Request("m", [Message("user", [TextBlock("hi")]),
                            Message("assistant", [ThinkingBlock("from deepseek")]),
                            Message("user", [TextBlock("go on")])])
    messages = codec.build_request(request, "m", stream=False, passthrough_extra=False)["messages"]
    assert [m["role"] for m in messages] == ["user", "user"]  # the API combines the two


def test_build_request_sends_server_tools_raw_and_the_tool_choice() -> None:
    request = codec.parse_request({**claude_code_request(),
                                   "tool_choice": {"type": "any",
                                                   "disable_parallel_tool_use": True}})
    body = codec.build_request(request, "m", stream=True, passthrough_extra=False)
    assert body["tools"][4] == {"type": "web_search_20250305", "name": "web_search",
                                "max_uses": 5}
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["metadata"] == {"user_id": "user_abc_account__session_123"}
