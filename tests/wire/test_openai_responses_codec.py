"""The OpenAI Responses codec: Codex-shaped requests in, SDK-valid objects and streams out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from lynkr.errors import InvalidRequest, UpstreamError
from lynkr.model import (
    ImageBlock,
    Message,
    NativeBlock,
    RedactedThinkingBlock,
    Request,
    Response,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)
from lynkr.streams import replay
from lynkr.wire.openai_responses import (
    StreamEncoder,
    parse_request,
    render_response,
    response_to_history,
)

EVENTS = TypeAdapter(ResponseStreamEvent)
RESP_ID = "resp_0123abcd"

CODEX_REQUEST: dict[str, Any] = {
    "model": "gpt-5-codex",
    "instructions": "You are Codex, a coding agent running in the user's terminal.",
    "input": [
        {"type": "message", "role": "developer",
         "content": [{"type": "input_text", "text": "<permissions>workspace-write</permissions>"}]},
        {"type": "message", "role": "user",
         "content": [{"type": "input_text", "text": "<environment_context>cwd=/repo"}]},
        {"type": "message", "role": "user",
         "content": [{"type": "input_text", "text": "Why does the test fail?"}]},
        {"type": "reasoning", "id": "rs_1", "summary": [
            {"type": "summary_text", "text": "Look at the test first."}],
         "encrypted_content": "sig-abc"},
        {"type": "function_call", "id": "fc_1", "call_id": "call_shell_1", "name": "shell",
         "arguments": "{\"command\":[\"pytest\",\"-x\"]}"},
        {"type": "function_call_output", "call_id": "call_shell_1",
         "output": "1 failed: assert 2 == 3"},
        {"type": "message", "role": "assistant",
         "content": [{"type": "output_text", "text": "The sum is off by one."}]},
        {"type": "message", "role": "user",
         "content": [{"type": "input_text", "text": "Fix it."},
                     {"type": "input_image", "image_url": "data:image/png;base64,iVBORw0K"}]},
    ],
    "tools": [
        {"type": "function", "name": "shell", "description": "Run a command",
         "strict": False,
         "parameters": {"type": "object", "properties": {"command": {"type": "array"}},
                        "required": ["command"]}},
        {"type": "custom", "name": "apply_patch", "description": "Apply a patch",
         "format": {"type": "grammar", "syntax": "lark", "definition": "start: /.+/"}},
        {"type": "web_search"},
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": False,
    "reasoning": {"effort": "high", "summary": "auto"},
    "store": False,
    "stream": True,
    "include": ["reasoning.encrypted_content"],
    "prompt_cache_key": "session-42",
}


def sse_events(frames: list[bytes]) -> list[dict[str, Any]]:
    """Split SSE bytes into event payloads, checking each frame's event name matches."""
    payloads = []
    for frame in b"".join(frames).decode().split("\n\n"):
        if not frame:
            continue
        event_line, data_line = frame.split("\n")
        payload = json.loads(data_line.removeprefix("data: "))
        assert event_line == f"event: {payload['type']}"
        payloads.append(payload)
    return payloads


def encode_all(response: Response, request: Request | None, chunk_size: int = 0
               ) -> list[dict[str, Any]]:
    encoder = StreamEncoder(RESP_ID, response.model, 1700000000, request)
    frames = [f for event in replay(response, chunk_size=chunk_size) for f in encoder.encode(event)]
    return sse_events(frames)


# --- parsing --------------------------------------------------------------------------------


def test_codex_request_maps_to_the_internal_model() -> None:
    request = parse_request(CODEX_REQUEST)
    assert request.client_format == "openai_responses"
    assert [b.text for b in request.system] == [
        CODEX_REQUEST["instructions"], "<permissions>workspace-write</permissions>"]
    assert [m.role for m in request.messages] == ["user", "assistant", "user", "assistant",
                                                  "user"]
    first_user, turn, result, answer, last = request.messages
    assert first_user.text == "<environment_context>cwd=/repoWhy does the test fail?"
    assert turn.content == [ThinkingBlock("Look at the test first.", "sig-abc"),
                            ToolUseBlock("call_shell_1", "shell", {"command": ["pytest", "-x"]})]
    assert result.content == [
        ToolResultBlock("call_shell_1", [TextBlock("1 failed: assert 2 == 3")])]
    assert answer.text == "The sum is off by one."
    assert last.content == [TextBlock("Fix it."), ImageBlock("image/png", data="iVBORw0K")]
    assert request.stream is True


