"""Minimal, fast HTTP/1.1 pieces for benchmarks: a fake OpenAI upstream and a keep-alive
load generator. Both are deliberately tiny so that what a benchmark measures is the proxy
between them, not the harness."""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

CHAT_JSON = json.dumps({
    "id": "chatcmpl-bench", "object": "chat.completion", "created": 1, "model": "gpt-fake",
    "choices": [{"index": 0, "message": {"role": "assistant",
                                         "content": "The answer is forty-two."},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
}).encode()


def _chat_stream_body(pieces: int = 20) -> bytes:
    def chunk(delta: dict, finish: str | None = None) -> bytes:
        obj = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1,
               "model": "gpt-fake", "choices": [{"index": 0, "delta": delta,
                                                 "finish_reason": finish}]}
        return b"data: " + json.dumps(obj).encode() + b"\n\n"

    frames = [chunk({"role": "assistant", "content": ""})]
    frames += [chunk({"content": f"tok{i} "}) for i in range(pieces)]
    frames.append(chunk({}, "stop"))
    usage = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": 1,
             "model": "gpt-fake", "choices": [],
             "usage": {"prompt_tokens": 20, "completion_tokens": pieces, "total_tokens": 40}}
    frames.append(b"data: " + json.dumps(usage).encode() + b"\n\n")
    frames.append(b"data: [DONE]\n\n")
    return b"".join(frames)


STREAM_BODY = _chat_stream_body()


class _UpstreamProtocol(asyncio.Protocol):
    """Answers every request on a keep-alive connection with a canned chat completion,
    as JSON or as an SSE stream when the body asks for ``"stream": true``."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]
        self.buffer = b""

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            head_end = self.buffer.find(b"\r\n\r\n")
            if head_end < 0:
                return
            head = self.buffer[:head_end].lower()
            length = 0
            marker = head.find(b"\r\ncontent-length:")
            if marker >= 0:
                line_end = head.find(b"\r\n", marker + 2)
                length = int(head[marker + 17:line_end if line_end >= 0 else len(head)])
            if len(self.buffer) < head_end + 4 + length:
                return
            body = self.buffer[head_end + 4:head_end + 4 + length]
            self.buffer = self.buffer[head_end + 4 + length:]
            streaming = b'"stream":true' in body.replace(b" ", b"")
            payload, kind = (STREAM_BODY, b"text/event-stream") if streaming else (
                CHAT_JSON, b"application/json")
            self.transport.write(  # type: ignore[attr-defined]
                b"HTTP/1.1 200 OK\r\ncontent-type: " + kind + b"\r\ncontent-length: "
                + str(len(payload)).encode() + b"\r\n\r\n" + payload)


async def serve_upstream(port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(_UpstreamProtocol, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


def run_upstream(port: int) -> None:
    """Entry point for a separate process."""
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    asyncio.run(serve_upstream(port))


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    marker = lower.find(b"\r\ncontent-length:")  # at a line start: not x-foo-content-length
    if marker >= 0:
        end = lower.find(b"\r\n", marker + 2)
        await reader.readexactly(int(lower[marker + 17:end].strip()))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        while True:
            size = int((await reader.readline()).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readline()
                break
            await reader.readexactly(size + 2)
    return status


async def load(host: str, port: int, path: str, body: bytes, *, concurrency: int,
               seconds: float, warmup: int = 20, headers: dict[str, str] | None = None
               ) -> LoadResult:
    """Keep-alive workers send ``body`` back to back for ``seconds``; returns latencies."""
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
    request = (f"POST {path} HTTP/1.1\r\nhost: {host}:{port}\r\ncontent-type: application/json"
               f"\r\ncontent-length: {len(body)}\r\n{extra}\r\n").encode() + body
    result = LoadResult()

    async def worker(deadline: float, record: bool, count: int | None) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        done = 0
        try:
            while (count is None and time.perf_counter() < deadline) or (
                    count is not None and done < count):
                started = time.perf_counter()
                writer.write(request)
                try:
                    status = await _read_response(reader)
                except (asyncio.IncompleteReadError, ConnectionError):
                    # The server closed the keep-alive connection: count it, reconnect.
                    status = 0
                    writer.close()
                    reader, writer = await asyncio.open_connection(host, port)
                if record:
                    if status == 200:
                        result.latencies.append(time.perf_counter() - started)
                    else:
                        result.errors += 1
                done += 1
        finally:
            writer.close()

    await asyncio.gather(*(worker(0, False, warmup) for _ in range(concurrency)))
    started = time.perf_counter()
    deadline = started + seconds
    await asyncio.gather(*(worker(deadline, True, None) for _ in range(concurrency)))
    result.elapsed = time.perf_counter() - started
    return result
