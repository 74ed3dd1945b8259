"""``grep``: regex or literal search over the workspace, grouped per file, paged.

``grep -rn`` repeats the path on every line and dumps every match; here each file appears once
with its match count, lines are trimmed of indentation, identical lines of a file share a row
listing their numbers, files beyond the page are listed with their counts (a TOON table), and
a page is capped with an honest "N more matches" line, so the model pays for what it reads
and can ask for the rest.
ripgrep is used when installed (fast, .gitignore-aware; :mod:`mcp_servers.ripgrep`), otherwise
a Python walk that honours .gitignore through pathspec; either way the files left out for
size are counted and named in the answer.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult

from mcp_servers import ripgrep
from mcp_servers.grep_worker import SearchTimeout, run_search
from mcp_servers.savings import check_page, tool_result
from mcp_servers.workspace import Workspace

_MAX_FILE_BYTES = 4_000_000
_LINE_CHARS = 200
# Seconds a search may take before it is stopped with a tool error, unless the server was
# given another (``lynkr mcp --grep-timeout``).
DEADLINE_SECONDS = 20.0


@dataclass(frozen=True, slots=True)
class Match:
    """One matching line; ``line`` is 1-based, ``column`` is where the match starts (0-based)."""

    path: str
    line: int
    text: str
    column: int = 0


@dataclass(frozen=True, slots=True)
class Found:
    """Every match of a search, and how many files were left out for being too large."""

    matches: list[Match]
    too_big: int = 0


def compile_pattern(pattern: str, *, literal: bool, ignore_case: bool) -> re.Pattern[str]:
    """The search pattern as a Python regex; a bad regex is a tool error naming the problem."""
    flags = re.IGNORECASE if ignore_case else 0
    try:
        return re.compile(re.escape(pattern) if literal else pattern, flags)
    except re.error as exc:
        raise ToolError(f"invalid regex {pattern!r}: {exc}; pass literal=true to search the "
                        "text as written") from exc


def _python_search(ws: Workspace, start: Path, regex: re.Pattern[str],
                   glob: str | None, deadline: float) -> Found:
    from fnmatch import fnmatchcase

    paths: list[str] = []
    rels: list[str] = []
    for file in ws.walk(start):
        rel = ws.relative(file)
        if glob and not (fnmatchcase(file.name, glob) or fnmatchcase(rel, glob)):
            continue
        paths.append(str(file))
        rels.append(rel)
    if not paths:
        return Found([])
    try:
        rows, too_big = run_search(regex.pattern, regex.flags, paths, _MAX_FILE_BYTES,
                                   deadline)
    except SearchTimeout:
        raise ToolError(_timeout_message(regex.pattern, deadline)) from None
    except ValueError as exc:
        raise ToolError(f"grep failed: {exc}") from None
    return Found([Match(rels[i], n, t, c) for i, n, c, t in rows], too_big)


def _timeout_message(pattern: str, deadline: float) -> str:
    return (f"grep stopped after {deadline:g}s without finishing: the pattern {pattern!r} "
            "may backtrack catastrophically (a repeated group of optional parts such as "
            r"(\s*\w+\s*,?)* tries exponentially many splits when the text does not match) "
            "or the search is too large. Simplify the pattern (pass literal=true for plain "
            "text) or narrow path/glob.")


def _ripgrep_search(rg: str, ws: Workspace, start: Path, pattern: str, *, literal: bool,
                    ignore_case: bool, glob: str | None, deadline: float) -> Found:
    try:
        rows, too_big = ripgrep.run(rg, ws.root, start, pattern, literal=literal,
                                    ignore_case=ignore_case, glob=glob,
                                    max_bytes=_MAX_FILE_BYTES, timeout=deadline)
    except SearchTimeout:
        raise ToolError(_timeout_message(pattern, deadline)) from None
    except ripgrep.RipgrepFailed as exc:
        raise ToolError(f"invalid search {pattern!r}: {exc}") from None
    found = [Match(_shown_path(ws, path), line, text, column)
             for path, line, column, text in rows]
    found.sort(key=lambda m: (m.path, m.line))
    return Found(found, too_big)


def _shown_path(ws: Workspace, path: str) -> str:
    """rg's path (under the resolved start it was given) relative to the root."""
    try:
        return ws.relative(Path(path))
    except ValueError:
        return ws.relative(Path(path).resolve())


