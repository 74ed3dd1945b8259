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


def compact_row(row: Any) -> Any:
    """A graph record cut to what a model navigates by: name, kind, ``file:lines``, and
    whether a call edge was resolved. Other fields (ids, metrics) stay in the graph."""
    if not isinstance(row, dict) or "file" not in row:
        return row
    lines = row.get("start_line")
    if lines is not None and row.get("end_line") not in (None, lines):
        lines = f"{lines}-{row['end_line']}"
    out = {"name": row.get("qualname") or row.get("name"), "kind": row.get("kind"),
           "at": f"{row['file']}:{lines}" if lines is not None else row["file"]}
    if "resolved" in row:
        out["resolved"] = row["resolved"]
    return out


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

    def _query(self, label: str, call: Callable[[Any], Any], limit: int | None = None
               ) -> CallToolResult:
        full = plain(call(self.graph()))
        raw = json.dumps(full)
        result = [compact_row(r) for r in full] if isinstance(full, list) else full
        total = len(result) if isinstance(result, list) else None
        if isinstance(result, list) and limit is not None and len(result) > limit:
            result = result[:limit]
        if result in (None, [], {}):
            return toon_result({label: []}, raw_text=raw, note="nothing found")
        value = {label: result}
        if total is not None and limit is not None and total > limit:
            value["more"] = f"{total - limit} more not shown; raise limit"
        return toon_result(value, raw_text=raw)

    def symbols(self, name: str, limit: int = 50) -> CallToolResult:
        return self._query("symbols", lambda g: g.symbol(name), limit)

    def callers(self, name: str) -> CallToolResult:
        return self._query("callers", lambda g: g.callers(name), 200)

    def callees(self, name: str) -> CallToolResult:
        return self._query("callees", lambda g: g.callees(name), 200)

    def blast_radius(self, files: list[str]) -> CallToolResult:
        rels = [self.ws.relative(self.ws.resolve(f)) for f in files]
        return self._query("affected", lambda g: g.blast_radius(rels))
