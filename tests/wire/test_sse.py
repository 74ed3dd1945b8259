"""SSE parsing and framing: what every streamed token passes through."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.wire.sse import SSEParser, iter_sse, sse_frame, with_heartbeat

ANTHROPIC_STREAM = (
    b"event: message_start\n"
    b'data: {"type":"message_start","message":{"id":"msg_1"}}\n\n'
    b": keep-alive comment\n\n"
    b"event: ping\ndata: {\"type\": \"ping\"}\n\n"
    b"event: content_block_delta\n"
    b'data: {"type":"content_block_delta","index":0,'
    b'"delta":{"type":"text_delta","text":"h\xc3\xa9"}}\n\n'
    b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
)


def parse_all(stream: bytes, cuts: list[int] | None = None) -> list[tuple[str, str]]:
    parser = SSEParser()
    events: list[tuple[str, str]] = []
    bounds = [0, *sorted(set(cuts or [])), len(stream)]
    for start, end in zip(bounds, bounds[1:], strict=False):
        events.extend(parser.feed(stream[start:end]))
    return events + parser.flush()


def test_named_events_come_out_with_their_data_and_comments_are_skipped() -> None:
    events = parse_all(ANTHROPIC_STREAM)
    assert [name for name, _ in events] == [
        "message_start", "ping", "content_block_delta", "message_stop"]
    assert '"text":"hé"' in events[2][1]


def test_events_without_a_name_are_messages() -> None:
    events = parse_all(b'data: {"a":1}\n\ndata: [DONE]\n\n')
    assert events == [("message", '{"a":1}'), ("message", "[DONE]")]


def test_multi_line_data_is_joined_with_newlines() -> None:
    assert parse_all(b"data: one\ndata: two\ndata:three\n\n") == [("message", "one\ntwo\nthree")]


def test_crlf_and_lone_cr_line_ends_are_accepted() -> None:
    crlf = b"event: a\r\ndata: 1\r\n\r\ndata: 2\r\r"
    assert parse_all(crlf) == [("a", "1"), ("message", "2")]


def test_a_crlf_split_across_chunks_is_one_line_end() -> None:
    stream = b"data: 1\r\n\r\ndata: 2\r\n\r\n"
    for cut in range(len(stream) + 1):
        assert parse_all(stream, [cut]) == [("message", "1"), ("message", "2")]


def test_a_leading_byte_order_mark_is_ignored_even_when_split() -> None:
    stream = b"\xef\xbb\xbfdata: x\n\n"
    assert parse_all(stream, [1, 2]) == [("message", "x")]


def test_an_event_without_data_is_not_dispatched_and_its_name_does_not_leak() -> None:
    assert parse_all(b"event: lonely\n\ndata: x\n\n") == [("message", "x")]


def test_a_final_event_missing_its_blank_line_is_completed_at_flush() -> None:
    assert parse_all(b"event: message_stop\ndata: {}\n") == [("message_stop", "{}")]
    assert parse_all(b"data: [DONE]") == [("message", "[DONE]")]


def test_a_field_without_colon_and_id_retry_fields_are_harmless() -> None:
    assert parse_all(b"id: 7\nretry: 100\ndata\ndata: x\n\n") == [("message", "\nx")]


def test_sse_frame_writes_event_and_data_lines() -> None:
    assert sse_frame(b'{"a":1}', "ping") == b'event: ping\ndata: {"a":1}\n\n'
    assert sse_frame("[DONE]") == b"data: [DONE]\n\n"


def test_sse_frame_splits_multi_line_data_so_it_parses_back() -> None:
    frame = sse_frame("a\nb\r\nc", "x")
    assert parse_all(frame) == [("x", "a\nb\nc")]


def test_iter_sse_yields_events_from_an_async_byte_stream() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for i in range(0, len(ANTHROPIC_STREAM), 7):
            yield ANTHROPIC_STREAM[i : i + 7]

    async def run() -> list[tuple[str, str]]:
        return [event async for event in iter_sse(chunks())]

    assert asyncio.run(run()) == parse_all(ANTHROPIC_STREAM)


def test_a_stream_cancelled_from_inside_ends_instead_of_beating_for_ever() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"first"
        raise asyncio.CancelledError  # e.g. a cancel inside the upstream's own stream

    async def run() -> list[bytes]:
        seen: list[bytes] = []
        async for chunk in with_heartbeat(chunks(), lambda: b": beat\n\n", 0.01):
            seen.append(chunk)
            if len(seen) > 50:
                break
        return seen

    with pytest.raises(RuntimeError, match="cancelled"):
        asyncio.run(asyncio.wait_for(run(), 5))


def test_heartbeats_fill_quiet_gaps_and_the_chunks_come_through_in_order() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        await asyncio.sleep(0.05)
        yield b"b"

    async def run() -> list[bytes]:
        return [chunk async for chunk in with_heartbeat(chunks(), lambda: b".", 0.01)]

    seen = asyncio.run(run())
    assert [c for c in seen if c != b"."] == [b"a", b"b"] and b"." in seen


_texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
_events = st.lists(
    st.tuples(st.one_of(st.none(), st.sampled_from(["message_start", "delta", "x"])), _texts),
    min_size=1, max_size=8)


@settings(max_examples=150, deadline=None)
@given(events=_events, newline=st.sampled_from([b"\n", b"\r\n", b"\r"]), data=st.data())
def test_any_rechunking_of_a_stream_gives_the_same_events(events, newline, data) -> None:
    stream = b"".join(sse_frame(text, name) for name, text in events).replace(b"\n", newline)
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=12))
    expected = [(name or "message",
                 text.replace("\r\n", "\n").replace("\r", "\n")) for name, text in events]
    assert parse_all(stream) == expected
    assert parse_all(stream, cuts) == expected


@settings(max_examples=50, deadline=None)
@given(stream=st.binary(max_size=200), data=st.data())
def test_arbitrary_bytes_parse_the_same_however_they_are_chunked(stream, data) -> None:
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=10))
    assert parse_all(stream, cuts) == parse_all(stream)
