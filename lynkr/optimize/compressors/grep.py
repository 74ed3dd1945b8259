"""Grep / ripgrep ``path:line:content`` output, grouped by file (lossless).

Why: an agent's search results repeat a long path on every matching line; stating each path
once and listing ``line: content`` rows under it carries the same information in fewer
tokens, and ``restore_grep`` rebuilds the original text exactly.
"""

from __future__ import annotations

import re

from lynkr.optimize.compressors.base import Compressed, unchanged

_MATCH = re.compile(r"^([^\s:][^:]*?):(\d+):(.*)$")
_ROW = re.compile(r"^  (\d+)([:-])(?: (.*))?$|^  --$")


def parse_match(line: str) -> tuple[str, str, str] | None:
    """``(path, line_number, content)`` of a ``path:N:content`` line, else None."""
    found = _MATCH.match(line)
    return (found.group(1), found.group(2), found.group(3)) if found else None


def _context(line: str, path: str | None) -> tuple[str, str] | None:
    """``(line_number, content)`` of a ``path-N-content`` context line of ``path``."""
    if path is None or not line.startswith(path + "-"):
        return None
    number, sep, content = line[len(path) + 1 :].partition("-")
    return (number, content) if sep and number.isdigit() else None


def _next_path(lines: list[str], start: int) -> str | None:
    for line in lines[start:]:
        if (found := parse_match(line)) is not None:
            return found[0]
    return None


def _row(number: str, sep: str, content: str) -> str:
    return f"  {number}{sep} {content}" if content else f"  {number}{sep}"


def compress_grep(text: str) -> Compressed:
    """Group consecutive matches of one file under a single path line.

    ``a.py:3:x`` / ``a.py:9:y`` become ``a.py`` then ``  3: x`` and ``  9: y``; context lines
    (``-C``) become ``  N- text`` and ``--`` separators ``  --``. Output that is not entirely
    grep-shaped is returned unchanged, so the result is always lossless.
    """
    body, newline = (text[:-1], "\n") if text.endswith("\n") else (text, "")
    lines = body.split("\n")
    out: list[str] = []
    current: str | None = None
    for i, line in enumerate(lines):
        found = parse_match(line)
        if found is not None:
            path, number, content = found
            sep = ":"
        elif line == "--":
            out.append("  --")
            continue
        else:
            owner = current if _context(line, current) else _next_path(lines, i + 1)
            context = _context(line, owner)
            if context is None or owner is None:
                return unchanged(text, "grep")
            path, (number, content) = owner, context
            sep = "-"
        if path != current:
            out.append(path)
            current = path
        out.append(_row(number, sep, content))
    grouped = "\n".join(out) + newline
    if restore_grep(grouped) != text:  # e.g. a path that itself looks like a row
        return unchanged(text, "grep")
    return Compressed(grouped, "grep", True, None)


def restore_grep(grouped: str) -> str:
    """Inverse of ``compress_grep``: the original ``path:N:content`` lines."""
    body, newline = (grouped[:-1], "\n") if grouped.endswith("\n") else (grouped, "")
    out: list[str] = []
    path = ""
    for line in body.split("\n"):
        row = _ROW.match(line)
        if row is None:
            path = line
        elif row.group(1) is None:
            out.append("--")
        else:
            sep = row.group(2)
            out.append(f"{path}{sep}{row.group(1)}{sep}{row.group(3) or ''}")
    return "\n".join(out) + newline
