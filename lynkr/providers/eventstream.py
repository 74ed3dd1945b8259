"""The ``application/vnd.amazon.eventstream`` binary framing, decoded incrementally (pure).

A message is::

    total length (u32) | headers length (u32) | prelude CRC32 (u32)
    headers            | payload              | message CRC32 (u32)

all big-endian; the prelude CRC covers the first 8 bytes, the message CRC everything before
it. Each header is ``name length (u8) | name | value type (u8) | value``. Network chunks cut
messages anywhere, so :class:`EventStreamDecoder` keeps the unfinished tail and yields whole
messages; a bad CRC or an impossible length raises :class:`FramingError` at once, because
after a corrupt prelude there is no way to find the next message boundary.
"""

from __future__ import annotations

import struct
import uuid
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

_PRELUDE = struct.Struct(">III")
_MIN_MESSAGE = _PRELUDE.size + 4
#: Bedrock messages are small; a length above this means we are not reading an event stream.
MAX_MESSAGE = 16 * 1024 * 1024

HeaderValue = bool | int | bytes | str | uuid.UUID


class FramingError(ValueError):
    """The bytes are not a valid event stream (bad CRC, bad length, bad header)."""


@dataclass(frozen=True, slots=True)
class EventMessage:
    headers: dict[str, HeaderValue]
    payload: bytes

    @property
    def message_type(self) -> str:
        """``event``, ``exception`` or ``error``."""
        return str(self.headers.get(":message-type", "event"))

    @property
    def event_type(self) -> str:
        return str(self.headers.get(":event-type") or self.headers.get(":exception-type")
                   or self.headers.get(":error-code") or "")


class EventStreamDecoder:
    """Feed bytes, get complete :class:`EventMessage` objects in order."""

    __slots__ = ("_buffer",)

    def __init__(self) -> None:
        self._buffer = bytearray()

    @property
    def pending(self) -> int:
        """Bytes held that do not yet make a whole message (non-zero at end = a cut stream)."""
        return len(self._buffer)

    def feed(self, chunk: bytes) -> Iterator[EventMessage]:
        """Messages completed by ``chunk``, yielded one by one so the good messages before a
        corrupt one are still delivered (and acted on) before the error is raised."""
        self._buffer += chunk
        while len(self._buffer) >= _PRELUDE.size:
            total, headers_len, prelude_crc = _PRELUDE.unpack_from(self._buffer)
            if zlib.crc32(self._buffer[:8]) != prelude_crc:
                raise FramingError("event stream prelude CRC mismatch")
            if total < _MIN_MESSAGE or total > MAX_MESSAGE or headers_len > total - _MIN_MESSAGE:
                raise FramingError(f"event stream message length {total} is invalid")
            if len(self._buffer) < total:
                break
            frame = bytes(self._buffer[:total])
            del self._buffer[:total]
            (message_crc,) = struct.unpack_from(">I", frame, total - 4)
            if zlib.crc32(frame[:-4]) != message_crc:
                raise FramingError("event stream message CRC mismatch")
            start = _PRELUDE.size
            headers = parse_headers(frame[start:start + headers_len])
            yield EventMessage(headers, frame[start + headers_len:-4])


def parse_headers(raw: bytes) -> dict[str, HeaderValue]:
    headers: dict[str, HeaderValue] = {}
    pos = 0
    try:
        while pos < len(raw):
            name_len = raw[pos]
            name = raw[pos + 1:pos + 1 + name_len].decode()
            pos += 1 + name_len
            kind = raw[pos]
            pos += 1
            value, pos = _value(raw, pos, kind)
            headers[name] = value
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise FramingError(f"event stream header block is malformed: {exc}") from None
    return headers


def _value(raw: bytes, pos: int, kind: int) -> tuple[HeaderValue, int]:
    if kind in (0, 1):
        return kind == 0, pos
    fixed = {2: ">b", 3: ">h", 4: ">i", 5: ">q", 8: ">q"}
    if kind in fixed:
        fmt = struct.Struct(fixed[kind])
        return fmt.unpack_from(raw, pos)[0], pos + fmt.size
    if kind in (6, 7):
        (length,) = struct.unpack_from(">H", raw, pos)
        data = raw[pos + 2:pos + 2 + length]
        if len(data) != length:
            raise IndexError("header value runs past the header block")
        return (data.decode() if kind == 7 else data), pos + 2 + length
    if kind == 9:
        return uuid.UUID(bytes=raw[pos:pos + 16]), pos + 16
    raise FramingError(f"unknown event stream header type {kind}")
