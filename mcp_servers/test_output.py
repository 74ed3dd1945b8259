"""Test-run output reduced to what a model acts on: failures, their tracebacks, the summary.

Passing tests, progress dots, captured-output sections of passing tests and warning lists are
noise to an agent fixing a failure. These are pure functions over the runner's text so they
can be checked without running anything.
"""

from __future__ import annotations

import re

_PYTEST_SECTION = re.compile(r"^={3,} ?(.+?) ?={3,}$")
_PYTEST_KEEP_SECTIONS = ("FAILURES", "ERRORS", "short test summary info")
_PYTEST_SUMMARY = re.compile(
    r"^=*\s*(\d+ (failed|passed|error|errors|skipped|xfailed|xpassed|warnings?|deselected)"
    r"|no tests ran).*(in [\d.]+s)", re.I)
_CAPTURED = re.compile(r"^-{3,} Captured (stdout|stderr|log) (call|setup|teardown) -{3,}$")
# Inside a traceback: blank lines, frame separators (``_ _ _``) and the ``^^^^`` position
# markers under the ``>`` line repeat what the surrounding lines already say.
_NOISE = re.compile(r"^\s*$|^(_ )+_?\s*$|^\s*\^+\s*$")
# Per failure, the last lines of the traceback carry the assertion and the error.
MAX_FAILURE_LINES = 60
# Per captured-output section of a failure: its first and last lines (a test printing
# megabytes must not bury the traceback or flood the model's context).
CAPTURE_HEAD_LINES = 15
CAPTURE_TAIL_LINES = 25
# Per line: a longer line keeps its head and tail (a one-line 10 MB print, a minified blob).
MAX_LINE_CHARS = 400
# Per result: whatever the runner, at most this many lines reach the model.
MAX_RESULT_LINES = 400
_GENERIC_FAIL = re.compile(
    r"(FAIL|Error|error\[|panicked|panic:|✕|●|Expected|Received|assert|--- FAIL|failures:)")


def compress_pytest(output: str, *, max_failure_lines: int = MAX_FAILURE_LINES) -> str:
    """Keep pytest's failures and errors (each trimmed to its last lines, without blank
    lines, frame separators and caret markers), the short summary and the final count line;
    drop everything else (progress, passing tests, warnings, headers)."""
    kept: list[str] = []
    section: str | None = None
    block: list[str] = []
    captures: list[list[str]] = []  # one list per captured section: header, then lines
    summary = ""

    def flush_block() -> None:
        if len(block) > max_failure_lines:
            cut = len(block) - max_failure_lines
            kept.extend([block[0], f"[... {cut} traceback lines cut ...]"])
            kept.extend(block[-(max_failure_lines - 1):])
        else:
            kept.extend(block)
        for capture in captures:
            kept.append(capture[0])
            kept.extend(head_tail(capture[1:], CAPTURE_HEAD_LINES, CAPTURE_TAIL_LINES,
                                  "captured lines"))
        block.clear()
        captures.clear()

    skipping_capture = False
    for line in output.splitlines():
        heading = _PYTEST_SECTION.match(line)
        if _PYTEST_SUMMARY.match(line):
            summary = line.strip("= ").strip()
            continue
        if heading:
            flush_block()
            title = heading.group(1)
            section = title if title in _PYTEST_KEEP_SECTIONS else None
            continue
        if section is None:
            continue
        if re.match(r"^_{3,} .+ _{3,}$", line):
            flush_block()
            skipping_capture = False
            block.append(line.strip("_ ").join(("__ ", " __")))
            continue
        if _CAPTURED.match(line):
            skipping_capture = "stdout call" not in line and "stderr call" not in line
            if not skipping_capture:
                captures.append([line.strip("- ").join(("-- ", " --"))])
            continue
        if skipping_capture:
            continue
        if section == "short test summary info":
            kept.append(line)
        elif not _NOISE.match(line):
            (captures[-1] if captures else block).append(line)
    flush_block()
    kept = _merge_short_summary(kept)
    if summary:
        kept.append(summary)
    return "\n".join(kept) if kept else output.strip()[-2000:]


_SHORT_SUMMARY = re.compile(r"^(FAILED|ERROR) (\S+?)(?: - .*)?$")
_BLOCK_HEADER = re.compile(r"^__ (?:ERROR at \w+ of )?(.+) __$")


def _merge_short_summary(kept: list[str]) -> list[str]:
    """Put each short-summary node id (``tests/x.py::test_y``, what a rerun needs) into its
    failure's header and drop the summary line: its message repeats the traceback's."""
    node_ids: dict[str, str] = {}
    for line in kept:
        found = _SHORT_SUMMARY.match(line)
        if found:
            node_ids[found.group(2).rsplit("::", 1)[-1]] = f"{found.group(1)} {found.group(2)}"
    if not node_ids:
        return kept
    out: list[str] = []
    for line in kept:
        header = _BLOCK_HEADER.match(line)
        name = header.group(1).rsplit(".", 1)[-1] if header else None
        if name is not None and name in node_ids:
            out.append(node_ids.pop(name))
        elif _SHORT_SUMMARY.match(line):
            continue
        elif out and out[-1].endswith(f"::{line.strip().removeprefix('def ')[:-3]}") \
                and line.strip().endswith("():"):
            continue  # the test's own `def test_x():` line repeats the header just written
        else:
            out.append(line.rstrip())
    # Summary entries without a traceback block (e.g. collection errors) stay.
    return out + list(node_ids.values())


def compress_generic(output: str, *, context: int = 2, tail: int = 15) -> str:
    """For runners without a dedicated parser: lines that look like failures (with a little
    context) plus the last lines, where every runner prints its summary."""
    try:
        from lynkr.optimize.text_compressors import compress_text
    except ImportError:
        compress_text = None
    if compress_text is not None:
        return compress_text(output, lossy=True).text
    lines = output.splitlines()
    keep: set[int] = set(range(max(0, len(lines) - tail), len(lines)))
    for i, line in enumerate(lines):
        if _GENERIC_FAIL.search(line):
            keep.update(range(max(0, i - context), min(len(lines), i + context + 1)))
    out: list[str] = []
    previous = -1
    for i in sorted(keep):
        if i != previous + 1 and out:
            out.append("[...]")
        out.append(lines[i])
        previous = i
    return "\n".join(out)


def head_tail(lines: list[str], head: int, tail: int, what: str = "lines") -> list[str]:
    """``lines`` whole when short, else the first ``head`` and last ``tail`` with a line
    saying how many were cut between them."""
    if len(lines) <= head + tail + 1:
        return lines
    return [*lines[:head], f"[... {len(lines) - head - tail} {what} cut ...]", *lines[-tail:]]


def cap_line(line: str, max_chars: int = MAX_LINE_CHARS) -> str:
    """A line over ``max_chars`` as its head and tail with the number of characters cut."""
    if len(line) <= max_chars:
        return line
    keep = max_chars // 2
    return f"{line[:keep]}[... {len(line) - 2 * keep} chars cut ...]{line[-keep:]}"


def compress_test_output(framework: str, output: str) -> str:
    """Failures and summary of one run, by the framework that produced it, every line and
    the whole bounded (the summary, printed last, always survives)."""
    compressed = compress_pytest(output) if framework == "pytest" else compress_generic(output)
    lines = [cap_line(line) for line in compressed.split("\n")]
    tail = MAX_RESULT_LINES * 3 // 4
    return "\n".join(head_tail(lines, MAX_RESULT_LINES - tail, tail))
