"""Shared samples for the text compressor tests: real tool output from small trees and repos
built in temporary directories, and recorded outputs of other test runners."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from lynkr.optimize.compressors.base import MARKER
from lynkr.optimize.text_compressors import Compressed
from lynkr.tokens import count_tokens

# -- helpers -----------------------------------------------------------------------------------


def run_tool(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    return done.stdout


def saving(original: str, result: Compressed) -> float:
    return 1 - count_tokens(result.text) / count_tokens(original)


def omitted_is_exactly_the_dropped_lines(original: str, result: Compressed) -> bool:
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
    return run_tool(["grep", "-rn", "process_request", "."], tree)


@pytest.fixture(scope="module")
def real_pytest_output(tmp_path_factory: pytest.TempPathFactory) -> str:
    root = tmp_path_factory.mktemp("suite")
    (root / "test_calc.py").write_text(
        "import pytest\n\n"
        "@pytest.mark.parametrize('n', range(150))\n"
        "def test_square_is_non_negative(n):\n    assert n * n >= 0\n\n"
        "def test_division_rounds_down():\n    total = 7 // 2\n    assert total == 4\n\n"
        "def test_lookup_finds_key():\n    table = {'a': 1}\n    assert table['b'] == 1\n"
    )
    args = [sys.executable, "-m", "pytest", "-v", "-p", "no:cacheprovider", "-o", "addopts="]
    return run_tool([*args, "--rootdir", str(root), str(root)], root)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("repo")
    env = {
        "GIT_AUTHOR_NAME": "Ada Lovelace", "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada Lovelace", "GIT_COMMITTER_EMAIL": "ada@example.com",
        "GIT_AUTHOR_DATE": "2024-05-01T12:00:00+02:00",
        "GIT_COMMITTER_DATE": "2024-05-01T12:00:00+02:00",
    }  # fmt: skip
    run_tool(["git", "init", "-q", "-b", "main"], root)
    source = root / "engine.py"
    lines = [f"def step_{i}(state):\n    return state + {i}\n" for i in range(40)]
    for n in range(12):
        lines[n * 3] = f"def step_{n * 3}(state):\n    return state * {n + 2}\n"
        source.write_text("\n".join(lines))
        run_tool(["git", "add", "-A"], root, env)
        message = (
            f"Tune step {n * 3} of the engine\n\nThe old factor overflowed for large states.\n"
        )
        run_tool(["git", "commit", "-q", "-m", message + "Refs: #" + str(100 + n)], root, env)
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
