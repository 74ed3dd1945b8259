"""Tool-output compressors, specified on real outputs (grep, pytest, git, ls run here) and on
transcribed jest / go test / cargo test runs.

The contract every test leans on: a lossless result can be turned back into the original,
and a lossy result's ``omitted`` is exactly the dropped lines, in order.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.optimize.compressors.base import MARKER, select
from lynkr.optimize.text_compressors import (
    Compressed,
    compress_git_diff,
    compress_git_log,
    compress_git_status,
    compress_grep,
    compress_listing,
    compress_log,
    compress_test_output,
    compress_text,
    detect_kind,
    restore_grep,
    restore_log,
    restore_paths,
    splice,
)
from lynkr.optimize.toon import decode
from lynkr.tokens import count_tokens

# -- helpers -----------------------------------------------------------------------------------


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return done.stdout


def _saving(original: str, result: Compressed) -> float:
    return 1 - count_tokens(result.text) / count_tokens(original)


def _omitted_is_exactly_the_dropped_lines(original: str, result: Compressed) -> bool:
    """Original lines = kept lines (``text`` minus markers) interleaved with ``omitted``."""
    assert result.omitted is not None
    kept = [line for line in result.text.split("\n") if not MARKER.match(line)]
    dropped = result.omitted.split("\n")
    lines = original.split("\n")
    reachable = {0}  # how many kept lines have been matched after each prefix of ``lines``
    for pos, line in enumerate(lines):
        reachable = {
            nxt
            for i in reachable
            for nxt, ok in (
                (i + 1, i < len(kept) and kept[i] == line),
                (i, pos - i < len(dropped) and dropped[pos - i] == line),
            )
            if ok
        }
    return any(i == len(kept) and len(lines) - i == len(dropped) for i in reachable)


# -- realistic samples -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("proj")
    for package in ("lynkr/optimize", "lynkr/routing", "tests/optimize"):
        (root / package).mkdir(parents=True)
        for n in range(4):
            body = "\n".join(
                f"def handler_{n}_{i}(request):\n    return process_request(request, {i})\n"
                for i in range(6)
            )
            (root / package / f"module_{n}.py").write_text(f'"""Module {n}."""\n\n{body}')
    return root


@pytest.fixture(scope="module")
def grep_output(tree: Path) -> str:
    return _run(["grep", "-rn", "process_request", "."], tree)


@pytest.fixture(scope="module")
def pytest_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("suite")
    (root / "test_calc.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('n', range(150))\n"
        "def test_square_is_non_negative(n):\n    assert n * n >= 0\n\n"
        "def test_division_rounds_down():\n    total = 7 // 2\n    assert total == 4\n\n"
        "def test_lookup_finds_key():\n    table = {'a': 1}\n    assert table['b'] == 1\n"
    )
    args = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-o", "addopts="]
    return _run([*args, "--rootdir", str(root), str(root)], root)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    env = {
        "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_AUTHOR_DATE": "2024-05-01T12:00:00+02:00",
        "GIT_COMMITTER_DATE": "2024-05-01T12:00:00+02:00",
    }  # fmt: skip
    _run(["git", "init", "-q", "-b", "main"], root)
    source = root / "engine.py"
    lines = [f"def step_{i}(state):\n    return state + {i}\n" for i in range(40)]
    for n in range(12):
        lines[n * 3] = f"def step_{n * 3}(state):\n    return state * {n + 2}\n"
        source.write_text("\n".join(lines))
        _run(["git", "add", "-A"], root, env)
        message = (
            f"Tune step {n * 3} of the engine\n\nThe old factor overflowed for large states.\n"
        )
        _run(["git", "commit", "-q", "-m", message + "Refs: #" + str(100 + n)], root, env)
    lines[5] = "def step_5(state):\n    return state - 5\n"
    lines[30] = "def step_30(state):\n    return abs(state)\n"
    source.write_text("\n".join(lines))
    (root / "notes.txt").write_text("todo\n")
    return root


_JEST_PASSING = "".join(
    f"PASS src/feature{n}/feature{n}.test.ts\n  Feature {n}\n"
    + "".join(f"    ✓ handles case {c} of feature {n} ({c + 1} ms)\n" for c in range(5))
    for n in range(8)
)
JEST = (
    _JEST_PASSING
    + """\
FAIL src/api/client.test.ts
  ● ApiClient › retries on 503

    expect(received).toBe(expected) // Object.is equality

    Expected: 3
    Received: 1

      40 |     await client.get('/health');
      41 |     expect(fetchMock).toHaveBeenCalledTimes(3);
    > 42 |     expect(client.retries).toBe(3);
         |                            ^

      at Object.<anonymous> (src/api/client.test.ts:42:28)

