"""Directory listings: ``ls -l`` tables and ``find``-style path lists.

Why: ``ls -l`` spends most of each row on permissions, link counts, owner and group, which
an agent rarely needs; ``find`` output repeats the parent directory on every line.
"""

from __future__ import annotations

import re

from lynkr.optimize.compressors.base import Compressed, unchanged

LS_ROW = re.compile(
    r"^([-dlcbps])[rwxsStT-]{9}[@+.]?\s+\d+\s+\S+\s+\S+\s+([\d,.]+[KMGTP]?)\s+"
    r"(\w{3}\s+\d{1,2}\s+[\d:]{4,5}|\d{4}-\d{2}-\d{2} [\d:]{5}(:\d{2}(\.\d+)?)?( [+-]\d{4})?)"
    r"\s(.+)$"
)
_TOTAL = re.compile(r"^total \d+")


def _ls_summary(text: str) -> Compressed:
    rows: list[str] = []
    for line in text.split("\n"):
        found = LS_ROW.match(line)
        if found is None:
            if line.strip() and not _TOTAL.match(line):
                rows.append(line)
            continue
        kind, size, name = found.group(1), found.group(2), found.group(7)
        if kind == "d":
            rows.append(f"{name}/")
        elif kind == "l":
            rows.append(name)  # keeps the ``-> target``
        else:
            rows.append(f"{name} {size}")
    rows.append("(ls -l: permissions, owners and dates omitted; sizes in bytes)")
    return Compressed("\n".join(rows), "listing", False, text)


def _group_paths(text: str) -> Compressed:
    """Lossless: consecutive paths sharing a parent become ``parent/`` plus indented names."""
    body, newline = (text[:-1], "\n") if text.endswith("\n") else (text, "")
    out: list[str] = []
    parent: str | None = None
    for path in body.split("\n"):
        head, slash, name = path.rstrip("/").rpartition("/")
        if not slash or not name or path.startswith(" ") or path.endswith("/ "):
            return unchanged(text, "listing")
        if head != parent:
            out.append(head + "/")
            parent = head
        out.append("  " + path[len(head) + 1 :])
    grouped = "\n".join(out) + newline
    if restore_paths(grouped) != text:
        return unchanged(text, "listing")
    return Compressed(grouped, "listing", True, None)


def restore_paths(grouped: str) -> str:
    """Inverse of the path grouping of ``compress_listing``."""
    body, newline = (grouped[:-1], "\n") if grouped.endswith("\n") else (grouped, "")
    out: list[str] = []
    parent = ""
    for line in body.split("\n"):
        if line.startswith("  "):
            out.append(parent + line[2:])
        else:
            parent = line
    return "\n".join(out) + newline


def compress_listing(text: str) -> Compressed:
    """``ls -l`` tables become ``name size`` rows (lossy, ``omitted`` is the original);
    path lists from ``find``/``fd``/``git ls-files`` are grouped by directory (lossless)."""
    rows = [line for line in text.split("\n") if line.strip()]
    if rows and sum(bool(LS_ROW.match(r)) for r in rows) >= 0.6 * len(rows):
        return _ls_summary(text)
    return _group_paths(text)