def test_request_options_tools_and_unknown_fields() -> None:
    request = parse_request({**CODEX_REQUEST, "max_output_tokens": 4096, "temperature": 0.2,
                             "top_p": 0.9})
    shell, patch, search = request.tools
    assert shell.name == "shell" and shell.raw is None
    assert shell.input_schema["required"] == ["command"]
    assert patch.raw and patch.raw["type"] == "custom"
    assert patch.input_schema["properties"]["input"]["type"] == "string"
    assert search.name == "web_search" and search.raw == {"type": "web_search"}
    assert request.tool_choice and request.tool_choice.type == "auto"
    assert request.tool_choice.disable_parallel is True
    assert request.thinking == {"type": "enabled", "budget_tokens": 24576}
    assert (request.max_tokens, request.temperature, request.top_p) == (4096, 0.2, 0.9)
    for key in ("store", "reasoning", "parallel_tool_calls", "include", "prompt_cache_key"):
        assert key in request.extra
    assert "input" not in request.extra and "tools" not in request.extra


def test_string_input_is_one_user_message() -> None:
    request = parse_request({"model": "m", "input": "hello"})
    assert request.messages == [Message("user", [TextBlock("hello")])]
    assert request.system == [] and request.tool_choice is None


@pytest.mark.parametrize(("choice", "expected"), [
    ("required", ("any", None)),
    ("none", ("none", None)),
    ({"type": "function", "name": "shell"}, ("tool", "shell")),
    ({"type": "allowed_tools", "mode": "auto", "tools": []}, ("auto", None)),
])
def test_tool_choice_forms(choice: Any, expected: tuple[str, str | None]) -> None:
    parsed = parse_request({"model": "m", "input": "x", "tool_choice": choice}).tool_choice
    assert parsed and (parsed.type, parsed.name) == expected


def test_previous_response_history_is_prepended_and_merged() -> None:
    history = [Message("user", [TextBlock("hi")]), Message("assistant", [TextBlock("hello")])]
    request = parse_request({"model": "m", "previous_response_id": "resp_1",
                             "input": [{"role": "assistant", "content": "more"},
                                       {"role": "user", "content": "next"}]}, history=history)
    assert [(m.role, m.text) for m in request.messages] == [
        ("user", "hi"), ("assistant", "hellomore"), ("user", "next")]
    assert history[1].content == [TextBlock("hello")]  # the stored history is not mutated
    assert request.extra["previous_response_id"] == "resp_1"


def test_late_developer_message_stays_in_place_as_user_text() -> None:
    request = parse_request({"model": "m", "input": [
        {"role": "user", "content": "a"}, {"role": "assistant", "content": "b"},
        {"role": "developer", "content": "model switched"}]})
    assert request.system == []
    assert (request.messages[-1].role, request.messages[-1].text) == ("user", "model switched")


def test_custom_tool_call_and_output_round_trip_as_tool_blocks() -> None:
    request = parse_request({"model": "m", "input": [
        {"type": "custom_tool_call", "call_id": "c1", "name": "apply_patch",
         "input": "*** Begin Patch"},
        {"type": "custom_tool_call_output", "call_id": "c1", "output": "Done"},
        {"type": "web_search_call", "id": "ws_1", "status": "completed"},
    ]})
    assert request.messages[0].content == [ToolUseBlock("c1", "apply_patch",
                                                        {"input": "*** Begin Patch"})]
    assert request.messages[1].content == [ToolResultBlock("c1", [TextBlock("Done")])]
    assert len(request.messages) == 2  # the web_search_call record is dropped


def test_reasoning_with_only_encrypted_content_is_redacted_thinking() -> None:
    request = parse_request({"model": "m", "input": [
        {"type": "reasoning", "summary": [], "encrypted_content": "opaque"},
        {"type": "reasoning", "summary": []}, {"type": "function_call", "call_id": "c1",
                                               "name": "f", "arguments": "{}"}]})
    assert request.messages == [Message("assistant", [RedactedThinkingBlock("opaque"),
                                                      ToolUseBlock("c1", "f", {})])]


