"""Graph tools (symbols, callers, callees, blast_radius) over the workspace's code graph.

The graph is built on first use and refreshed incrementally (by content hash) at most every
few seconds, so an agent editing files sees current edges without paying a rebuild per call.
Query results are whatever ``graph.query`` returns; they are turned into plain data and sent
as TOON.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, is_dataclass
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult

from mcp_servers.savings import toon_result
from mcp_servers.workspace import Workspace

REFRESH_SECONDS = 5.0


def plain(value: Any) -> Any:
    """Graph records (dataclasses, NamedTuples, sets, paths) as JSON-compatible data."""
    if is_dataclass(value) and not isinstance(value, type):
        return {k: plain(v) for k, v in asdict(value).items()}
    if hasattr(value, "_asdict"):
        return {k: plain(v) for k, v in value._asdict().items()}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [plain(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _lines(row: dict[str, Any]) -> str:
    start, end = row.get("start_line"), row.get("end_line")
    if start is None:
        return row.get("file") or ""
    return f"{row['file']}:{start}" + (f"-{end}" if end not in (None, start) else "")


def compact_row(row: Any) -> Any:
    """A graph record cut to what a model navigates by, keeping what tells same-named
    symbols apart: the ``file::qualname`` id (which the graph tools accept as a name),
    ``file:lines``, and for a call edge the id at its other end and the call's line.
    Metrics stay in the graph. Every row of one answer has the same keys, so it is a table."""
    if not isinstance(row, dict):
        return row
    if "caller" in row:  # an edge from graph.callees: the callee's side is described
        return {"callee": row.get("id") or row.get("name"), "kind": row.get("kind") or "",
                "at": _lines(row), "caller": row["caller"], "line": row.get("line") or "",
                "resolved": row.get("resolved", True)}
    if "callee" in row:  # an edge from graph.callers: the caller's side is described
        return {"caller": row.get("id"), "kind": row.get("kind") or "",
                "line": row.get("line") or "", "callee": row["callee"],
                "resolved": row.get("resolved", True)}
    if "file" not in row:
        return row
    return {"id": row.get("id") or row.get("qualname") or row.get("name"),
            "kind": row.get("kind"), "at": _lines(row)}


class GraphTools:
    """Lazily built code graph for one workspace, shared by the graph tools."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self._graph: Any = None
        self._refreshed = 0.0
        self._lock = threading.Lock()

    def graph(self) -> Any:
        """The current graph, (re)built incrementally when older than ``REFRESH_SECONDS``."""
        try:
            from graph.build import build_graph
            from graph.query import load_graph
        except ImportError as exc:
            raise ToolError(f"the code graph is not available in this install ({exc})") from exc
        with self._lock:
            if self._graph is None or time.monotonic() - self._refreshed > REFRESH_SECONDS:
                build_graph(self.ws.root)
                self._graph = load_graph(self.ws.root)
                self._refreshed = time.monotonic()
            if self._graph is None:
                raise ToolError("the code graph could not be built for this workspace")
            return self._graph

    def _query(self, label: str, call: Callable[[Any], Any], limit: int | None = None,
               offset: int = 0) -> CallToolResult:
        full = plain(call(self.graph()))
        raw = json.dumps(full)
        if not isinstance(full, list):
            return toon_result({label: full}, raw_text=raw)
        total = len(full)
        end = total if limit is None else min(total, offset + limit)
        rows = [compact_row(r) for r in full[offset:end]]
        if not rows:
            note = "nothing found" if not total else f"offset {offset} is past the {total} rows"
            return toon_result({label: []}, raw_text=raw, note=note)
        value: dict[str, Any] = {label: rows}
        if end < total:
            value["more"] = (f"rows {offset + 1}-{end} of {total} shown; "
                             f"pass offset={end} for the next {min(end - offset, total - end)}")
        return toon_result(value, raw_text=raw, total=total)

    def symbols(self, name: str, limit: int = 50, offset: int = 0) -> CallToolResult:
        return self._query("symbols", lambda g: g.symbol(name), limit, offset)

    def callers(self, name: str, limit: int = 200, offset: int = 0) -> CallToolResult:
        return self._query("callers", lambda g: g.callers(name), limit, offset)

    def callees(self, name: str, limit: int = 200, offset: int = 0) -> CallToolResult:
        return self._query("callees", lambda g: g.callees(name), limit, offset)

    def blast_radius(self, files: list[str]) -> CallToolResult:
        rels = [self.ws.relative(self.ws.resolve(f)) for f in files]
        return self._query("affected", lambda g: g.blast_radius(rels))
