"""The result type shared by every compressor, and the line-selection helper most use.

Two shapes of lossy result exist, and ``omitted`` is exact in both, so a later
``lynkr_expand`` call can serve back precisely what the model did not see:

* **selection** (test output, diffs, logs, head/tail): ``text`` is original lines verbatim,
  in order, plus marker lines ``[… N lines omitted …]``; ``omitted`` is the dropped lines in
  order. ``splice`` puts them back and rebuilds the original byte for byte.
* **summary** (git log, ``ls -l``): every line is rewritten, so nothing survives verbatim
  and ``omitted`` is the whole original.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lynkr.optimize.compressors.query import query_lines

# What a marker holds may itself hold "]": the path in a re-read hint (``app/[id]/page.tsx``).
MARKER = re.compile(r"^ *\[… (\d+) .*\]$")


@dataclass(frozen=True, slots=True)
class Compressed:
    """A compressed tool output.

    ``kind`` names the recognised format ("grep", "pytest", "git_diff", ...); ``lossless``
    says whether ``text`` carries all of the original information; ``omitted`` is the exact
    dropped text (None when lossless).
    """

    text: str
    kind: str
    lossless: bool
    omitted: str | None = None


def unchanged(text: str, kind: str) -> Compressed:
    """The identity result: used when compressing would not pay."""
    return Compressed(text, kind, True, None)


def marker(count: int, what: str, indent: str = "") -> str:
    noun = "line" if count == 1 else "lines"
    return f"{indent}[… {count} {what} {noun} omitted]"


def select(
    lines: Sequence[str],
    keep: Sequence[bool],
    kind: str,
    what: str,
    *,
    silent: Sequence[bool] | None = None,
    min_run: int = 2,
    query: frozenset[str] = frozenset(),
) -> Compressed:
    """Keep ``lines[i]`` where ``keep[i]``; each dropped run becomes one marker line.

    Lines holding a ``query`` term (the user's request, see ``query.py``) are kept too, at
    most ``QUERY_LINE_CAP`` of them beyond ``keep``.

    Runs made only of ``silent`` lines (boilerplate such as ``index`` lines of a diff, where a
    marker would cost as much as the line) are dropped without a marker; they still go to
    ``omitted``, so nothing is lost for ``lynkr_expand``. Runs shorter than ``min_run`` are
    kept: a marker would cost about as much as the line it replaces.
    """
    keep = list(keep)
    if query and not all(keep):
        for i in query_lines(lines, query, [not k for k in keep]):
            keep[i] = True
    start = 0
    while start < len(keep):
        end = start
        while end < len(keep) and not keep[end]:
            end += 1
        quiet = silent is not None and all(silent[start:end])
        if 0 < end - start < min_run and not quiet:
            keep[start:end] = [True] * (end - start)
        start = end + 1
    out: list[str] = []
    dropped: list[str] = []
    run: list[int] = []

    def flush() -> None:
        if run and not (silent is not None and all(silent[i] for i in run)):
            indent = lines[run[0]][: len(lines[run[0]]) - len(lines[run[0]].lstrip(" "))]
            out.append(marker(len(run), what, indent if len(indent) <= 8 else ""))
        run.clear()

    for i, line in enumerate(lines):
        if keep[i]:
            flush()
            out.append(line)
        else:
            run.append(i)
            dropped.append(line)
    flush()
    if not dropped:
        return unchanged("\n".join(lines), kind)
    return Compressed("\n".join(out), kind, False, "\n".join(dropped))


def splice(result: Compressed) -> str:
    """Rebuild the original text of a selection-shaped result from ``text`` and ``omitted``.

    Exact when the compressor dropped nothing silently (everything but ``git_diff`` index
    lines and ``git_status`` hints); summary-shaped results keep their original in ``omitted``.
    """
    if result.omitted is None:
        return result.text
    dropped = iter(result.omitted.split("\n"))
    out: list[str] = []
    for line in result.text.split("\n"):
        match = MARKER.match(line)
        if match:
            out.extend(next(dropped) for _ in range(int(match.group(1))))
        else:
            out.append(line)
    return "\n".join(out)


def head_tail(lines: Sequence[str], max_lines: int, kind: str,
              query: frozenset[str] = frozenset()) -> Compressed:
    """First and last halves of ``max_lines``, the middle omitted but for lines holding a
    ``query`` term: for text we can't parse."""
    head = max(1, max_lines // 2)
    tail = max(1, max_lines - head)
    keep = [i < head or i >= len(lines) - tail for i in range(len(lines))]
    return select(lines, keep, kind, "middle", query=query)
