"""Run an ASGI app with uvicorn on a free loopback port in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any, TypeVar

import uvicorn

F = TypeVar("F")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _LoopbackServer(uvicorn.Server):
    """uvicorn as it serves in production, stopped without its polling delays.

    uvicorn notices ``should_exit`` on a 0.1 s tick, then sleeps 0.1 s before waiting, again
    in 0.1 s steps, for connections to close: about 0.16 s per stop, and the suite starts and
    stops some 600 servers. Here the tick is split into 10 ms checks and the shutdown polls
    every 5 ms; each step is otherwise uvicorn's own (date header refreshed on its tick,
    connections asked to close, the graceful timeout, then the app's lifespan shutdown).
    """

    async def main_loop(self) -> None:
        counter = 0
        while not await self.on_tick(counter):
            counter += 1
            for _ in range(10):
                if self.should_exit:
                    break
                await asyncio.sleep(0.01)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        for server in self.servers:
            server.close()
        for sock in sockets or []:
            sock.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        try:
            await asyncio.wait_for(self._drain(), timeout=self.config.timeout_graceful_shutdown)
        except TimeoutError:
            for task in self.server_state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()

    async def _drain(self) -> None:
        state = self.server_state
        while (state.connections or state.tasks) and not self.force_exit:
            await asyncio.sleep(0.005)
        for server in self.servers:
            await server.wait_closed()


@contextlib.contextmanager
def serve(app: object, port: int | None = None) -> Iterator[str]:
    """Serve ``app`` on 127.0.0.1 and yield its base URL; stop it on exit."""
    port = port or free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on", timeout_graceful_shutdown=1)
    server = _LoopbackServer(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("server did not start")
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=5)


@contextlib.contextmanager
def serving(fake: F) -> Iterator[F]:
    """Serve a fake upstream's ``app`` on loopback; its base URL is set as ``fake.url``."""
    app: Any = getattr(fake, "app")  # noqa: B009 - every fake exposes its Starlette app
    with serve(app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake
