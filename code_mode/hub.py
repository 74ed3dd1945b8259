"""The hub: every configured MCP server behind one catalog (search, describe, call).

Tools are named ``server.tool``; a bare tool name is accepted when only one server has it.
Servers start on first need (the first search, describe or call), all at once, and a server
that cannot start is listed with its error instead of failing the others.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import TaskGroup
from mcp.types import CallToolResult

from code_mode.bm25 import BM25, tokenize
from code_mode.config import ServerSpec
from code_mode.connection import CLOSE_TIMEOUT, ServerConnection, ServerUnavailable


class UnknownTool(LookupError):
    """No server offers a tool by that name (or several do and the name is ambiguous)."""


@dataclass(frozen=True)
class CatalogEntry:
    """One tool of one server, as the catalog knows it."""

    server: str
    name: str
    description: str
    input_schema: dict[str, Any]

    @property
    def qualified(self) -> str:
        return f"{self.server}.{self.name}"

    def summary(self) -> str:
        """The first sentence or line of the description, for search results."""
        text = " ".join(self.description.split())
        for end in (". ", "\n"):
            if end in text:
                text = text[:text.index(end) + 1]
                break
        return text if len(text) <= 160 else text[:159] + "…"

    def search_text(self) -> list[str]:
        params = " ".join(self.input_schema.get("properties", {}) or {})
        # The name counts three times: a match on the name beats one in a long description.
        return tokenize(" ".join([self.name] * 3 + [self.server, self.description, params]))


class Hub:
    """Connections to the configured servers, and the catalog over their tools."""

    def __init__(self, specs: list[ServerSpec]) -> None:
        self.connections = {spec.name: ServerConnection(spec) for spec in specs}
        self._tg: TaskGroup | None = None
        self._entries: list[CatalogEntry] | None = None
        self._index: BM25 | None = None
        self._catalog_lock = anyio.Lock()

    async def __aenter__(self) -> Hub:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, tb: TracebackType | None) -> bool | None:
        assert self._tg is not None
        self.stop()
        # Let each client close its server (stdin closed; a server that does not exit is
        # killed with its process tree by the SDK); cancelling first would cut that short.
        with anyio.move_on_after(CLOSE_TIMEOUT):
            await self.closed()
        self._tg.cancel_scope.cancel()
        return await self._tg.__aexit__(exc_type, exc, tb)

    def stop(self) -> None:
        """Ask every server to close; the closes run concurrently in the hub's tasks."""
        for connection in self.connections.values():
            connection.stop()

    async def closed(self) -> None:
        """Wait until every server's client is closed (and its process gone)."""
        for connection in self.connections.values():
            await connection.closed()

    @property
    def tg(self) -> TaskGroup:
        if self._tg is None:
            raise RuntimeError("use the hub inside 'async with hub:'")
        return self._tg

    async def _start(self, connection: ServerConnection) -> None:
        try:
            await connection.client(self.tg)
        except ServerUnavailable:
            pass  # recorded on the connection; list_servers reports it

    async def entries(self) -> list[CatalogEntry]:
        """Every tool of every reachable server (starting servers not yet started)."""
        async with self._catalog_lock:
            # Crashed servers keep their listing (a call restarts them); only servers never
            # started are started here.
            waiting = [c for c in self.connections.values() if c.state == "not started"]
            if self._entries is None or waiting:
                async with anyio.create_task_group() as tg:
                    for connection in waiting:
                        tg.start_soon(self._start, connection)
                self._entries = [
                    CatalogEntry(name, tool.name, tool.description or "",
                                 dict(tool.input_schema or {}))
                    for name, connection in self.connections.items()
                    for tool in connection.tools
                ]
                self._index = BM25([entry.search_text() for entry in self._entries])
            return self._entries

    async def search(self, query: str, limit: int = 8) -> list[CatalogEntry]:
        """Tools ranked by BM25 relevance to ``query``."""
        entries = await self.entries()
        assert self._index is not None
        return [entries[i] for i, _ in self._index.rank(tokenize(query), limit)]

    async def find(self, name: str) -> CatalogEntry:
        """The catalog entry called ``name`` (qualified, or bare when unambiguous)."""
        entries = await self.entries()
        exact = [e for e in entries if e.qualified == name]
        if exact:
            return exact[0]
        bare = [e for e in entries if e.name == name]
        if len(bare) == 1:
            return bare[0]
        if bare:
            options = ", ".join(e.qualified for e in bare)
            raise UnknownTool(f"{name!r} is offered by several servers; use one of: {options}")
        raise UnknownTool(f"no tool named {name!r}; use search_tools to find one")

    async def call(self, name: str, arguments: dict[str, Any]) -> tuple[CatalogEntry,
                                                                           CallToolResult]:
        """Call the tool ``name`` on its server."""
        entry = await self.find(name)
        connection = self.connections[entry.server]
        return entry, await connection.call(self.tg, entry.name, arguments)

    def servers(self) -> list[dict[str, Any]]:
        """Each configured server: transport, state, tool count and last error."""
        return [
            {"name": name, "transport": c.spec.transport, "state": c.state,
             "tools": len(c.tools) if c.state == "running" else 0, "error": c.last_error}
            for name, c in self.connections.items()
        ]
