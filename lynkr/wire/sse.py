"""Server-sent events: an incremental parser for upstream streams and a frame writer for ours.

Every streamed token of every provider passes through :class:`SSEParser`, so it works on bytes,
splits on line ends with ``bytes.split`` (no regex) and only decodes the ``data`` of complete
events. Chunks from the network cut lines, UTF-8 characters and CRLF pairs anywhere; the parser
keeps the unfinished tail and gives the same events whatever the chunking.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

_BOM = b"\xef\xbb\xbf"


class SSEParser:
    """Turns a byte stream into ``(event name, data)`` pairs, following the WHATWG rules.

    An event without an ``event:`` field is named ``"message"`` (the spec's default). ``id``
    and ``retry`` fields are accepted and ignored: no upstream we speak relies on reconnects.
    """

    __slots__ = ("_pending", "_event", "_data", "_started")

    def __init__(self) -> None:
        self._pending: list[bytes] = []
        self._event = b""
        self._data: list[bytes] = []
        self._started = False

    def feed(self, chunk: bytes) -> list[tuple[str, str]]:
        """Parse ``chunk``; return the events it completed (possibly none)."""
        if not chunk:
            return []
        if not self._started:
            chunk = self._strip_bom(chunk)
            if not self._started:
                return []
        # Nothing can complete without a line end: keep the piece, skip the join (long data
        # lines arriving in many small chunks stay linear).
        if b"\n" not in chunk and b"\r" not in chunk:
            self._pending.append(chunk)
            return []
        if self._pending:
            self._pending.append(chunk)
            buffer = b"".join(self._pending)
            self._pending = []
        else:
            buffer = chunk
        held = b""
        if b"\r" in buffer:
            if buffer[-1] == 13:  # a CR at the end may be the first half of CRLF
                buffer, held = buffer[:-1], b"\r"
            buffer = buffer.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        lines = buffer.split(b"\n")
        tail = lines.pop() + held
        if tail:
            self._pending.append(tail)
        events: list[tuple[str, str]] = []
        for line in lines:
            self._line(line, events)
        return events

    def flush(self) -> list[tuple[str, str]]:
        """End of stream: complete a final event that lacked its blank line.

        The spec discards such an event; upstreams that forget the last blank line are common
        enough that dropping their final ``message_stop`` would turn success into an error.
        """
        events: list[tuple[str, str]] = []
        if self._pending:
            line = b"".join(self._pending).rstrip(b"\r")
            self._pending = []
            self._line(line, events)
        self._line(b"", events)
        return events

    def _line(self, line: bytes, events: list[tuple[str, str]]) -> None:
        if not line:
            if self._data:
                data = self._data[0] if len(self._data) == 1 else b"\n".join(self._data)
                name = self._event.decode("utf-8", "replace") if self._event else "message"
                events.append((name, data.decode("utf-8", "replace")))
                self._data = []
            self._event = b""
            return
        if line[0] == 58:  # ':' starts a comment (keep-alives)
            return
        colon = line.find(b":")
        if colon < 0:
            field, value = line, b""
        else:
            field, value = line[:colon], line[colon + 1 :]
            if value[:1] == b" ":
                value = value[1:]
        if field == b"data":
            self._data.append(value)
        elif field == b"event":
            self._event = value

    def _strip_bom(self, chunk: bytes) -> bytes:
        buffered = b"".join(self._pending) + chunk
        if len(buffered) < len(_BOM) and _BOM.startswith(buffered):
            self._pending = [buffered]
            return b""
        self._pending = []
        self._started = True
        return buffered[len(_BOM) :] if buffered.startswith(_BOM) else buffered


async def iter_sse(byte_iter: AsyncIterator[bytes]) -> AsyncIterator[tuple[str, str]]:
    """Yield ``(event name, data)`` pairs as they complete in an async byte stream."""
    parser = SSEParser()
    async for chunk in byte_iter:
        for event in parser.feed(chunk):
            yield event
    for event in parser.flush():
        yield event


async def sse_reads(byte_iter: AsyncIterator[bytes]) -> AsyncIterator[list[tuple[str, str]]]:
    """Like :func:`iter_sse`, but one list per network read (possibly empty), so callers can
    mark read boundaries (see ``lynkr.stream_events.Flush``)."""
    parser = SSEParser()
    async for chunk in byte_iter:
        yield parser.feed(chunk)
    tail = parser.flush()
    if tail:
        yield tail


def sse_frame(data: bytes | str, event: str | None = None) -> bytes:
    """One SSE frame: optional ``event:`` line, ``data:`` line(s), blank line.

    Data with line breaks is split over several ``data:`` lines, which a parser joins back with
    ``\\n``; JSON from orjson has none, so the common path is a single concatenation.
    """
    payload = data.encode() if isinstance(data, str) else data
    if b"\n" in payload or b"\r" in payload:
        lines = payload.replace(b"\r\n", b"\n").replace(b"\r", b"\n").split(b"\n")
        body = b"".join(b"data: " + line + b"\n" for line in lines)
    else:
        body = b"data: " + payload + b"\n"
    if event is not None:
        return b"event: " + event.encode() + b"\n" + body + b"\n"
    return body + b"\n"


async def with_heartbeat(chunks: AsyncIterator[bytes], beat: Callable[[], bytes],
                         interval: float) -> AsyncIterator[bytes]:
    """``chunks``, with a ``beat()`` written whenever ``interval`` seconds pass without one
    (a function: a Responses stream numbers its keepalive events).

    lynkr holds parts of a stream back (a tool call until its arguments are whole, text that
    may be a printed tool call), and a slow local model can take minutes over one long call;
    Claude Code drops a stream after 180 s without a byte (``CLAUDE_BYTE_STREAM_IDLE_TIMEOUT_MS``)
    and asks again without streaming, paying for the whole answer twice.

    A task reads ``chunks`` into a one-slot queue and another drops a beat into it when the
    stream has been quiet: the read in flight is never interrupted by a beat (cancelling it
    would end the upstream), and each chunk costs a queue hand-over (about 7 µs, half of
    awaiting every chunk in a future of its own). Closing this generator cancels both tasks,
    and so the upstream, as a client hanging up always did.
    """
    if interval <= 0:
        async for chunk in chunks:
            yield chunk
        return
    queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(maxsize=1)
    quiet_since = time.monotonic()
    closing = False

    async def read() -> None:
        try:
            async for chunk in chunks:
                await queue.put(chunk)
            await queue.put(None)
        except Exception as exc:  # raised again below, in the consumer's task
            await queue.put(exc)
        except BaseException:
            # Cancelled by something other than the close below (a cancel inside the upstream
            # stream): without word the consumer would wait on, beating for ever.
            if not closing:
                await queue.put(RuntimeError("the upstream stream was cancelled"))
            raise

    async def beat_when_quiet() -> None:
        while True:
            await asyncio.sleep(max(0.0, quiet_since + interval - time.monotonic()))
            if time.monotonic() - quiet_since >= interval and queue.empty():
                queue.put_nowait(beat())

    tasks = [asyncio.create_task(read()), asyncio.create_task(beat_when_quiet())]
    try:
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            quiet_since = time.monotonic()
            yield item
    finally:
        closing = True
        for task in tasks:
            task.cancel()
