"""Anthropic Messages codec: Claude Code's requests, upstream bodies, responses and streams."""

from __future__ import annotations

import copy
from typing import Any

import anthropic
import httpx2
import orjson
import pytest

from lynkr.errors import InvalidRequest, UpstreamError
from lynkr.model import (
    BlockStart,
    BlockStop,
    ImageBlock,
    Message,
    MessageDelta,
    MessageStart,
    MessageStop,
    NativeBlock,
    RedactedThinkingBlock,
    Request,
    Response,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ToolArgsDelta,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)
from lynkr.streams import ResponseBuilder, replay
from lynkr.wire import anthropic as codec
from lynkr.wire.sse import SSEParser

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


def test_unknown_block_types_keep_their_text_or_are_kept_whole() -> None:
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
    assert user.content == [TextBlock("doc body"), ImageBlock(url="https://x.test/a.png"),
                            NativeBlock(body["messages"][0]["content"][2]),
                            TextBlock("found it")]
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
    assert body == {"model": "claude-haiku", "max_tokens": 4096,
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


def test_build_request_sends_server_tools_raw_and_the_tool_choice() -> None:
    request = codec.parse_request({**claude_code_request(),
                                   "tool_choice": {"type": "any",
                                                   "disable_parallel_tool_use": True}})
    body = codec.build_request(request, "m", stream=True, passthrough_extra=False)
    assert body["tools"][4] == {"type": "web_search_20250305", "name": "web_search",
                                "max_uses": 5}
    assert body["tool_choice"] == {"type": "any", "disable_parallel_tool_use": True}
    assert body["metadata"] == {"user_id": "user_abc_account__session_123"}


# --- responses ------------------------------------------------------------------------------


def _answer() -> Response:
    return Response(
        id="msg_01X", model="claude-sonnet-4-5", stop_reason="tool_use",
        content=[ThinkingBlock("Need the file.", "sig=="), TextBlock("Reading it."),
                 ToolUseBlock("toolu_1", "Read", {"file_path": "/a.py"})],
        usage=Usage(input_tokens=12, output_tokens=40, cache_read_input_tokens=9000,
                    cache_creation_input_tokens=300))


def test_render_response_is_a_message_the_sdk_accepts() -> None:
    body = codec.render_response(_answer())
    message = anthropic.types.Message.model_validate(body)
    assert message.stop_reason == "tool_use"
    assert message.usage.cache_read_input_tokens == 9000
    assert [b.type for b in message.content] == ["thinking", "text", "tool_use"]


def test_parse_response_inverts_render_response() -> None:
    assert codec.parse_response(codec.render_response(_answer())) == _answer()


def test_parse_response_skips_server_tool_blocks_and_raises_on_errors() -> None:
    body = codec.render_response(_answer())
    body["content"].insert(0, {"type": "server_tool_use", "id": "s", "name": "web_search",
                               "input": {}})
    assert codec.parse_response(body).content == _answer().content
    with pytest.raises(UpstreamError, match="Overloaded") as caught:
        codec.parse_response({"type": "error",
                              "error": {"type": "overloaded_error", "message": "Overloaded"}})
    assert caught.value.kind == "overloaded_error"


# --- streaming ------------------------------------------------------------------------------


def _sse_bytes(response: Response, chunk_size: int = 4) -> bytes:
    encoder = codec.StreamEncoder()
    return encoder.ping() + b"".join(encoder.encode(e) for e in replay(response,
                                                                      chunk_size=chunk_size))


def _sdk_message(stream: bytes) -> Any:
    """What the official SDK makes of our SSE bytes."""
    transport = httpx2.MockTransport(lambda request: httpx2.Response(
        200, content=stream, headers={"content-type": "text/event-stream"}))
    client = anthropic.Anthropic(api_key="k", base_url="http://lynkr.test",
                                 http_client=httpx2.Client(transport=transport))
    with client.messages.stream(model="m", max_tokens=10,
                                messages=[{"role": "user", "content": "hi"}]) as events:
        return events.get_final_message()


def test_the_official_sdk_accumulates_our_stream_into_the_same_message() -> None:
    message = _sdk_message(_sse_bytes(_answer()))
    assert codec.parse_response(message.model_dump()) == _answer()


@pytest.mark.parametrize(("fragments", "expected"), [
    (['{"path"', ': "a.py"}'], {"path": "a.py"}),
    (['{"x": 1', ',,}'], {"_raw": '{"x": 1,,}'}),  # a small local model's broken JSON
    (["[1, ", "2]"], {"_value": [1, 2]}),
    ([], {}),
])
def test_tool_arguments_reach_the_sdk_as_one_checked_object(fragments: list[str],
                                                            expected: dict) -> None:
    events = [MessageStart("msg_1", "m"), BlockStart(0, ToolUseBlock("t1", "Read", {})),
              *(ToolArgsDelta(0, f) for f in fragments), BlockStop(0),
              MessageDelta("tool_use", Usage()), MessageStop()]
    encoder = codec.StreamEncoder()
    stream = b"".join(encoder.encode(e) for e in events)
    assert stream.count(b"input_json_delta") == (1 if fragments else 0)
    assert _sdk_message(stream).content[0].input == expected


def test_text_deltas_are_exact_anthropic_frames() -> None:
    encoder = codec.StreamEncoder()
    encoder.encode(BlockStart(0, TextBlock("")))
    assert encoder.encode(TextDelta(0, 'say "hi"\n')) == (
        b"event: content_block_delta\n"
        b'data: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"text_delta","text":"say \\"hi\\"\\n"}}\n\n')


def test_encode_error_is_an_error_event() -> None:
    frame = codec.StreamEncoder().encode_error(UpstreamError("gone", kind="overloaded_error"))
    assert frame.startswith(b"event: error\ndata: ")
    assert orjson.loads(frame.split(b"data: ")[1]) == {
        "type": "error", "error": {"type": "overloaded_error", "message": "gone"}}


def _decode(stream: bytes) -> list[Any]:
    parser, decoder = SSEParser(), codec.StreamDecoder()
    events = [e for name, data in parser.feed(stream) + parser.flush()
              for e in decoder.feed(name, orjson.loads(data))]
    return events + decoder.finish()


def test_the_decoder_skips_server_tool_blocks_and_renumbers_the_rest() -> None:
    encoder = codec.StreamEncoder()
    frames = [encoder.encode(e) for e in replay(_answer())]
    server_block = (
        b'event: content_block_start\ndata: {"type":"content_block_start","index":0,'
        b'"content_block":{"type":"server_tool_use","id":"s","name":"web_search","input":{}}}'
        b'\n\nevent: content_block_delta\ndata: {"type":"content_block_delta","index":0,'
        b'"delta":{"type":"input_json_delta","partial_json":"{}"}}\n\n'
        b'event: content_block_stop\ndata: {"type":"content_block_stop","index":0}\n\n')
    shifted = [f.replace(b'"index":', b'"index":1').replace(b'"index":10', b'"index":1')
               if b"content_block" in f else f for f in frames]
    shifted = [f.replace(b'"index":11', b'"index":2').replace(b'"index":12', b'"index":3')
               for f in shifted]
    builder = ResponseBuilder()
    for event in _decode(frames[0] + server_block + b"".join(shifted[1:])):
        builder.add(event)
    assert builder.build() == _answer()


def test_an_error_event_raises_a_retryable_upstream_error() -> None:
    with pytest.raises(UpstreamError) as caught:
        codec.StreamDecoder().feed("error", {"type": "error", "error": {
            "type": "overloaded_error", "message": "Overloaded"}})
    assert caught.value.retryable and caught.value.status == 529


def test_a_stream_without_message_stop_was_cut() -> None:
    stream = _sse_bytes(_answer())
    cut = stream[: stream.index(b"event: message_stop")]
    with pytest.raises(UpstreamError, match="stream cut"):
        _decode(cut)


def test_ping_and_unknown_events_yield_nothing() -> None:
    decoder = codec.StreamDecoder()
    assert decoder.feed("ping", {"type": "ping"}) == []
    assert decoder.feed("future_event", copy.deepcopy({"type": "future_event"})) == []
