"""The AWS event stream framing decoder: whole messages whatever the network chunking,
and corruption detected by the CRCs instead of being parsed as data."""

from __future__ import annotations

import struct
import uuid

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynkr.providers.eventstream import EventStreamDecoder, FramingError, parse_headers
from tests.fakes.bedrock import event, frame

STREAM = b"".join([
    event("messageStart", {"role": "assistant"}),
    event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": "héllo"}}),
    frame({":message-type": "exception", ":exception-type": "throttlingException"},
          b'{"message": "slow down"}'),
])


def test_messages_carry_their_headers_and_payload() -> None:
    messages = list(EventStreamDecoder().feed(STREAM))
    assert [m.event_type for m in messages] == ["messageStart", "contentBlockDelta",
                                                "throttlingException"]
    assert [m.message_type for m in messages] == ["event", "event", "exception"]
    assert b"h\\u00e9llo" in messages[1].payload


@given(st.lists(st.integers(min_value=1, max_value=len(STREAM) - 1), max_size=12))
def test_any_chunking_gives_the_same_messages(cuts: list[int]) -> None:
    decoder = EventStreamDecoder()
    bounds = [0, *sorted(set(cuts)), len(STREAM)]
    messages = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        messages += decoder.feed(STREAM[start:end])
    assert messages == list(EventStreamDecoder().feed(STREAM))
    assert decoder.pending == 0


def test_a_partial_message_is_held_until_complete() -> None:
    decoder = EventStreamDecoder()
    assert list(decoder.feed(STREAM[:20])) == []
    assert decoder.pending == 20


def test_a_bad_message_crc_is_a_framing_error() -> None:
    corrupt = bytearray(STREAM)
    corrupt[30] ^= 0x01  # inside the first message's headers
    with pytest.raises(FramingError, match="message CRC"):
        list(EventStreamDecoder().feed(bytes(corrupt)))


def test_a_bad_prelude_crc_is_a_framing_error() -> None:
    corrupt = bytearray(STREAM)
    corrupt[3] ^= 0x01  # the total length
    with pytest.raises(FramingError, match="prelude CRC"):
        list(EventStreamDecoder().feed(bytes(corrupt)))


def test_plain_text_is_not_mistaken_for_frames() -> None:
    with pytest.raises(FramingError):
        list(EventStreamDecoder().feed(b'{"message": "this is JSON, not an event stream"}'))


def test_every_header_value_type_is_decoded() -> None:
    ident = uuid.uuid4()
    raw = b"".join([
        b"\x01t\x00", b"\x01f\x01", b"\x01b\x02\xff", b"\x01s\x03" + struct.pack(">h", -2),
        b"\x01i\x04" + struct.pack(">i", 7), b"\x01l\x05" + struct.pack(">q", 2**40),
        b"\x01y\x06\x00\x02ab", b"\x01z\x07\x00\x02hi", b"\x01d\x08" + struct.pack(">q", 5),
        b"\x01u\x09" + ident.bytes,
    ])
    assert parse_headers(raw) == {"t": True, "f": False, "b": -1, "s": -2, "i": 7, "l": 2**40,
                                  "y": b"ab", "z": "hi", "d": 5, "u": ident}


def test_messages_before_a_corrupt_one_are_delivered_first() -> None:
    corrupt = bytearray(STREAM)
    corrupt[-1] ^= 0x01  # the last message's CRC
    received = []
    with pytest.raises(FramingError):
        for message in EventStreamDecoder().feed(bytes(corrupt)):
            received.append(message.event_type)
    assert received == ["messageStart", "contentBlockDelta"]