PASS src/store/cache.test.ts
  Cache
    ✓ stores values (3 ms)
    ✓ evicts least recently used (1 ms)
    ✓ expires entries after ttl (2 ms)
    ✓ survives concurrent writes (5 ms)

Test Suites: 1 failed, 3 passed, 4 total
Tests:       1 failed, 41 passed, 42 total
Snapshots:   0 total
Time:        2.913 s
"""
)

GO_TEST = "\n".join(
    [
        line
        for i in range(30)
        for line in (f"=== RUN   TestParse{i}", f"--- PASS: TestParse{i} (0.00s)")
    ]
    + [
        "=== RUN   TestRoundTrip",
        "    codec_test.go:88: round trip mismatch",
        '        got:  {"a":1}',
        '        want: {"a":2}',
        "--- FAIL: TestRoundTrip (0.01s)",
        "FAIL",
        "FAIL\tgithub.com/acme/codec\t0.014s",
        "ok  \tgithub.com/acme/codec/internal/buf\t0.003s",
    ]
)

CARGO = "\n".join(
    ["   Compiling demo v0.1.0 (/tmp/demo)", "    Finished `test` profile in 0.41s",
     "     Running unittests src/lib.rs (target/debug/deps/demo-1b2c)", "",
     "running 41 tests"]
    + [f"test tests::adds_{i} ... ok" for i in range(40)]
    + ["test tests::adds_wrong ... FAILED", "", "failures:", "",
       "---- tests::adds_wrong stdout ----",
       "thread 'tests::adds_wrong' panicked at src/lib.rs:8:31:",
       "assertion `left == right` failed: math is hard", "  left: 4", " right: 5", "",
       "failures:", "    tests::adds_wrong", "",
       "test result: FAILED. 40 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out"]
)  # fmt: skip

BUILD_LOG = "\n".join(
    ["> vite build", "vite v5.2.0 building for production..."]
    + [f"transforming ({i}) src/components/Widget{i}.tsx" for i in range(60)]
    + ["warning: unused variable `x` in src/app.ts"] * 25
    + ["✓ 61 modules transformed.", "dist/index.html  0.46 kB", "✓ built in 1.32s"]
)


# -- detection ---------------------------------------------------------------------------------


def test_detect_kind_recognises_each_real_tool_output(
    grep_output: str, pytest_output: str, repo: Path
) -> None:
    assert detect_kind(grep_output) == "grep"
    assert detect_kind(pytest_output) == "pytest"
    assert detect_kind(_run(["git", "log"], repo)) == "git_log"
    assert detect_kind(_run(["git", "diff"], repo)) == "git_diff"
    assert detect_kind(_run(["git", "status"], repo)) == "git_status"
    assert detect_kind(_run(["git", "status", "--porcelain"], repo)) == "git_status"
    assert detect_kind(_run(["ls", "-la"], repo)) == "listing"
    assert detect_kind(JEST) == "jest"
    assert detect_kind(GO_TEST) == "go_test"
    assert detect_kind(CARGO) == "cargo_test"
    assert detect_kind(BUILD_LOG) == "log"


def test_detect_kind_leaves_prose_alone() -> None:
    assert detect_kind("The build finished.\nNothing else to report.") is None


# -- grep --------------------------------------------------------------------------------------


def test_grep_results_are_grouped_by_file_losslessly_and_cost_fewer_tokens(
    grep_output: str,
) -> None:
    result = compress_grep(grep_output)
    assert result.lossless and result.omitted is None and result.kind == "grep"
    assert restore_grep(result.text) == grep_output
    assert _saving(grep_output, result) > 0.15
    assert "./lynkr/optimize/module_0.py\n  4:     return process_request(request, 0)" in (
        result.text
    )


def test_grep_context_lines_and_separators_survive_grouping(tree: Path) -> None:
    output = _run(["grep", "-rn", "-C1", "handler_0_3", "."], tree)
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
    pytest_output: str,
) -> None:
    result = compress_test_output(pytest_output, "pytest")
    assert not result.lossless
    assert "FAILED" in result.text and "assert 3 == 4" in result.text
    assert "KeyError: 'b'" in result.text and "2 failed, 150 passed" in result.text
    assert "PASSED" not in result.text and "passing lines omitted]" in result.text
    assert _omitted_is_exactly_the_dropped_lines(pytest_output, result)
    assert splice(result) == pytest_output
    assert _saving(pytest_output, result) > 0.6


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
    assert _omitted_is_exactly_the_dropped_lines(output, result)
    assert splice(result) == output
    assert _saving(output, result) > 0.3


# -- git ---------------------------------------------------------------------------------------


def test_git_log_becomes_one_line_per_commit_with_the_full_log_omitted(repo: Path) -> None:
    log = _run(["git", "log"], repo)
    result = compress_git_log(log)
    rows = result.text.split("\n")
    assert len(rows) == 13 and rows[0].endswith(
        "2024-05-01 Ada Lovelace: Tune step 33 of the engine"
    )
    assert result.omitted == log and not result.lossless
    assert _saving(log, result) > 0.5


def test_git_diff_keeps_changes_and_drops_far_context(repo: Path) -> None:
    diff = _run(["git", "diff"], repo)
    result = compress_git_diff(diff)
    assert "-    return state + 5" in result.text and "+    return abs(state)" in result.text
    assert "@@ " in result.text and "index " not in result.text
    assert "unchanged lines omitted]" in result.text
    assert _omitted_is_exactly_the_dropped_lines(diff, result)
    assert _saving(diff, result) > 0.1


def test_git_status_drops_hints_and_keeps_every_file(repo: Path) -> None:
    status = _run(["git", "status"], repo)
    result = compress_git_status(status)
    assert "engine.py" in result.text and "notes.txt" in result.text
    assert '  (use "git' not in result.text
    assert _omitted_is_exactly_the_dropped_lines(status, result)
    assert count_tokens(result.text) < count_tokens(status)


# -- listings and logs -------------------------------------------------------------------------


def test_ls_l_becomes_names_and_sizes(tree: Path) -> None:
    listing = _run(["ls", "-la", "lynkr/optimize"], tree)
    result = compress_listing(listing)
    assert "module_0.py " in result.text and "-rw" not in result.text
    assert result.omitted == listing and _saving(listing, result) > 0.4


def test_find_output_is_grouped_by_directory_losslessly(tree: Path) -> None:
    paths = "\n".join(sorted(_run(["find", ".", "-name", "*.py"], tree).split())) + "\n"
    result = compress_text(paths)
    assert result.kind == "listing" and result.lossless
    assert restore_paths(result.text) == paths and _saving(paths, result) > 0.2


def test_build_log_collapses_repeats_with_counts_and_similar_runs_with_markers() -> None:
    result = compress_log(BUILD_LOG)
    assert "warning: unused variable `x` in src/app.ts [×25]" in result.text
    assert "[… 58 similar lines omitted]" in result.text
    assert restore_log(splice(result)) == BUILD_LOG
    assert _saving(BUILD_LOG, result) > 0.6


def test_log_compression_without_lossy_only_counts_exact_repeats() -> None:
    result = compress_log(BUILD_LOG, lossy=False)
    assert result.lossless and result.omitted is None
    assert restore_log(result.text) == BUILD_LOG


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["ok", "retry 1", "retry 2", "retry 30", "done", ""]), max_size=40))
def test_log_compression_is_exactly_reversible(lines: list[str]) -> None:
    text = "\n".join(lines)
    result = compress_log(text)
    assert restore_log(splice(result)) == text


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8).filter(lambda s: "\n" not in s), st.booleans())))
def test_selection_splices_back_to_the_original(rows: list[tuple[str, bool]]) -> None:
    lines = [line for line, _ in rows if not MARKER.match(line)]
    keep = [k for line, k in rows if not MARKER.match(line)]
    result = select(lines, keep, "text", "test")
    assert splice(result) == "\n".join(lines)


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
    grep_output: str, pytest_output: str, repo: Path
) -> None:
    samples = [grep_output, pytest_output, JEST, GO_TEST, CARGO, BUILD_LOG, "short", ""]
    samples += [_run(["git", *args], repo) for args in (["log"], ["diff"], ["status"])]
    for sample in samples:
        first, second = compress_text(sample), compress_text(sample)
        assert first == second
        assert count_tokens(first.text) <= count_tokens(sample)
        if first.lossless:
            assert first.omitted is None
        else:
            assert first.omitted


def test_lossless_mode_only_applies_lossless_rewrites(pytest_output: str, repo: Path) -> None:
    assert compress_text(pytest_output, lossy=False).text == pytest_output
    diff = _run(["git", "diff"], repo)
    assert compress_text(diff, lossy=False).text == diff
