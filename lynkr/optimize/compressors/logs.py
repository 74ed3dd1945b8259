"""Build, lint and server logs: collapse repeated and near-identical lines.

Why: logs repeat themselves (retries, progress, per-file warnings); one copy with a count
carries the information. Exact consecutive repeats become ``line [×N]``, which is lossless
(``restore_log`` expands them). With ``lossy=True`` runs of lines that differ only in
numbers, hex ids or quoted values keep their first and last line and the middle becomes a
``[… N similar lines omitted]`` marker, its lines kept in ``omitted``.
"""

from __future__ import annotations

import re

from lynkr.optimize.compressors.base import Compressed, marker, unchanged

_REPEAT = re.compile(r"^(.*) \[×(\d+)\]$")
_VARIABLE = re.compile(r"0x[0-9a-fA-F]+|[0-9a-f]{7,}|\d+(\.\d+)?|'[^']*'|\"[^\"]*\"")


def shape(line: str) -> str:
    """The line with its variable parts (numbers, ids, quoted values) blanked out."""
    return _VARIABLE.sub("#", line)


def _runs(items: list[str]) -> list[tuple[int, int]]:
    """``(start, length)`` of each run of equal consecutive items."""
    runs: list[tuple[int, int]] = []
    for i, item in enumerate(items):
        if runs and items[runs[-1][0]] == item:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((i, 1))
    return runs


def compress_log(text: str, *, lossy: bool = True, min_similar: int = 4) -> Compressed:
    """Collapse exact repeats (lossless) and, if ``lossy``, runs of similar lines."""
    lines = text.split("\n")
    if any(_REPEAT.match(line) for line in lines):
        return unchanged(text, "log")  # ``[×N]`` would be ambiguous to restore
    out: list[str] = []
    dropped: list[str] = []
    collapsed: list[tuple[str, int]] = [(lines[s], n) for s, n in _runs(lines)]
    shapes = [shape(line) for line, _ in collapsed]
    for start, length in _runs(shapes):
        group = collapsed[start : start + length]
        if lossy and length >= min_similar and shapes[start].strip():
            (first, n_first), middle, (last, n_last) = group[0], group[1:-1], group[-1]
            out.append(_counted(first, n_first))
            count = sum(n for _, n in middle)
            out.append(marker(count, "similar"))
            dropped.extend(line for line, n in middle for _ in range(n))
            out.append(_counted(last, n_last))
        else:
            out.extend(_counted(line, n) for line, n in group)
    if len(out) == len(lines):
        return unchanged(text, "log")
    if not dropped:
        return Compressed("\n".join(out), "log", True, None)
    return Compressed("\n".join(out), "log", False, "\n".join(dropped))


def _counted(line: str, count: int) -> str:
    return line if count == 1 else f"{line} [×{count}]"


def restore_log(text: str) -> str:
    """Expand ``line [×N]`` back into N copies (inverse of the lossless part)."""
    out: list[str] = []
    for line in text.split("\n"):
        found = _REPEAT.match(line)
        out.extend([found.group(1)] * int(found.group(2)) if found else [line])
    return "\n".join(out)
