"""One client connection to one MCP server: started lazily, timed out, restarted after a crash.

An ``mcp.Client`` is an async context manager whose transport tasks belong to the task that
entered it, while tool calls arrive on many request tasks. So each server process is owned by
a small background task (started in the hub's task group) that enters the client, publishes
it and waits; calls use the published client from any task. When the server dies, or stops
answering even a ping after a call timed out, the call fails, that process is closed (a
stdio server's process tree is killed) and the next call starts a fresh one.
"""

from __future__ import annotations

from typing import Any

import anyio
from anyio.abc import TaskGroup
from mcp import Client, StdioServerParameters
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, Tool

from code_mode.config import ServerSpec

# Longest wait for a ping after a timed-out call before the server counts as stuck.
MAX_PING_GRACE = 5.0
# Bound on closing one server process: the SDK closes stdin, waits 2 s, then SIGTERMs and
# after 2 s more SIGKILLs the process group.
CLOSE_TIMEOUT = 8.0


class ServerUnavailable(Exception):
    """The server could not be started, or died (or got stuck) during a call."""


def _transport_target(spec: ServerSpec) -> StdioServerParameters | str:
    if spec.url:
        return spec.url
    assert spec.command is not None
    return StdioServerParameters(command=spec.command, args=list(spec.args),
                                 env=dict(spec.env) or None, cwd=spec.cwd)


class _Run:
    """One started server process (or HTTP session) and the events of its life.

    A restart makes a new run while the old one may still be closing, so an old run's end
    must never touch the state of the new one.
    """

    def __init__(self) -> None:
        self.client: Client | None = None
        self.ready = anyio.Event()
        self.stop = anyio.Event()
        self.done = anyio.Event()


class ServerConnection:
    """A lazily started client for ``spec``; ``tools`` is the server's listing once started."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self.tools: list[Tool] = []
        self.state = "not started"
        self.starts = 0
        self.last_error = ""
        self._run: _Run | None = None
        self._open: set[_Run] = set()
        self._lock = anyio.Lock()

    async def client(self, tg: TaskGroup) -> Client:
        """The live client, starting (or restarting) the server first when needed."""
        client, _ = await self._current(tg)
        return client

    async def _current(self, tg: TaskGroup) -> tuple[Client, _Run]:
        async with self._lock:
            run = self._run
            if run is not None and run.client is not None:
                return run.client, run
            run = self._run = _Run()
            self._open.add(run)
            self.starts += 1
            tg.start_soon(self._own, run)
            with anyio.move_on_after(self.spec.startup_timeout):
                await run.ready.wait()
            if run.client is None:
                if not run.ready.is_set():
                    self.last_error = f"did not start within {self.spec.startup_timeout:g}s"
                    run.stop.set()
                self.state = "failed"
                raise ServerUnavailable(f"MCP server {self.spec.name!r} is unavailable: "
                                        f"{self.last_error}")
            return run.client, run

    async def _own(self, run: _Run) -> None:
        """Owns one run's client for its whole life (see the module docstring for why)."""
        try:
            async with Client(_transport_target(self.spec), mode="legacy",
                              cache=None) as client:
                tools = await _list_all_tools(client)
                if run is self._run and not run.stop.is_set():
                    self.tools = tools
                    run.client = client
                    self.state = "running"
                    self.last_error = ""
                    run.ready.set()
                    await run.stop.wait()
        except Exception as exc:  # a server's failure is reported, never raised into the hub
            if run is self._run:
                self.last_error = _describe(exc)
        finally:
            run.client = None
            if run is self._run and self.state == "running":
                self.state = "stopped" if run.stop.is_set() else "crashed"
            run.ready.set()
            run.done.set()
            self._open.discard(run)

    async def closed(self) -> None:
        """Wait until every run has closed its client (immediately if none runs)."""
        while self._open:
            await next(iter(self._open)).done.wait()

    def stop(self) -> None:
        """Ask every run to close its client (and end a stdio server's process tree)."""
        for run in self._open:
            run.stop.set()

    async def call(self, tg: TaskGroup, name: str, arguments: dict[str, Any]) -> CallToolResult:
        """Call one tool with the spec's timeout; a dead or stuck server becomes
        ``ServerUnavailable`` and is restarted on the next call."""
        client, run = await self._current(tg)
        try:
            with anyio.fail_after(self.spec.timeout):
                # Abandoning the request (the timeout) makes the SDK send the server
                # notifications/cancelled for it.
                return await client.call_tool(name, arguments)
        except TimeoutError as exc:
            late = f"{self.spec.name}.{name} did not answer within {self.spec.timeout:g}s"
            if await _answers_ping(client, min(self.spec.timeout, MAX_PING_GRACE)):
                raise ServerUnavailable(f"{late}; the call was cancelled") from exc
            await self._close_crashed(run, f"stuck: no answer to a ping after {late}")
            raise ServerUnavailable(
                f"{late} and the server stopped answering; it was stopped and is restarted "
                "on the next call") from exc
        except MCPError as exc:
            if _is_disconnect(exc):
                self._mark_crashed(run, _describe(exc))
                raise ServerUnavailable(
                    f"MCP server {self.spec.name!r} crashed during {name} ({exc}); "
                    "it is restarted on the next call") from exc
            raise
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, anyio.EndOfStream,
                OSError) as exc:
            self._mark_crashed(run, _describe(exc))
            raise ServerUnavailable(
                f"MCP server {self.spec.name!r} crashed during {name} ({_describe(exc)}); "
                "it is restarted on the next call") from exc

    def _mark_crashed(self, run: _Run, error: str) -> None:
        if run is self._run:
            self.last_error = error
            self.state = "crashed"
        run.client = None
        run.stop.set()

    async def _close_crashed(self, run: _Run, error: str) -> None:
        """Mark ``run`` crashed and wait (bounded) until its process is gone, so a stuck
        server is not left running next to its replacement."""
        self._mark_crashed(run, error)
        with anyio.move_on_after(CLOSE_TIMEOUT):
            await run.done.wait()


async def _answers_ping(client: Client, grace: float) -> bool:
    with anyio.move_on_after(grace):
        try:
            await client.session.send_ping()
        except Exception:  # any failure to answer means the server cannot be trusted
            return False
        return True
    return False


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
