"""Anthropic Messages codec, answers: rendered for clients and read from upstreams, whole and
streamed, checked against what the official SDK makes of them."""

from __future__ import annotations

import copy
from typing import Any

import anthropic
import httpx2
import orjson
import pytest

from lynkr.errors import UpstreamError
from lynkr.model import (
    BlockStart,
    BlockStop,
    MessageDelta,
    MessageStart,
    MessageStop,
    Response,
    TextBlock,
    TextDelta,
    ThinkingBlock,
    ToolArgsDelta,
    ToolUseBlock,
    Usage,
)
from lynkr.streams import ResponseBuilder, replay
from lynkr.wire import anthropic as codec
from lynkr.wire.sse import SSEParser

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