def search(ws: Workspace, pattern: str, path: str = ".", *, literal: bool = False,
           ignore_case: bool = False, glob: str | None = None,
           deadline: float | None = None) -> Found:
    """Every match under ``path``, ordered by file then line; a tool error once ``deadline``
    seconds (default ``DEADLINE_SECONDS``) pass."""
    regex = compile_pattern(pattern, literal=literal, ignore_case=ignore_case)
    start = ws.resolve(path)
    deadline = DEADLINE_SECONDS if deadline is None else deadline
    rg = shutil.which("rg")
    if rg:  # ripgrep's regex engine runs in linear time: no backtracking to stop
        return _ripgrep_search(rg, ws, start, pattern, literal=literal,
                               ignore_case=ignore_case, glob=glob, deadline=deadline)
    return _python_search(ws, start, regex, glob, deadline)


def _trim(text: str, column: int = 0) -> str:
    """The line without indentation; a line over the row width is cut to a window around
    the match, so a long (minified) line still shows what matched."""
    stripped = text.lstrip()
    column = max(0, column - (len(text) - len(stripped)))
    text = stripped.rstrip()
    if len(text) <= _LINE_CHARS:
        return text
    width = _LINE_CHARS - 2
    begin = min(max(0, column - width // 2), len(text) - width)
    window = text[begin:begin + width]
    return ("…" if begin > 0 else "") + window + ("…" if begin + width < len(text) else "")


def _rows_per_file(matches: list[Match]) -> list[tuple[str, dict[str, list[int]]]]:
    """Matches grouped by file, then by trimmed line text in order of first appearance:
    ``loop = events.get_running_loop()`` on five lines of a file is one row with five numbers."""
    files: dict[str, dict[str, list[int]]] = {}
    for m in matches:
        files.setdefault(m.path, {}).setdefault(_trim(m.text, m.column), []).append(m.line)
    return list(files.items())


def format_page(matches: list[Match], offset: int, limit: int,
                max_other_files: int = 30) -> str:
    """One page of matches grouped per file: ``path (count):`` once, then ``line text`` rows
    (indentation dropped; lines of the same file with the same text share one row,
    ``12,40 text``), then the files past the page with their counts as a TOON table.

    Code lines stay unquoted: quoting and escaping them as TOON strings would cost more
    tokens than the grouping saves. A row starts at the line's start with the number and a
    space: o200k reads ``\n12`` and `` text`` as two tokens, where ``grep -n``'s ``12:`` or an
    indent adds one or two more per row (on the bench's grep, 8,117 tokens against 9,413).
    """
    from lynkr.optimize.toon import encode

    counts: dict[str, int] = {}
    for m in matches:
        counts[m.path] = counts.get(m.path, 0) + 1
    shown = matches[offset:offset + limit]
    lines = [f"{len(matches)} matches in {len(counts)} files"]
    for path, rows in _rows_per_file(shown):
        lines.append(f"{path} ({counts[path]}):")
        lines += [f"{','.join(map(str, numbers))} {text}" for text, numbers in rows.items()]
    seen = {m.path for m in matches[:offset + limit]}
    others = [{"file": p, "count": c} for p, c in counts.items() if p not in seen]
    if others:
        lines.append(encode({"other_files": others[:max_other_files]}))
        if len(others) > max_other_files:
            lines.append(f"+{len(others) - max_other_files} files")
    return "\n".join(lines)


def raw_grep_output(matches: list[Match]) -> str:
    """What ``grep -rn`` would have printed for the same matches (the raw equivalent)."""
    return "\n".join(f"{m.path}:{m.line}:{m.text}" for m in matches)


def grep(ws: Workspace, pattern: str, path: str = ".", *, literal: bool = False,
         ignore_case: bool = False, glob: str | None = None, limit: int = 100,
         offset: int = 0, deadline: float | None = None) -> CallToolResult:
    """The grep tool: one page of grouped matches plus a "more" line when cut, and a note
    naming the files left out for size (so "no matches" is never silently partial)."""
    check_page(limit, offset)
    found = search(ws, pattern, path, literal=literal, ignore_case=ignore_case, glob=glob,
                   deadline=deadline)
    matches = found.matches
    skipped = (f"{found.too_big} files skipped (over {_MAX_FILE_BYTES // 1_000_000} MB); "
               "read them with start_line/end_line") if found.too_big else ""
    if not matches:
        text = f"no matches for {pattern!r} under {path!r}"
        return tool_result("\n".join(filter(None, [text, skipped])), matches=0,
                           skipped_files=found.too_big)
    text = format_page(matches, offset, limit)
    shown = min(limit, max(0, len(matches) - offset))
    remaining = len(matches) - offset - shown
    if remaining > 0:
        text += (f"\n{remaining} more matches not shown; call again with "
                 f"offset={offset + shown} or narrow the pattern/path/glob")
    if skipped:
        text += "\n" + skipped
    return tool_result(text, raw_text=raw_grep_output(matches), matches=len(matches),
                       shown=shown, skipped_files=found.too_big)
