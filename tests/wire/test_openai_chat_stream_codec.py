"""The OpenAI chat-completions stream codec: frames we write are chunks the official SDK
accepts, and upstream chunks become the internal event stream."""

from __future__ import annotations

from typing import Any

import httpx2
import openai
import orjson
import pytest
from openai.types.chat import ChatCompletionChunk

from lynkr.errors import UpstreamError
from lynkr.model import (
    Response,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from lynkr.streams import ResponseBuilder, replay
from lynkr.wire import openai_chat
from tests.wire.openai_chat_samples import tool_call_answer

# --- streaming ------------------------------------------------------------------------------


def _encode(response: Response, include_usage: bool = True, chunk_size: int = 3) -> list[bytes]:
    encoder = openai_chat.StreamEncoder(response.model, response.id, include_usage, created=1)
    return [f for e in replay(response, chunk_size=chunk_size) for f in encoder.encode(e)]


def _chunks(frames: list[bytes]) -> list[dict[str, Any]]:
    payloads = [f.removeprefix(b"data: ").removesuffix(b"\n\n") for f in frames]
    return [orjson.loads(p) for p in payloads if p != b"[DONE]"]


def _decode(chunks: list[dict[str, Any]]) -> tuple[list[Any], Response]:
    decoder = openai_chat.StreamDecoder()
    events = [e for c in chunks for e in decoder.feed(c)] + decoder.finish()
    builder = ResponseBuilder()
    for event in events:
        builder.add(event)
    return events, builder.build()


def test_stream_frames_are_chunks_the_sdk_accepts_and_end_with_usage_then_done() -> None:
    frames = _encode(tool_call_answer())
    assert frames[-1] == b"data: [DONE]\n\n"
    chunks = [ChatCompletionChunk.model_validate(c) for c in _chunks(frames)]
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == \
        "Let me look."
    start = next(c for c in chunks if c.choices and c.choices[0].delta.tool_calls)
    call = start.choices[0].delta.tool_calls[0]
    assert (call.index, call.id, call.function.name, call.function.arguments) == \
        (0, "toolu_9", "Grep", "")
    assert chunks[-2].choices[0].finish_reason == "tool_calls"
    assert chunks[-1].choices == [] and chunks[-1].usage.prompt_tokens == 1050


def test_without_include_usage_there_is_no_usage_chunk() -> None:
    chunks = _chunks(_encode(tool_call_answer(), include_usage=False))
    assert all(c["choices"] for c in chunks)


def test_tool_call_indices_count_tool_calls_not_blocks() -> None:
    answer = tool_call_answer(content=[TextBlock("a"), ToolUseBlock("t1", "f", {}), TextBlock("b"),
                              ToolUseBlock("t2", "g", {"k": 1})])
    starts = [c["choices"][0]["delta"]["tool_calls"][0] for c in _chunks(_encode(answer))
              if c["choices"] and "id" in c["choices"][0]["delta"].get("tool_calls", [{}])[0]]
    assert [(s["index"], s["id"]) for s in starts] == [(0, "t1"), (1, "t2")]


def test_encode_error_is_an_openai_error_frame() -> None:
    encoder = openai_chat.StreamEncoder("m", "id", False)
    frame = encoder.encode_error(UpstreamError("upstream died"))
    assert orjson.loads(frame.removeprefix(b"data: "))["error"]["message"] == "upstream died"


def _chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
    return {"id": "c1", "model": "m", "choices": [
        {"index": 0, "delta": delta, "finish_reason": finish}]}


def _call(index: int, args: str, id: str | None = None, name: str | None = None) -> dict:
    call: dict[str, Any] = {"index": index, "function": {"arguments": args}}
    if id:
        call.update(id=id, type="function")
        call["function"]["name"] = name
    return call


def test_streamed_tool_arguments_are_reassembled_per_index() -> None:
    chunks = [
        _chunk({"role": "assistant", "content": "Checking."}),
        _chunk({"tool_calls": [_call(0, "", "call_a", "read"), _call(1, "", "call_b", "grep")]}),
        _chunk({"tool_calls": [_call(0, '{"pa')]}),
        _chunk({"tool_calls": [_call(1, '{"q": "x"}')]}),
        _chunk({"tool_calls": [_call(0, 'th": "a.py"}')]}),
        _chunk({}, "tool_calls"),
        {"id": "c1", "choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 3}},
    ]
    events, response = _decode(chunks)
    assert response.content == [TextBlock("Checking."),
                                ToolUseBlock("call_a", "read", {"path": "a.py"}),
                                ToolUseBlock("call_b", "grep", {"q": "x"})]
    assert response.stop_reason == "tool_use" and response.usage.input_tokens == 9
    _assert_blocks_are_contiguous(events)


def test_sequential_tool_calls_stream_live_block_by_block() -> None:
    chunks = [_chunk({"tool_calls": [_call(0, "", "call_a", "read")]}),
              _chunk({"tool_calls": [_call(0, '{"path": "a"}')]}),
              _chunk({"tool_calls": [_call(1, '{"path": "b"}', "call_b", "read")]}),
              _chunk({}, "tool_calls")]
    decoder = openai_chat.StreamDecoder()
    decoder.feed(chunks[0])
    live = decoder.feed(chunks[1])
    assert [type(e).__name__ for e in live] == ["ToolArgsDelta"]
    switched = decoder.feed(chunks[2])
    assert [type(e).__name__ for e in switched] == ["BlockStop", "BlockStart", "ToolArgsDelta"]


def test_tool_calls_without_index_are_told_apart_by_id() -> None:
    call = {"type": "function", "function": {"name": "f", "arguments": '{"n": 1}'}}
    chunks = [_chunk({"tool_calls": [{**call, "id": "x1"}]}),
              _chunk({"tool_calls": [{**call, "id": "x2", "index": 0}]}),
              _chunk({}, "tool_calls")]
    _, response = _decode(chunks)
    assert [b.id for b in response.tool_uses] == ["x1", "x2"]


def test_reasoning_then_text_become_separate_blocks() -> None:
    chunks = [_chunk({"reasoning_content": "hm"}), _chunk({"reasoning": "m"}),
              _chunk({"content": "Hi"}), _chunk({"content": "!"}, "stop")]
    events, response = _decode(chunks)
    assert response.content == [ThinkingBlock("hmm"), TextBlock("Hi!")]
    assert response.stop_reason == "end_turn"
    _assert_blocks_are_contiguous(events)


def test_a_stream_without_finish_reason_was_cut() -> None:
    decoder = openai_chat.StreamDecoder()
    decoder.feed(_chunk({"content": "partial"}))
    with pytest.raises(UpstreamError, match="stream cut"):
        decoder.finish()


def test_an_error_chunk_raises() -> None:
    with pytest.raises(UpstreamError, match="overloaded"):
        openai_chat.StreamDecoder().feed({"error": {"message": "overloaded"}})


def _assert_blocks_are_contiguous(events: list[Any]) -> None:
    """Each block's events sit between its start and stop, never interleaved with another's."""
    open_index = None
    for event in events:
        index = getattr(event, "index", None)
        name = type(event).__name__
        if name == "BlockStart":
            assert open_index is None
            open_index = index
        elif name == "BlockStop":
            assert index == open_index
            open_index = None
        elif index is not None:
            assert index == open_index
    assert open_index is None


def test_the_official_sdk_accumulates_our_stream_into_the_same_completion() -> None:
    stream = b"".join(_encode(tool_call_answer()))

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=stream,
                               headers={"content-type": "text/event-stream"})

    transport = httpx2.MockTransport(handler)
    client = openai.OpenAI(api_key="k", base_url="http://lynkr.test/v1",
                           http_client=httpx2.Client(transport=transport))
    with client.chat.completions.stream(model="m", messages=[{"role": "user", "content": "hi"}],
                                        stream_options={"include_usage": True}) as events:
        completion = events.get_final_completion()
    message = completion.choices[0].message
    assert message.content == "Let me look."
    assert message.tool_calls[0].function.arguments == '{"pattern":"TODO","path":"."}'
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.usage.prompt_tokens_details.cached_tokens == 900
