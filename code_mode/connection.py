"""One client connection to one MCP server: started lazily, timed out, restarted after a crash.

An ``mcp.Client`` is an async context manager whose transport tasks belong to the task that
entered it, while tool calls arrive on many request tasks. So each connection is owned by a
small background task (started in the hub's task group) that enters the client, publishes it
and waits; calls use the published client from any task. When the server dies the call fails,
the connection is marked crashed, and the next call starts a fresh process.
"""

from __future__ import annotations

from typing import Any

import anyio
from anyio.abc import TaskGroup
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, Tool

from code_mode.config import ServerSpec


class ServerUnavailable(Exception):
    """The server could not be started, or died during a call."""


def _transport_target(spec: ServerSpec) -> StdioServerParameters | str:
    if spec.url:
        return spec.url
    assert spec.command is not None
    return StdioServerParameters(command=spec.command, args=list(spec.args),
                                 env=dict(spec.env) or None, cwd=spec.cwd)


class ServerConnection:
    """A lazily started client for ``spec``; ``tools`` is the server's listing once started."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.tools: list[Tool] = []
        self.state = "not started"
        self.starts = 0
        self.last_error = ""
        self._client: Client | None = None
        self._stop: anyio.Event | None = None
        self._done: anyio.Event | None = None
        self._lock = anyio.Lock()

    async def client(self, tg: TaskGroup) -> Client:
        """The live client, starting (or restarting) the server first when needed."""
        async with self._lock:
            if self._client is not None:
                return self._client
            ready = anyio.Event()
            self.starts += 1
            tg.start_soon(self._own, ready)
            with anyio.move_on_after(self.spec.startup_timeout):
                await ready.wait()
            if self._client is None:
                if not ready.is_set():
                    self.last_error = f"did not start within {self.spec.startup_timeout:g}s"
                    self.stop()
                self.state = "failed"
                raise ServerUnavailable(f"MCP server {self.spec.name!r} is unavailable: "
                                        f"{self.last_error}")
            return self._client

    async def _own(self, ready: anyio.Event) -> None:
        """Owns the client for its whole life (see the module docstring for why)."""
        stop = self._stop = anyio.Event()
        done = self._done = anyio.Event()
        try:
            async with Client(_transport_target(self.spec), mode="legacy",
                              cache=None) as client:
                self.tools = await _list_all_tools(client)
                self._client = client
                self.state = "running"
                self.last_error = ""
                ready.set()
                await stop.wait()
        except Exception as exc:  # a server's failure is reported, never raised into the hub
            self.last_error = _describe(exc)
        finally:
            self._client = None
            if self.state == "running":
                self.state = "stopped" if stop.is_set() else "crashed"
            ready.set()
            done.set()

    async def closed(self) -> None:
        """Wait until the owning task has closed the client (immediately if none runs)."""
        if self._done is not None:
            await self._done.wait()

    def stop(self) -> None:
        """Ask the owning task to close the client (and end a stdio server's process)."""
        if self._stop is not None:
            self._stop.set()

    async def call(self, tg: TaskGroup, name: str, arguments: dict[str, Any]) -> CallToolResult:
        """Call one tool with the spec's timeout; a dead server becomes ``ServerUnavailable``."""
        client = await self.client(tg)
        try:
            with anyio.fail_after(self.spec.timeout):
                return await client.call_tool(name, arguments)
        except TimeoutError as exc:
            raise ServerUnavailable(f"{self.spec.name}.{name} did not answer within "
                                    f"{self.spec.timeout:g}s") from exc
        except MCPError as exc:
            if _is_disconnect(exc):
                self._mark_crashed(exc)
                raise ServerUnavailable(
                    f"MCP server {self.spec.name!r} crashed during {name} ({exc}); "
                    "it is restarted on the next call") from exc
            raise
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream,
                OSError) as exc:
            self._mark_crashed(exc)
            raise ServerUnavailable(
                f"MCP server {self.spec.name!r} crashed during {name} ({_describe(exc)}); "
                "it is restarted on the next call") from exc

    def _mark_crashed(self, exc: BaseException) -> None:
        self.last_error = _describe(exc)
        self.state = "crashed"
        self._client = None
        self.stop()


def _is_disconnect(exc: MCPError) -> bool:
    text = str(exc).lower()
    return any(word in text for word in ("closed", "disconnect", "eof", "terminated"))


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


async def _list_all_tools(client: Client) -> list[Tool]:
    tools: list[Tool] = []
    cursor: str | None = None
    for _ in range(100):
        page = await client.list_tools(cursor=cursor)
        tools.extend(page.tools)
        cursor = page.next_cursor
        if not cursor:
            break
    return tools

