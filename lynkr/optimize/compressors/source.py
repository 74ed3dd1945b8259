"""Source files read by an agent, cut only at definition boundaries, with an outline of the cut.

Why: an agent reads a file to edit it, and its Edit tool needs the exact text it replaces; a
cut through the middle of a function leaves a fragment it can neither quote nor place. So a
file read over its budget keeps whole definitions (module head first, then the definitions
that hold a term of the user's request, then more of the head), and each omitted range
becomes one marker naming what it held and where, e.g.::

    [… 690 lines omitted (file lines 201-890: class Parser, def load, def dump +12 more;
    read them again with offset=201 limit=690)]

so the model can page that range back in with its own read tool (whose later Edit then
works as usual), or ask ``lynkr_expand`` for exactly those lines. How a range is named and
read again is the read's own (a :data:`Locator`): Claude Code's Read numbers its lines and
pages with ``offset``/``limit`` (:func:`read_tool_lines`); a file printed by a shell command
is read again with a command (:mod:`lynkr.optimize.compressors.shell_read`).

Definitions are found by indentation, not by parsing: a block starts at a line at the
outermost indentation of its range (closing brackets, ``end`` lines and a lone ``{`` belong
to the block before them; a decorator goes with the definition under it). A block over an
eighth of the budget is split the same way one level in (a class into its methods), its
first line (``class Parser:``) staying a unit of its own, kept with any part kept. That
works for Python, brace languages and YAML alike, and text no rule fits is still cut at line
boundaries (a file with nothing to cut at, one minified line, goes whole).

**A function bigger than that share** (``def``, ``function``, ``fn``, ``func``, ``fun``, a
method such as ``public void run() {``, an arrow function) is not cut wherever the budget
runs out: split into statements, it would leave a head whose end the model cannot see and
a marker outlining only the definitions after it. Such a function is kept whole when it
fits in what is left of the budget; when it does not, as its frame: the signature, the
statements holding the user's terms, and as much of its head and of its tail as fit in an
eighth of the budget, each elided range marked with its line range like any other, and the
file goes on after it. When the user names the function (a term in its lines), it is kept
whole before the rest of the file is filled in, so a 5,000-token function asked about in a
40,000-token file arrives whole; one too big for the budget gets a frame of up to half of
what is left.

For Read, line numbers come from the read's own numbering (Claude Code's ``   12→``) when it
has one, else they count lines of this output; a shell read's come from its command (``sed
-n '120,400p'`` starts at line 120; ``nl`` numbers no blank line). A number prefix (``→``,
``cat -n``'s tab) is set aside before indentation is read. A gap costing less than a marker
is not cut.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from lynkr.optimize.compressors.base import Compressed, unchanged
from lynkr.optimize.compressors.query import query_lines
from lynkr.tokens import count_tokens

__all__ = ["Locator", "cut_source", "read_tool_lines"]

# A unit bigger than this share of the budget is split one level in, at most _MAX_DEPTH deep.
_UNIT_SHARE = 8
_MAX_DEPTH = 32
# About what a marker with its outline and expand pointer costs: a shorter gap stays.
_MARKER_TOKENS = 60
_OUTLINE_NAMES = 6
_NUMBER = re.compile(r"^\s*(\d+)(?:\t|→)")
_CLOSER = re.compile(r"^[\)\]\}]|^end\b|^\{\s*$")
_DEFINITION = re.compile(
    r"^\s*(?:@\S+\s+)?(?:(?:export|default|public|private|protected|internal|static|async|"
    r"abstract|final|override|inline|extern|unsafe|const|pub(?:\([^)]*\))?)\s+)*"
    r"(def|class|function|func|fn|fun|struct|enum|trait|impl|interface|type|module|object|"
    r"namespace)\s+(?:\([^)]*\)\s*)?([A-Za-z_$][\w$]*)")
_CALLABLE_KINDS = frozenset({"def", "function", "func", "fn", "fun"})
# A line opening with these words is a statement, not a function's head.
_CONTROL = frozenset("""if elif else for foreach while do switch case match when try catch
    except finally with return throw raise yield await new until unless using lock
    synchronized sizeof typeof delete""".split())
_FIRST_WORD = re.compile(r"\s*([A-Za-z_$][\w$]*)")
# ``public static int parse(``, ``async handle(``, ``Task<int> Run<T>(``: a name before "(".
_METHOD_HEAD = re.compile(r"^\s*(?:[\w$.<>\[\],?*&:]+\s+)*?([A-Za-z_$][\w$]*)\s*(?:<[^()]*>)?\s*\(")
_FUNCTION_EXPRESSION = re.compile(r"=>|\bfunction\b")

Locator = Callable[[Sequence[str], int, int], tuple[str, str]]
"""Names lines ``start:end`` of a read (0-based, end excluded) for a marker: where they are
(``file lines 201-890``, or ``lines 3-9 of this read``) and how the agent reads them again
(``read them again with offset=201 limit=690``; "" when it cannot)."""


def read_tool_lines(lines: Sequence[str], start: int, end: int) -> tuple[str, str]:
    """A read tool's lines (Claude Code's Read): named by their own numbers, read again with
    ``offset``/``limit``; lines without numbers are counted in this output."""
    numbers = [m.group(1) for i in (start, end - 1) if (m := _NUMBER.match(lines[i]))]
    if len(numbers) == 2:
        first, last = int(numbers[0]), int(numbers[1])
        return (f"file lines {first}-{last}",
                f"read them again with offset={first} limit={last - first + 1}")
    return f"lines {start + 1}-{end} of this read", ""


def cut_source(text: str, budget_tokens: int, query: frozenset[str] = frozenset(),
               locate: Locator = read_tool_lines) -> Compressed:
    """``text`` (a file read) cut to about ``budget_tokens`` at definition boundaries, each
    omitted range marked with an outline and ``locate``'s words (see module docstring); kind
    "file", selection-shaped, so ``omitted`` is exactly the dropped lines."""
    lines = text.split("\n")
    bodies = [_NUMBER.sub("", line, count=1) for line in lines]
    cost = _line_costs(lines)
    if sum(cost) <= budget_tokens:
        return unchanged(text, "file")
    units: list[tuple[int, int, int | None]] = []  # (start, end, header of the enclosing unit)
    functions: dict[int, int] = {}  # first unit -> end unit of a function split for its size
    share = budget_tokens // _UNIT_SHARE
    _split(bodies, cost, 0, len(lines), None, share, units, functions)
    cut = _Cut(units, cost, budget_tokens, share)
    cut.take([0])
    hits = list(dict.fromkeys(cut.unit_of[i] for i in sorted(query_lines(bodies, query))))
    for unit in hits:
        if cut.kept(unit):
            continue
        function = _enclosing(functions, unit)
        if function is None or (unit not in functions
                                and _is_definition(bodies[units[unit][0]])):
            cut.take([unit])  # a whole small definition, or a line outside any big function
        elif not cut.take(range(*function)):
            first, stop = function
            cut.frame(first, stop, (budget_tokens - cut.used) // 2,
                      inside=[u for u in hits if first <= u < stop])
    unit = 0
    while unit < len(units):
        stop = functions.get(unit)
        if stop is None:
            if not cut.take([unit]):
                break
            unit += 1
        else:
            if not cut.take(range(unit, stop)):
                cut.frame(unit, stop, share)
            unit = stop
    keep = cut.keep
    if not any(keep):  # nothing to cut at (one giant line): the read goes whole
        return unchanged(text, "file")
    _fill_small_gaps(keep, cost)
    if all(keep):
        return unchanged(text, "file")
    return _render(lines, bodies, keep, locate)


class _Cut:
    """The lines a cut keeps: whole units, each with the headers of the units around it,
    within the budget."""

    def __init__(self, units: Sequence[tuple[int, int, int | None]], cost: Sequence[int],
                 budget: int, share: int) -> None:
        self.units, self.cost, self.budget, self.share = units, cost, budget, share
        self.keep = [False] * len(cost)
        self.used = 0
        self.parent_of = {start: parent for start, _, parent in units}
        self.unit_of = {i: n for n, (s, e, _) in enumerate(units) for i in range(s, e)}

    def kept(self, unit: int) -> bool:
        start, end, _ = self.units[unit]
        return all(self.keep[start:end])

    def take(self, units: Iterable[int], allowance: int | None = None) -> bool:
        """Keep all of ``units`` (and their headers) if they fit in the budget and in
        ``allowance`` tokens; else keep nothing."""
        extra: set[int] = set()
        for unit in units:
            start, end, parent = self.units[unit]
            extra.update(i for i in range(start, end) if not self.keep[i])
            while parent is not None and not self.keep[parent]:
                extra.add(parent)
                parent = self.parent_of[parent]
        price = sum(self.cost[i] for i in extra)
        if self.used + price > self.budget or (allowance is not None and price > allowance):
            return False
        self.used += price
        for i in extra:
            self.keep[i] = True
        return True

    def frame(self, first: int, stop: int, allowance: int, inside: Sequence[int] = ()) -> None:
        """Keep the function of units ``first:stop`` as its frame: signature, the units
        ``inside`` (the user's terms), then head and tail, within ``allowance`` tokens."""
        limit = self.used + max(0, min(allowance, self.budget - self.used))
        self.take([first], limit - self.used)
        for unit in inside:
            self.take([unit], limit - self.used)
        head_limit = self.used + (limit - self.used) // 2
        for unit in range(first + 1, stop):
            if not self.take([unit], head_limit - self.used):
                break
        for unit in range(stop - 1, first, -1):
            if self.kept(unit):
                break
            if not self.take([unit], limit - self.used):
                break


def _enclosing(functions: dict[int, int], unit: int) -> tuple[int, int] | None:
    """The innermost function split for its size that holds ``unit``."""
    around = [(first, stop) for first, stop in functions.items() if first <= unit < stop]
    return max(around) if around else None


def _fill_small_gaps(keep: list[bool], cost: Sequence[int]) -> None:
    start = 0
    while start < len(keep):
        if keep[start]:
            start += 1
            continue
        end = start
        while end < len(keep) and not keep[end]:
            end += 1
        if sum(cost[start:end]) <= _MARKER_TOKENS:
            keep[start:end] = [True] * (end - start)
        start = end


def _line_costs(lines: Sequence[str]) -> list[int]:
    # One tokenisation per line is the costly part; a line's own count (plus its newline) is
    # within a token or two of its share of the whole.
    return [count_tokens(line) + 1 for line in lines]


def _indent(body: str) -> int:
    return len(body) - len(body.lstrip())


def _split(bodies: Sequence[str], cost: Sequence[int], start: int, end: int,
           parent: int | None, max_cost: int, out: list[tuple[int, int, int | None]],
           functions: dict[int, int], depth: int = 0) -> None:
    """Append the units of lines ``start:end`` to ``out``, splitting big blocks one level in;
    a big block that is a function is noted in ``functions`` (its first unit -> end unit)."""
    filled = [i for i in range(start, end) if bodies[i].strip()]
    if not filled:
        out.append((start, end, parent))
        return
    # A closer at the level of the enclosing header (a class's last "}") sets no level.
    openers = [i for i in filled if not _CLOSER.match(bodies[i].lstrip())]
    level = min(_indent(bodies[i]) for i in openers or filled)
    starts = [i for i in openers if _indent(bodies[i]) == level]
    # A decorator belongs to the definition under it.
    starts = [i for n, i in enumerate(starts)
              if n == 0 or not bodies[starts[n - 1]].lstrip().startswith("@")]
    if not starts or starts[0] != start:
        starts = [start, *[i for i in starts if i != start]]
    for n, block_start in enumerate(starts):
        block_end = starts[n + 1] if n + 1 < len(starts) else end
        if sum(cost[block_start:block_end]) <= max_cost or block_end - block_start == 1:
            out.append((block_start, block_end, parent))
        elif depth >= _MAX_DEPTH:
            out.extend((i, i + 1, parent) for i in range(block_start, block_end))
        else:
            first = len(out)
            out.append((block_start, block_start + 1, parent))
            _split(bodies, cost, block_start + 1, block_end, block_start, max_cost, out,
                   functions, depth + 1)
            head = next((body for body in bodies[block_start:block_end]
                         if body.strip() and not body.lstrip().startswith("@")), "")
            if _is_callable(head):
                functions[first] = len(out)


def _is_definition(body: str) -> bool:
    return bool(_DEFINITION.match(body)) or _is_callable(body)


def _is_callable(body: str) -> bool:
    """Whether ``body`` opens a function or method (see module docstring)."""
    found = _DEFINITION.match(body)
    if found:
        return found.group(1) in _CALLABLE_KINDS
    first = _FIRST_WORD.match(body)
    if first is None or first.group(1) in _CONTROL:
        return False
    if _FUNCTION_EXPRESSION.search(body):
        return True
    head = _METHOD_HEAD.match(body)
    return head is not None and head.group(1) not in _CONTROL


def _render(lines: Sequence[str], bodies: Sequence[str], keep: Sequence[bool],
            locate: Locator) -> Compressed:
    out: list[str] = []
    dropped: list[str] = []
    i = 0
    while i < len(lines):
        if keep[i]:
            out.append(lines[i])
            i += 1
            continue
        end = i
        while end < len(lines) and not keep[end]:
            end += 1
        dropped.extend(lines[i:end])
        out.append(_marker(lines, bodies, i, end, locate))
        i = end
    return Compressed("\n".join(out), "file", False, "\n".join(dropped))


def _marker(lines: Sequence[str], bodies: Sequence[str], start: int, end: int,
            locate: Locator) -> str:
    count = end - start
    noun = "line" if count == 1 else "lines"
    where, again = locate(lines, start, end)
    outline = _outline(bodies[start:end])
    return (f"[… {count} {noun} omitted ({where}{': ' + outline if outline else ''}"
            f"{'; ' + again if again else ''})]")


def _outline(bodies: Sequence[str]) -> str:
    """The outermost definitions among ``bodies``: ``class Parser, def load +3 more``."""
    found = [(_indent(body), f"{m.group(1)} {m.group(2)}") for body in bodies
             if (m := _DEFINITION.match(body))]
    if not found:
        return ""
    top = min(level for level, _ in found)
    names = [name for level, name in found if level == top]
    more = len(names) - _OUTLINE_NAMES
    return ", ".join(names[:_OUTLINE_NAMES]) + (f" +{more} more" if more > 0 else "")
