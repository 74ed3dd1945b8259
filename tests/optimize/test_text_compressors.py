"""Tool-output compressors, specified on real outputs (grep, pytest, git, ls run here) and on
transcribed jest / go test / cargo test runs.

The contract every test leans on: a lossless result can be turned back into the original,
and a lossy result's ``omitted`` is exactly the dropped lines, in order.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.optimize.text_compressors import (
    compress_grep,
    compress_test_output,
    compress_text,
    detect_kind,
    restore_grep,
    splice,
)
from lynkr.optimize.toon import decode
from lynkr.tokens import count_tokens
from tests.optimize.conftest import (
    BUILD_LOG,
    CARGO,
    GO_TEST,
    JEST,
    omitted_is_exactly_the_dropped_lines,
    run_tool,
    saving,
)

# -- detection ---------------------------------------------------------------------------------


def test_detect_kind_recognises_each_real_tool_output(
    grep_output: str, real_pytest_output: str, repo: Path
) -> None:
    assert detect_kind(grep_output) == "grep"
    assert detect_kind(real_pytest_output) == "pytest"
    assert detect_kind(run_tool(["git", "log"], repo)) == "git_log"
    assert detect_kind(run_tool(["git", "diff"], repo)) == "git_diff"
    assert detect_kind(run_tool(["git", "status"], repo)) == "git_status"
    assert detect_kind(run_tool(["git", "status", "--porcelain"], repo)) == "git_status"
    assert detect_kind(run_tool(["ls", "-la"], repo)) == "listing"
    assert detect_kind(JEST) == "jest"
    assert detect_kind(GO_TEST) == "go_test"
    assert detect_kind(CARGO) == "cargo_test"
    assert detect_kind(BUILD_LOG) == "log"


def test_detect_kind_leaves_prose_alone() -> None:
    assert detect_kind("The build finished.\nNothing else to report.") is None


# -- grep --------------------------------------------------------------------------------------


@pytest.mark.parametrize("log", [
    "2026-01-01 12:00:00 INFO a\n2026-01-01 12:00:01 INFO b\n",
    "2026-01-01 12:30:45 INFO started\n2026-01-01 12:31:02 WARN slow\n",
    "12:30:45 started\n12:31:02 slow\n12:31:09 done\n",
])
def test_a_timestamped_log_is_never_read_as_grep_output(log: str) -> None:
    """Grouped as grep, "12:00:00" would show the model a file "2026-01-01 12" and line 00."""
    assert detect_kind(log) != "grep"
    assert compress_text(log, lossy=False).text == log


def test_grep_results_are_grouped_by_file_losslessly_and_cost_fewer_tokens(
    grep_output: str,
) -> None:
    result = compress_grep(grep_output)
    assert result.lossless and result.omitted is None and result.kind == "grep"
    assert restore_grep(result.text) == grep_output
    assert saving(grep_output, result) > 0.15
    assert "./lynkr/optimize/module_0.py\n4:     return process_request(request, 0)" in (
        result.text
    )


def test_grep_context_lines_and_separators_survive_grouping(tree: Path) -> None:
    output = run_tool(["grep", "-rn", "-C1", "handler_0_3", "."], tree)
    result = compress_grep(output)
    assert result.text != output and restore_grep(result.text) == output


def test_text_that_is_not_all_grep_comes_back_unchanged() -> None:
    text = "a.py:1:x\nsomething else entirely"
    assert compress_grep(text).text == text


_PATHS = st.sampled_from(["a.py", "src/b.ts", "lib/c d.rs", "x-1/y.go"])
_CONTENT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\n\r"))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_PATHS, st.integers(1, 999), _CONTENT), min_size=1, max_size=20))
def test_grep_grouping_always_restores_the_exact_output(
    matches: list[tuple[str, int, str]],
) -> None:
    output = "\n".join(f"{path}:{n}:{content}" for path, n, content in matches) + "\n"
    assert restore_grep(compress_grep(output).text) == output


# -- test runners ------------------------------------------------------------------------------


def test_pytest_keeps_failures_tracebacks_and_summary_and_drops_passes(
    real_pytest_output: str,
) -> None:
    result = compress_test_output(real_pytest_output, "pytest")
    assert not result.lossless
    assert "FAILED" in result.text and "assert 3 == 4" in result.text
    assert "KeyError: 'b'" in result.text and "2 failed, 150 passed" in result.text
    assert "PASSED" not in result.text and "passing lines omitted]" in result.text
    assert omitted_is_exactly_the_dropped_lines(real_pytest_output, result)
    assert splice(result) == real_pytest_output
    assert saving(real_pytest_output, result) > 0.6


@pytest.mark.parametrize(
    ("kind", "output", "must_keep"),
    [
        ("jest", JEST, ["● ApiClient › retries on 503", "Received: 1", "Tests:       1 failed"]),
        ("go_test", GO_TEST, ["--- FAIL: TestRoundTrip", 'want: {"a":2}', "FAIL\tgithub.com"]),
        ("cargo_test", CARGO, ["adds_wrong ... FAILED", "  left: 4", "test result: FAILED"]),
    ],
)
def test_other_runners_keep_failures_and_drop_passes(
    kind: str, output: str, must_keep: list[str]
) -> None:
    result = compress_test_output(output, kind)
    assert all(piece in result.text for piece in must_keep)
    assert "✓" not in result.text and "--- PASS" not in result.text and "... ok" not in result.text
    assert omitted_is_exactly_the_dropped_lines(output, result)
    assert splice(result) == output
    assert saving(output, result) > 0.3


# -- the dispatcher ----------------------------------------------------------------------------


def test_json_text_becomes_toon_when_that_is_smaller_and_decodes_to_the_same_data() -> None:
    rows = [{"id": i, "path": f"src/m{i}.py", "ok": i % 3 == 0} for i in range(30)]
    text = __import__("json").dumps(rows, indent=2)
    result = compress_text(text)
    assert result.kind == "json" and result.lossless and decode(result.text) == rows
    assert result.text.startswith("[30]{id,path,ok}:")


def test_long_unrecognised_text_keeps_head_and_tail() -> None:
    words = "the quick brown fox jumps over a lazy dog while seven wizards quietly vex".split()
    text = "\n".join(
        f"paragraph {i}: " + " ".join(words[(i * j + i // 3) % len(words)] for j in range(i % 9))
        for i in range(1000)
    )
    result = compress_text(text, max_lines=100)
    assert result.kind == "text" and not result.lossless
    assert result.text.startswith("paragraph 0:") and "paragraph 999:" in result.text
    assert splice(result) == text
    assert compress_text(text, lossy=False).text == text


def test_dispatcher_never_returns_something_bigger_and_is_deterministic(
    grep_output: str, real_pytest_output: str, repo: Path
) -> None:
    samples = [grep_output, real_pytest_output, JEST, GO_TEST, CARGO, BUILD_LOG, "short", ""]
    samples += [run_tool(["git", *args], repo) for args in (["log"], ["diff"], ["status"])]
    for sample in samples:
        first, second = compress_text(sample), compress_text(sample)
        assert first == second
        assert count_tokens(first.text) <= count_tokens(sample)
        if first.lossless:
            assert first.omitted is None
        else:
            assert first.omitted


def test_lossless_mode_only_applies_lossless_rewrites(real_pytest_output: str, repo: Path) -> None:
    assert compress_text(real_pytest_output, lossy=False).text == real_pytest_output
    diff = run_tool(["git", "diff"], repo)
    assert compress_text(diff, lossy=False).text == diff
