"""Properties of the file-read cut over generated sources (small and big functions, classes,
nested blocks, Read's numbering or a shell command's): no line is ever lost without a marker
naming exactly its range, the cut keeps to its budget, and a function the user names that
fits is kept whole."""

from __future__ import annotations

import random
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lynkr.optimize.compressors.base import MARKER, splice
from lynkr.optimize.compressors.shell_read import ShellRead
from lynkr.optimize.compressors.source import Locator, cut_source, read_tool_lines
from lynkr.tokens import count_tokens

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RANGE = re.compile(r"\((?:file )?lines (\d+)-(\d+)")
WORDS = "load parse merge retry flush index stage cache token batch".split()


def function(rng: random.Random, name: str, statements: int, indent: str = "") -> list[str]:
    lines = [f"{indent}def {name}(request):"]
    depth = 1
    for k in range(statements):
        pad = indent + "    " * depth
        if rng.random() < 0.1 and depth < 4:
            lines.append(f"{pad}if request.{rng.choice(WORDS)}_{k}:")
            depth += 1
        elif rng.random() < 0.15 and depth > 1:
            depth -= 1
            lines.append(f"{indent + '    ' * depth}value_{k} = {rng.choice(WORDS)}(value_{k})")
        else:
            lines.append(f"{pad}value_{k} = {rng.choice(WORDS)}_{k}(request, {k})")
    return [*lines, f"{indent}    return value", ""]


@st.composite
def sources(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """Lines of a Python-like module and the names of its functions, from a seeded
    generator: drawing thousands of lines one by one is slow."""
    rng = random.Random(draw(st.integers(0, 2**32)))
    lines = ['"""A module."""', "", "import os", ""]
    names: list[str] = []
    for n in range(rng.randint(1, 40)):
        kind = rng.random()
        if kind < 0.15:
            lines += [f"class Thing{n}:", f'    """Thing {n}."""', ""]
            for m in range(rng.randint(1, 12)):
                names.append(f"method_{n}_{m}")
                lines += function(rng, names[-1], rng.randint(1, 40), "    ")
        elif kind < 0.3:
            names.append(f"giant_{n}")
            lines += function(rng, names[-1], rng.randint(80, 700))
        elif kind < 0.4:
            lines += [f"SETTING_{n} = {n}", ""]
        else:
            names.append(f"small_{n}")
            lines += function(rng, names[-1], rng.randint(1, 12))
    return lines, names


def numbered(lines: list[str]) -> list[str]:
    return [f"{n:>6}→{line}" for n, line in enumerate(lines, 1)]


def marked_ranges(result_text: str) -> list[tuple[int, int, str]]:
    """(first original index, count, marker) of each marker, walking the cut text."""
    position = 0
    found = []
    for line in result_text.split("\n"):
        if (match := MARKER.match(line)) is not None:
            count = int(match.group(1))
            found.append((position, count, line))
            position += count
        else:
            position += 1
    return found


@SETTINGS
@given(sources(), st.integers(300, 6000), st.sampled_from(["read", "cat", "sed", "tail"]),
       st.integers(0, 5000))
def test_no_line_is_lost_without_a_marker_naming_exactly_its_range(
        source: tuple[list[str], list[str]], budget: int, how: str, start: int) -> None:
    lines, _ = source
    locate: Locator = read_tool_lines
    skip: int | None = 0
    if how == "read":
        lines = numbered(lines)
    else:
        skip = {"cat": 0, "sed": start, "tail": None}[how]
        locate = ShellRead("tail -n 900 m.py", "m.py", skip, False).locator("\n".join(lines))
    text = "\n".join(lines)
    result = cut_source(text, budget, locate=locate)
    assert splice(result) == text
    for first, count, marker in marked_ranges(result.text):
        low, high = map(int, RANGE.search(marker).groups())  # type: ignore[union-attr]
        assert high - low + 1 == count
        if how == "read":
            assert (low, high) == (first + 1, first + count)  # Read's own numbers
            assert f"offset={low} limit={count}" in marker
        elif skip is None:
            assert f"lines {first + 1}-{first + count} of this read" in marker
            assert f"tail -n 900 m.py | sed -n '{low},{high}p'" in marker
        else:
            assert (low, high) == (skip + first + 1, skip + first + count)
            assert f"sed -n '{low},{high}p' m.py" in marker


@SETTINGS
@given(sources(), st.integers(300, 6000))
def test_the_cut_keeps_to_its_budget_and_to_whole_lines(
        source: tuple[list[str], list[str]], budget: int) -> None:
    lines, _ = source
    result = cut_source("\n".join(lines), budget)
    if result.lossless:
        return
    kept = [line for line in result.text.split("\n") if not MARKER.match(line)]
    markers = len(result.text.split("\n")) - len(kept)
    # Line costs as the cut counts them; a gap cheaper than a marker (60) is kept instead.
    assert sum(count_tokens(line) + 1 for line in kept) <= budget + 60 * (markers + 1)
    assert set(kept) <= set(lines)


@SETTINGS
@given(sources(), st.data())
def test_a_function_the_user_names_that_fits_is_kept_whole(
        source: tuple[list[str], list[str]], data: st.DataObject) -> None:
    lines, names = source
    if not names:
        return
    name = data.draw(st.sampled_from(names))
    start = next(i for i, line in enumerate(lines) if re.match(rf"\s*def {name}\(", line))
    end = next(i for i in range(start + 1, len(lines)) if lines[i].strip().startswith("return"))
    body = lines[start:end + 1]
    budget = 6000
    if sum(count_tokens(line) + 1 for line in body) > budget // 3:
        return  # a big one competes with the module head and its class for the budget
    result = cut_source("\n".join(lines), budget, frozenset({name}))
    assert "\n".join(body) in result.text
