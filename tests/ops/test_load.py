"""Many concurrent streams against a slow upstream: all complete, memory stays bounded, and
clients that hang up release their upstream connection."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

from lynkr.ops.shedding import rss_bytes
from tests.fakes.server import serve
from tests.ops.helpers import base_env, running

CONCURRENCY = 500


class SlowUpstream:
    """OpenAI chat SSE, one short chunk every ``delay`` seconds; counts open streams."""

    def __init__(self, chunks: int = 6, delay: float = 0.05) -> None:
        self.chunks, self.delay = chunks, delay
        self.open = 0
        self.served = 0
        self.app = Starlette(routes=[Route("/v1/chat/completions", self.chat,
                                           methods=["POST"])])

    async def chat(self, request: Request) -> StreamingResponse:
        await request.body()

        async def body() -> AsyncIterator[bytes]:
            self.open += 1
            try:
                for i in range(self.chunks):
                    await asyncio.sleep(self.delay)
                    yield _chunk({"content": f"w{i} "})
                yield _chunk({}, finish="stop")
                yield b"data: [DONE]\n\n"
                self.served += 1
            finally:
                self.open -= 1

        return StreamingResponse(body(), media_type="text/event-stream")


def _chunk(delta: dict, finish: str | None = None) -> bytes:
    payload = {"id": "c", "object": "chat.completion.chunk", "created": 1, "model": "slow",
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return b"data: " + json.dumps(payload).encode() + b"\n\n"


@pytest.fixture
def slow_proxy(tmp_path) -> Iterator[tuple[str, SlowUpstream]]:  # type: ignore[no-untyped-def]
    upstream = SlowUpstream()
    with serve(upstream.app) as upstream_url:
        env = base_env(upstream_url, tmp_path, ROUTING_ENABLED="false",
                       TOOL_SELECTION="off", TOOL_RESULT_COMPRESSION="off")
        with running(env) as (url, _app):
            yield url, upstream


async def stream_one(client: httpx.AsyncClient, url: str, i: int) -> bytes:
    body = {"model": "m", "max_tokens": 20, "stream": True,
            "messages": [{"role": "user", "content": f"question {i}"}]}
    async with client.stream("POST", f"{url}/v1/messages", json=body) as response:
        assert response.status_code == 200
        return await response.aread()


def test_500_concurrent_streams_complete_with_bounded_memory(slow_proxy) -> None:  # type: ignore[no-untyped-def]
    url, upstream = slow_proxy

    async def run() -> list[bytes]:
        # Warm up on a client of its own: an idle keep-alive connection reused while the
        # proxy is saturated can meet the server's keep-alive timeout (a client-side race
        # that real agents retry, not what this test is about).
        async with httpx.AsyncClient(timeout=60) as warm:
            await stream_one(warm, url, -1)
        before = rss_bytes()
        limits = httpx.Limits(max_connections=CONCURRENCY + 10)
        async with httpx.AsyncClient(timeout=60, limits=limits) as client:
            bodies = await asyncio.gather(*(stream_one(client, url, i)
                                            for i in range(CONCURRENCY)))
            growth = rss_bytes() - before
            assert growth < 300 * 2**20, f"RSS grew by {growth // 2**20} MB"
            return bodies

    bodies = asyncio.run(run())
    assert all(b"message_stop" in body and b"w5" in body for body in bodies)
    assert upstream.served == CONCURRENCY + 1
    metrics = httpx.get(f"{url}/metrics").text
    assert "lynkr_active_streams 0.0" in metrics


def test_clients_that_hang_up_mid_stream_release_the_upstream(slow_proxy) -> None:  # type: ignore[no-untyped-def]
    url, upstream = slow_proxy
    upstream.chunks, upstream.delay = 200, 0.05  # ten seconds per stream if nobody hangs up

    async def hang_up_early(client: httpx.AsyncClient, i: int) -> None:
        body = {"model": "m", "max_tokens": 20, "stream": True,
                "messages": [{"role": "user", "content": f"q{i}"}]}
        async with client.stream("POST", f"{url}/v1/messages", json=body) as response:
            async for chunk in response.aiter_bytes():
                if b"text_delta" in chunk:
                    break  # leaving the block closes the connection

    async def run() -> None:
        async with httpx.AsyncClient(timeout=30, limits=httpx.Limits(max_connections=200)) \
                as client:
            await asyncio.gather(*(hang_up_early(client, i) for i in range(100)))

    asyncio.run(run())
    deadline = time.monotonic() + 10
    while upstream.open and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.open == 0
    assert upstream.served == 0
    deadline = time.monotonic() + 5
    while "lynkr_active_streams 0.0" not in httpx.get(f"{url}/metrics").text:
        assert time.monotonic() < deadline, "proxy still counts streams as active"
        time.sleep(0.05)