@pytest.mark.parametrize(("body", "param"), [
    ({"input": "x"}, "model"),
    ({"model": "m", "input": 3}, "input"),
    ({"model": "m", "input": ["x"]}, "input[0]"),
    ({"model": "m", "input": [{"role": "robot", "content": "x"}]}, "input[0].role"),
    ({"model": "m", "input": [{"type": "function_call", "name": "f", "arguments": "{}"}]},
     "input[0].call_id"),
    ({"model": "m", "input": [{"role": "user", "content": [{"type": "input_file"}]}]},
     "input[0].content[0]"),
    ({"model": "m", "input": "x", "tools": [{"type": "function"}]}, "tools[0].name"),
    ({"model": "m", "input": "x", "temperature": "hot"}, "temperature"),
    ({"model": "m", "input": "x", "max_output_tokens": 1.5}, "max_output_tokens"),
    ({"model": "m", "input": "x", "tool_choice": 7}, "tool_choice"),
])
def test_invalid_shapes_name_the_offending_param(body: dict[str, Any], param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_request(body)
    assert caught.value.param == param and caught.value.status == 400


# --- rendering ------------------------------------------------------------------------------

ANSWER = Response(
    id="msg_up", model="gpt-5-codex",
    content=[ThinkingBlock("Check the sum.", "sig-1"), TextBlock("Patching now."),
             ToolUseBlock("call_9", "shell", {"command": ["sed", "-i", "s/2/3/", "a.py"]}),
             ToolUseBlock("call_10", "apply_patch", {"input": "*** Begin Patch\n"})],
    stop_reason="tool_use",
    usage=Usage(input_tokens=100, output_tokens=40, cache_read_input_tokens=900),
)


def test_rendered_response_validates_against_the_sdk_model() -> None:
    request = parse_request(CODEX_REQUEST)
    body = render_response(ANSWER, request=request, response_id=RESP_ID, created_at=1700000000)
    sdk = SDKResponse.model_validate(body)
    assert sdk.status == "completed" and sdk.output_text == "Patching now."
    reasoning, message, call, custom = body["output"]
    assert reasoning["summary"] == [{"type": "summary_text", "text": "Check the sum."}]
    assert reasoning["encrypted_content"] == "lynkr.thinking:sig-1"
    assert message["content"] == [{"type": "output_text", "text": "Patching now.",
                                   "annotations": []}]
    assert (call["type"], call["call_id"], call["status"]) == ("function_call", "call_9",
                                                               "completed")
    assert json.loads(call["arguments"]) == {"command": ["sed", "-i", "s/2/3/", "a.py"]}
    assert (custom["type"], custom["input"]) == ("custom_tool_call", "*** Begin Patch\n")
    assert body["usage"]["input_tokens"] == 1000
    assert body["usage"]["input_tokens_details"]["cached_tokens"] == 900
    assert body["usage"]["total_tokens"] == 1040
    assert body["parallel_tool_calls"] is False and body["store"] is False


@pytest.mark.parametrize("arguments", [
    {"input": "*** Begin Patch\n"},
    {"_raw": "*** Begin Patch\n"},    # the patch sent as the arguments themselves
    {"_value": "*** Begin Patch\n"},  # ... or as a bare JSON string
])
def test_a_free_form_call_keeps_its_patch_however_the_model_wrapped_it(
        arguments: dict[str, Any]) -> None:
    request = parse_request(CODEX_REQUEST)
    answer = Response(id="x", model="m", content=[ToolUseBlock("c1", "apply_patch", arguments)],
                      stop_reason="tool_use")
    body = render_response(answer, request=request, response_id=RESP_ID, created_at=1)
    assert body["output"][0]["input"] == "*** Begin Patch\n"
    done = [e for e in encode_all(answer, request, chunk_size=4)
            if e["type"] == "response.custom_tool_call_input.done"]
    assert done[0]["input"] == "*** Begin Patch\n"


def test_max_tokens_renders_an_incomplete_response() -> None:
    cut = Response(id="x", model="m", content=[TextBlock("half")], stop_reason="max_tokens")
    body = render_response(cut, request=None, response_id=RESP_ID, created_at=1)
    assert SDKResponse.model_validate(body).status == "incomplete"
    assert body["incomplete_details"] == {"reason": "max_output_tokens"}


def test_history_is_the_request_plus_the_answer() -> None:
    request = parse_request({"model": "m", "input": "hi"})
    history = response_to_history(request, ANSWER)
    assert [m.role for m in history] == ["user", "assistant"]
    assert history[1].content == ANSWER.content
    assert request.messages == [Message("user", [TextBlock("hi")])]


# --- streaming ------------------------------------------------------------------------------


def test_stream_follows_the_real_event_sequence_and_validates() -> None:
    request = parse_request(CODEX_REQUEST)
    events = encode_all(ANSWER, request, chunk_size=4)
    for event in events:
        EVENTS.validate_python(event)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    kinds = [e["type"] for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == "response.completed"
    assert kinds.count("response.output_item.added") == kinds.count("response.output_item.done")
    assert kinds.count("response.output_item.done") == 4
    text = "".join(e["delta"] for e in events if e["type"] == "response.output_text.delta")
    assert text == "Patching now."
    assert "response.reasoning_summary_text.delta" in kinds
    assert "response.function_call_arguments.done" in kinds
    assert "response.custom_tool_call_input.done" in kinds
    message_kinds = [e["type"] for e in events if e.get("output_index") == 1]
    assert message_kinds == [
        "response.output_item.added", "response.content_part.added",
        "response.output_text.delta", "response.output_text.delta",
        "response.output_text.delta", "response.output_text.delta",
        "response.output_text.done", "response.content_part.done",
        "response.output_item.done"]


def test_streamed_items_match_the_final_response_output() -> None:
    events = encode_all(ANSWER, parse_request(CODEX_REQUEST), chunk_size=3)
    done_items = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done_items == events[-1]["response"]["output"]


def test_a_server_tool_block_with_no_responses_item_is_left_out_of_the_stream_too() -> None:
    search = NativeBlock({"type": "server_tool_use", "id": "srv_1", "name": "web_search",
                          "input": {"query": "x"}}, format="anthropic")
    answer = Response(id="x", model="m", content=[TextBlock("Looking."), search,
                                                   TextBlock("Found it.")])
    events = encode_all(answer, None)
    for event in events:
        EVENTS.validate_python(event)
    done_items = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert [item["content"][0]["text"] for item in done_items] == ["Looking.", "Found it."]
    assert done_items == events[-1]["response"]["output"]


def test_stream_hitting_the_limit_ends_with_response_incomplete() -> None:
    cut = Response(id="x", model="m", content=[TextBlock("half")], stop_reason="max_tokens")
    events = encode_all(cut, None)
    assert events[-1]["type"] == "response.incomplete"
    EVENTS.validate_python(events[-1])


def test_error_before_any_output_still_opens_the_response() -> None:
    encoder = StreamEncoder(RESP_ID, "m", 1, None)
    err = UpstreamError("rate limited", status=429, kind="rate_limit_error", retry_after=2.5)
    events = sse_events([encoder.encode_error(err)])
    assert [e["type"] for e in events] == ["response.created", "response.in_progress",
                                          "response.failed"]
    failed = events[-1]
    EVENTS.validate_python(failed)
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {
        "code": "rate_limit_exceeded", "message": "rate limited. Please try again in 2.5s."}
    assert encoder.encode(replay(ANSWER).__next__()) == []  # nothing after the failure


def test_error_mid_stream_keeps_finished_items_and_numbering() -> None:
    encoder = StreamEncoder(RESP_ID, "m", 1, None)
    frames = [f for event in list(replay(ANSWER))[:5] for f in encoder.encode(event)]
    frames.append(encoder.encode_error(RuntimeError("upstream went away")))
    events = sse_events(frames)
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    failed = events[-1]["response"]
    assert failed["error"]["code"] == "server_error"
    assert [item["type"] for item in failed["output"]] == ["reasoning"]


# --- property: a replayed stream ends with exactly the rendered object ----------------------

_text = st.text(max_size=30)
_json = st.recursive(st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _text,
                     lambda inner: st.lists(inner, max_size=3)
                     | st.dictionaries(_text, inner, max_size=3), max_leaves=8)
_blocks = st.one_of(
    _text.map(TextBlock),
    st.builds(ToolUseBlock, id=st.text(min_size=1, max_size=8), name=st.sampled_from(
        ["shell", "read", "apply_patch"]), input=st.dictionaries(_text, _json, max_size=3)),
    st.builds(ThinkingBlock, thinking=_text.filter(bool),
              signature=st.none() | st.text(min_size=1, max_size=8)),
    st.text(min_size=1, max_size=8).map(RedactedThinkingBlock),
)
_responses = st.builds(
    Response, id=st.just("up"), model=st.text(min_size=1, max_size=8),
    content=st.lists(_blocks, max_size=5),
    stop_reason=st.sampled_from(["end_turn", "tool_use", "max_tokens"]),
    usage=st.builds(Usage, input_tokens=st.integers(0, 10**6),
                    output_tokens=st.integers(0, 10**6),
                    cache_read_input_tokens=st.integers(0, 10**6)),
)


@settings(max_examples=60, deadline=None)
@given(response=_responses, chunk_size=st.integers(0, 5))
def test_replayed_stream_completes_with_the_rendered_response(response: Response,
                                                              chunk_size: int) -> None:
    request = parse_request(CODEX_REQUEST)
    events = encode_all(response, request, chunk_size)
    expected = render_response(response, request=request, response_id=RESP_ID,
                               created_at=1700000000)
    assert events[-1]["response"] == expected
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    EVENTS.validate_python(events[-1])
