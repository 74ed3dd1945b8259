"""Symbols of a file or a folder, straight from tree-sitter (no stored graph needed).

Outlines are what lets ``read`` answer large files with their shape instead of their bytes,
and what the ``outline`` tool returns for a whole folder.
"""

from __future__ import annotations

from typing import Any

from mcp.types import CallToolResult

from mcp_servers.grep_worker import FileTooLarge, read_regular
from mcp_servers.savings import check_page, tool_result
from mcp_servers.workspace import Workspace

_MAX_FILE_BYTES = 2_000_000


def outline_file(rel: str, source: bytes) -> list[dict[str, Any]]:
    """Symbols of one file (kind, name, qualname, start_line, end_line, signature); [] if the
    language is unknown or the graph package is not available."""
    try:
        from graph.extract import outline_source
        from graph.languages import language_for_path
    except ImportError:
        return []
    language = language_for_path(rel)
    if language is None:
        return []
    try:
        return outline_source(source, language)
    except Exception:  # a grammar failing on one odd file must not fail the whole tool
        return []


def outline_path(ws: Workspace, path: str = ".", limit: int = 400,
                 offset: int = 0) -> CallToolResult:
    """Top-level symbols (and methods) per file, as one TOON table per file; ``offset``
    skips that many symbols first (counted across files in walk order)."""
    from lynkr.optimize.toon import encode

    check_page(limit, offset)
    start = ws.resolve(path)
    files: list[dict[str, Any]] = []
    raw_parts: list[str] = []
    shown = total = 0
    for file in ws.walk(start):
        try:
            source = read_regular(str(file), _MAX_FILE_BYTES)
        except FileTooLarge:
            continue
        if source is None:
            continue
        rel = ws.relative(file)
        symbols = outline_file(rel, source)
        if not symbols:
            continue
        raw_parts.append(source.decode("utf-8", errors="replace"))
        skip = min(len(symbols), max(0, offset - total))
        total += len(symbols)
        room = max(0, limit - shown)
        rows = [{"kind": s["kind"], "name": s["qualname"],
                 "lines": f"{s['start_line']}-{s['end_line']}"}
                for s in symbols[skip:skip + room]]
        shown += len(rows)
        if rows:
            files.append({"file": rel, "symbols": rows})
    text = encode({"files": files}) if files else f"no symbols found under {path!r}"
    if total > offset + shown:
        text += (f"\n{total - offset - shown} more symbols not shown; call again with "
                 f"offset={offset + shown}, or outline a narrower path")
    return tool_result(text, raw_text="\n".join(raw_parts), symbols=total, shown=shown)
