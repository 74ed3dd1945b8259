"""Cheap recognition of tool-output formats, so each gets the compressor that fits it.

Heuristics look at line shapes only (no parsing of the whole text) and go from the most
specific signatures (``diff --git``, pytest banners) to the loosest (repetitive logs).
"""

from __future__ import annotations

import re

from lynkr.optimize.compressors.grep import parse_match
from lynkr.optimize.compressors.listing import LS_ROW
from lynkr.optimize.compressors.logs import shape

_PYTEST = re.compile(
    r"^(=+ (test session starts|FAILURES|ERRORS|short test summary info) =+"
    r"|=+ .*\b(passed|failed|error|errors|no tests ran)\b.* in [\d.]+s.*=+"
    r"|(FAILED|ERROR) \S+::\S+.*)$",
    re.M,
)
_CARGO = re.compile(r"^test result: (ok|FAILED)\. \d+ passed", re.M)
_GO = re.compile(r"^(\s*--- (FAIL|PASS): \S+ \(|ok  \t\S+|FAIL\t\S+\t)", re.M)
_JEST = re.compile(r"^((PASS|FAIL) \S+\.(test|spec)\.\w+|Tests:\s+.*\d+ total)", re.M)
_DIFF = re.compile(r"^(diff --git |--- a/.*\n\+\+\+ b/)", re.M)
_LOG_COMMIT = re.compile(r"^commit [0-9a-f]{7,64}\b.*\n(Merge: .*\n)?Author: ", re.M)
_STATUS = re.compile(
    r"^(On branch \S+|HEAD detached (at|from) \S+|Changes (not staged for commit|to be "
    r"committed):|Untracked files:|nothing to commit)",
    re.M,
)
_PORCELAIN = re.compile(r"^([ MADRCUT?!]{2} \S.*|## \S.*)$")
_PATH = re.compile(r"^\.{0,2}/?[\w.@+~-]+(/[\w.@+~ -]+)+/?$")
_NUMBERED = re.compile(r"^\s*\d+(\t|→)")
_LOG_LINE = re.compile(
    r"^(\[?\d{4}-\d{2}-\d{2}[T ]\d|\[?(INFO|WARN|WARNING|ERROR|DEBUG|TRACE)\b|\d{2}:\d{2}:\d{2})"
)


def _share(lines: list[str], predicate: object, at_least: float) -> bool:
    assert callable(predicate)
    return bool(lines) and sum(bool(predicate(line)) for line in lines) >= at_least * len(lines)


def detect_kind(text: str) -> str | None:
    """Name the tool-output format of ``text``, or None when nothing fits.

    Kinds: "pytest", "jest", "go_test", "cargo_test", "git_diff", "git_log", "git_status",
    "grep", "listing", "file" (line-numbered file contents), "log".
    """
    if _DIFF.search(text):
        return "git_diff"
    if _LOG_COMMIT.search(text):
        return "git_log"
    if _PYTEST.search(text):
        return "pytest"
    if _CARGO.search(text):
        return "cargo_test"
    if _GO.search(text):
        return "go_test"
    if _JEST.search(text):
        return "jest"
    if _STATUS.search(text):
        return "git_status"
    lines = [line for line in text.split("\n") if line.strip()]
    if len(lines) >= 2 and _share(lines, _PORCELAIN.match, 1.0):
        return "git_status"
    # A timestamped log ("2026-01-01 12:30:45 INFO a") parses as path "2026-01-01 12", line 30.
    if len(lines) >= 2 and _share(lines, parse_match, 0.8) \
            and not _share(lines, _LOG_LINE.match, 0.5):
        return "grep"
    if len(lines) >= 3 and _share(lines, LS_ROW.match, 0.6):
        return "listing"
    if len(lines) >= 5 and _share(lines, _PATH.match, 0.9):
        return "listing"
    if len(lines) >= 3 and _share(lines, _NUMBERED.match, 0.9):
        return "file"
    if len(lines) >= 10:
        shapes = [shape(line) for line in lines]
        runs = 1 + sum(a != b for a, b in zip(shapes, shapes[1:], strict=False))
        if runs <= 0.6 * len(lines) or _share(lines, _LOG_LINE.match, 0.5):
            return "log"
    return None
