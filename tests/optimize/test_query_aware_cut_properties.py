"""Properties of the query-aware cut: rows holding the task's words are kept verbatim (up to
the cap), every omitted range is exactly what lynkr_expand serves, and nothing grows."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lynkr.model import Message, Request, TextBlock, Tool, ToolResultBlock, ToolUseBlock
from lynkr.optimize.compressors.query import QUERY_LINE_CAP, query_lines
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.text_compressors import compress_json, restore_log
from lynkr.optimize.tool_results import BlockCache, CompressionReport, compress_tool_results
from tests.optimize.expanded import expanded

THRESHOLD = 200
PLAIN = ("amber birch cedar delta ember fjord grove heron iris juniper kelp lotus maple "
         "nettle olive pine quartz reed sage thyme umber violet willow yarrow").split()
NEEDLES = ("swordfish", "quokka", "zanzibar")
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def haystacks(draw: st.DrawFn, min_rows: int, max_rows: int) -> tuple[list[str], str, set[int]]:
    """Lines of plain words; the needle on a few of them (never more than the cap). The
    words come from a seeded generator: drawing hundreds of lines one by one is slow."""
    n = draw(st.integers(min_rows, max_rows))
    rng = draw(st.randoms(use_true_random=False))
    lines = [" ".join(rng.choices(PLAIN, k=rng.randint(2, 7))) for _ in range(n)]
    needle = draw(st.sampled_from(NEEDLES))
    at = draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=QUERY_LINE_CAP))
    for i in at:
        words = lines[i].split()
        words.insert(rng.randint(0, len(words)), needle)
        lines[i] = " ".join(words)
    return lines, needle, at


def asked(prompt: str, output: str, command: str) -> Request:
    """A shell command's output: not a file read (``cat notes.py`` would go whole)."""
    return Request(model="m", tools=[Tool("Bash", "Run a command.")], messages=[
        Message("user", [TextBlock(prompt)]),
        Message("assistant", [ToolUseBlock("t1", "Bash", {"command": command})]),
        Message("user", [ToolResultBlock("t1", [TextBlock(output)])]),
    ])


def full(request: Request, store: ExpandStore) -> tuple[CompressionReport, str]:
    report = compress_tool_results(request, "full", THRESHOLD, store, cache=BlockCache())
    block = report.request.messages[2].content[0]
    assert isinstance(block, ToolResultBlock)
    return report, block.text


@SETTINGS
@given(haystacks(1, 300), st.integers(0, 40))
def test_query_lines_are_candidates_within_the_cap_and_all_of_a_rare_term(
        haystack: tuple[list[str], str, set[int]], cap: int) -> None:
    lines, needle, at = haystack
    candidates = [i % 3 != 0 for i in range(len(lines))]
    kept = query_lines(lines, {needle}, candidates, cap)
    assert len(kept) <= cap and all(candidates[i] for i in kept)
    wanted = {i for i in at if candidates[i]}
    if len(at) <= len(lines) / 2 and len(wanted) <= cap:
        assert kept == wanted


@SETTINGS
@given(haystacks(40, 160))
def test_every_json_row_holding_the_asked_word_is_sent_verbatim(
        haystack: tuple[list[str], str, set[int]]) -> None:
    lines, needle, at = haystack
    rows: list[dict[str, Any]] = [{"id": i, "note": line} for i, line in enumerate(lines)]
    text = json.dumps(rows, indent=2)
    store = ExpandStore()
    report, sent = full(asked(f"Find the {needle} rows", text, "cat data.json"), store)
    plain = compress_json(text, factored=False)
    assert plain is not None
    if report.expand_ids:
        needle_rows = [line for line in plain.text.split("\n") if needle in line]
        if len(at) <= len(lines) / 2:
            assert set(needle_rows) <= set(sent.split("\n"))
        assert expanded(sent, store) == plain.text
    else:
        assert sent.count(needle) >= len(at)
    assert report.tokens_after <= report.tokens_before


@SETTINGS
@given(haystacks(420, 600))
def test_every_text_line_holding_the_asked_word_is_sent_verbatim(
        haystack: tuple[list[str], str, set[int]]) -> None:
    lines, needle, at = haystack
    text = "\n".join(lines)
    store = ExpandStore()
    report, sent = full(asked(f"where is {needle} mentioned?", text, "cat notes.log"), store)
    if len(at) <= len(lines) / 2:
        assert {lines[i] for i in at} <= set(sent.split("\n"))
    # Exact repeats are counted (``line [×N]``) losslessly; the rest is the markers' lines.
    assert restore_log(expanded(sent, store)) == text
    assert report.tokens_after <= report.tokens_before
