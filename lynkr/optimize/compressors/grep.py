"""Grep / ripgrep ``path:line:content`` output, grouped by file (lossless).

Why: an agent's search results repeat a long path on every matching line; stating each path
once and listing ``line: content`` rows under it carries the same information in fewer
tokens, and ``restore_grep`` rebuilds the original text exactly.

Output cut short is common: Claude Code cuts a tool's output at 30,000 characters, mid-line,
and appends ``... [N lines truncated] ...`` after a blank line. The cut line and that notice
are not grep-shaped, so they are kept verbatim at the end (everything before them is grouped);
in the grouped text a verbatim line is a "path" line with no rows under it, which a grouped
path never is.
"""

from __future__ import annotations

import re

from lynkr.optimize.compressors.base import Compressed, unchanged

# grep numbers lines from 1: "12:00:00" in a log is a clock, not line 00.
_MATCH = re.compile(r"^([^\s:][^:]*?):([1-9]\d*):(.*)$")
_ROW = re.compile(r"^(\d+)([:-])(?: (.*))?$|^--$")
_CUT_NOTICE = re.compile(r"^\.\.\. \[\d+ lines truncated\] \.\.\.$")
# What a match line cut before its second colon looks like: part of a path, maybe ":N".
_CUT_MATCH = re.compile(r"^[^\s:][^\s:]*(?::\d*)?$")


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
    return f"{number}{sep} {content}" if content else f"{number}{sep}"


def compress_grep(text: str) -> Compressed:
    """Group consecutive matches of one file under a single path line.

    ``a.py:3:x`` / ``a.py:9:y`` become ``a.py`` then ``3: x`` and ``9: y``; context lines
    (``-C``) become ``N- text`` and ``--`` separators stay ``--``. Rows are not indented:
    o200k spends a token or two more per row on an indent (13% of a grouped stdlib grep); a
    path that reads like a row fails the round trip below and leaves the output unchanged. A
    cut-off tail (the partial last line, Claude Code's cut notice) stays verbatim after the
    groups. Output that is not otherwise entirely grep-shaped is returned unchanged, so the
    result is always lossless.
    """
    body, newline = (text[:-1], "\n") if text.endswith("\n") else (text, "")
    lines = body.split("\n")
    end, cut = _cut_point(lines)
    out: list[str] = []
    current: str | None = None
    for i, line in enumerate(lines[:end]):
        found = parse_match(line)
        if found is not None:
            path, number, content = found
            sep = ":"
        elif line == "--":
            out.append("--")
            continue
        else:
            owner = current if _context(line, current) else _next_path(lines, i + 1)
            context = _context(line, owner)
            if context is None or owner is None:
                # The line the cut went through (the last one) stays verbatim.
                if i == end - 1 and (cut or (not newline and _CUT_MATCH.match(line))):
                    end = i
                    break
                return unchanged(text, "grep")
            path, (number, content) = owner, context
            sep = "-"
        if path != current:
            out.append(path)
            current = path
        out.append(_row(number, sep, content))
    grouped = "\n".join(out + lines[end:]) + newline
    if restore_grep(grouped) != text:  # e.g. a path that itself looks like a row
        return unchanged(text, "grep")
    return Compressed(grouped, "grep", True, None)


def _cut_point(lines: list[str]) -> tuple[int, bool]:
    """Where the grep-shaped lines end, and whether Claude Code's cut notice says the output
    was cut: before the notice and the blank lines before it, else at the end."""
    end = len(lines)
    if end > 1 and _CUT_NOTICE.match(lines[-1]):
        end -= 1
        while end > 1 and lines[end - 1] == "":
            end -= 1
        return end, True
    return end, False


def restore_grep(grouped: str) -> str:
    """Inverse of ``compress_grep``: the original ``path:N:content`` lines."""
    body, newline = (grouped[:-1], "\n") if grouped.endswith("\n") else (grouped, "")
    lines = body.split("\n")
    out: list[str] = []
    path = ""
    for i, line in enumerate(lines):
        row = _ROW.match(line)
        if row is None:
            path = line
            if i + 1 == len(lines) or _ROW.match(lines[i + 1]) is None:
                out.append(line)  # no rows under it: a verbatim line (cut-off tail)
        elif row.group(1) is None:
            out.append("--")
        else:
            sep = row.group(2)
            out.append(f"{path}{sep}{row.group(1)}{sep}{row.group(3) or ''}")
    return "\n".join(out) + newline
