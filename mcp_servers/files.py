"""``read`` and ``find``: file contents and listings, shaped to cost few tokens.

A large file read whole is mostly tokens the model never looks at; its outline (symbols with
line ranges) plus the region asked for lets the model fetch exactly the part it needs next.
"""

from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult

from mcp_servers.grep_worker import read_regular, split_lines
from mcp_servers.outline import outline_file
from mcp_servers.savings import check_page, tool_result
from mcp_servers.workspace import Workspace

# Files up to this many lines come back whole; past it, outline + region.
LARGE_FILE_LINES = 400
# The region shown from a large file when no range or symbol was asked for.
HEAD_LINES = 40
# The longest range one call returns; longer asks are cut, with a note saying so.
MAX_RANGE_LINES = 800
# The most outline rows a large file's read shows (the outline tool's default page); the rest
# are counted, with how to list them.
MAX_OUTLINE_ROWS = 400
_SIGNATURE_CHARS = 90


def read_text(path: Path) -> str:
    """The file's text; binary files are refused rather than dumped as mojibake, and
    anything but a regular file (a named pipe would block the read forever) is refused."""
    data = read_regular(str(path))
    if data is None:
        raise ToolError(f"{path.name} is not a regular file (a pipe, socket or device); "
                        "not read")
    if b"\x00" in data[:8192]:
        raise ToolError(f"{path.name} is a binary file ({len(data)} bytes); not shown")
    return data.decode("utf-8", errors="replace")


def read_file(ws: Workspace, path: str, start_line: int | None = None,
              end_line: int | None = None, symbol: str | None = None) -> CallToolResult:
    """A file, a line range, one symbol's definition, or (large files) outline + head."""
    real = ws.resolve(path)
    if real.is_dir():
        raise ToolError(f"{path!r} is a directory; use find or outline to list it")
    rel = ws.relative(real)
    text = read_text(real)
    lines = split_lines(text)
    total = len(lines)
    if symbol is not None:
        return _read_symbol(rel, text, lines, symbol)
    if start_line is None and end_line is None:
        if total <= LARGE_FILE_LINES:
            return tool_result(text, raw_text=text, path=rel, lines=total)
        return _outline_and_head(rel, text, lines)
    first = max(1, start_line or 1)
    last = min(total, end_line or total)
    if first > total:
        raise ToolError(f"{rel} has {total} lines; start_line {first} is past the end")
    if last < first:
        raise ToolError(f"end_line {last} is before start_line {first}")
    note = ""
    if last - first + 1 > MAX_RANGE_LINES:
        last = first + MAX_RANGE_LINES - 1
        note = f"\n[cut at {MAX_RANGE_LINES} lines; continue with start_line={last + 1}]"
    body = "\n".join(lines[first - 1:last])
    header = f"{rel} lines {first}-{last} of {total}\n"
    return tool_result(header + body + note, raw_text=text, path=rel, lines=total)


def _outline_rows(rel: str, text: str) -> list[dict[str, Any]]:
    rows = []
    for sym in outline_file(rel, text.encode()):
        rows.append({"kind": sym["kind"], "name": sym["qualname"],
                     "lines": f"{sym['start_line']}-{sym['end_line']}",
                     "params": signature_tail(str(sym.get("signature") or ""), str(sym["name"]))})
    return rows


def signature_tail(signature: str, name: str) -> str:
    """What a signature adds to the symbol's name: ``def f(a, b) -> int:`` -> ``(a, b) -> int``.
    The keyword and the name are already in the outline row; repeating them costs tokens."""
    at = signature.find(name)
    tail = signature[at + len(name):] if at >= 0 else signature
    tail = " ".join(tail.split()).rstrip(":{ ").strip()
    return tail if len(tail) <= _SIGNATURE_CHARS else tail[:_SIGNATURE_CHARS - 1] + "…"


def _outline_and_head(rel: str, text: str, lines: list[str]) -> CallToolResult:
    from lynkr.optimize.toon import encode

    rows = _outline_rows(rel, text)
    parts = [f"{rel}: {len(lines)} lines; outline below, then lines 1-{HEAD_LINES}. "
             "Ask for start_line/end_line or symbol=NAME to see more."]
    if rows:
        parts.append(encode({"symbols": rows[:MAX_OUTLINE_ROWS]}))
        if len(rows) > MAX_OUTLINE_ROWS:
            parts.append(f"{len(rows) - MAX_OUTLINE_ROWS} more symbols not shown (the last "
                         f"shown ends at line {rows[MAX_OUTLINE_ROWS - 1]['lines'].split('-')[1]}"
                         f"); use outline with path={rel!r}, offset={MAX_OUTLINE_ROWS}")
    else:
        parts.append("(no outline: language not recognised)")
    parts.append(f"--- lines 1-{HEAD_LINES}")
    parts.append("\n".join(lines[:HEAD_LINES]))
    return tool_result("\n".join(parts), raw_text=text, path=rel, lines=len(lines),
                       outlined=True)


def _read_symbol(rel: str, text: str, lines: list[str], symbol: str) -> CallToolResult:
    symbols = outline_file(rel, text.encode())
    matches = [s for s in symbols if symbol in (s["qualname"], s["name"])]
    if not matches:
        known = ", ".join(sorted({str(s["qualname"]) for s in symbols})[:40])
        raise ToolError(f"no symbol {symbol!r} in {rel}" + (f"; it defines: {known}" if known
                                                           else ""))
    chunks = []
    for sym in matches:
        first, last = int(sym["start_line"]), int(sym["end_line"])
        chunks.append(f"{rel} lines {first}-{last} ({sym['kind']} {sym['qualname']})\n"
                      + "\n".join(lines[first - 1:last]))
    return tool_result("\n\n".join(chunks), raw_text=text, path=rel, lines=len(lines))


def _matches_pattern(rel: str, name: str, pattern: str) -> bool:
    """Globs with a slash match the path; other globs the name; plain words are substrings."""
    if any(ch in pattern for ch in "*?["):
        target = rel if "/" in pattern else name
        return fnmatch.fnmatchcase(target, pattern) or (
            pattern.startswith("**/") and fnmatch.fnmatchcase(target, pattern[3:]))
    return pattern.lower() in (rel if "/" in pattern else name).lower()


def find_files(ws: Workspace, pattern: str, path: str = ".", limit: int = 200,
               offset: int = 0) -> CallToolResult:
    """Files under ``path`` whose name (or path) matches ``pattern``, with sizes."""
    from lynkr.optimize.toon import encode

    check_page(limit, offset)
    start = ws.resolve(path)
    found: list[dict[str, Any]] = []
    for file in ws.walk(start):
        rel = ws.relative(file)
        if _matches_pattern(rel, file.name, pattern):
            found.append({"path": rel, "size": file.stat().st_size})
    page = found[offset:offset + limit]
    raw = "\n".join(f"{row['size']}\t{row['path']}" for row in found)
    value: dict[str, Any] = {"total": len(found), "files": page}
    remaining = len(found) - offset - len(page)
    text = encode(value)
    if remaining > 0:
        text += f"\n{remaining} more files; call again with offset={offset + len(page)}"
    return tool_result(text, raw_text=raw, total=len(found), shown=len(page))
