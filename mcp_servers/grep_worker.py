"""Python-regex search in a separate process that can be killed at a deadline.

Python's ``re`` backtracks: a plausible pattern such as ``compute\\((\\s*\\w+\\s*,?)*\\)`` over an
unclosed call takes exponential time, and the matcher holds the GIL for all of it, so run in
the server it would freeze every other tool call and no thread could stop it. Run here, in
a child process, the caller waits with a deadline and kills the child when it passes.

Both sides live in this file. The child side (``main``) imports only the standard library, so
it starts in tens of milliseconds; children are kept and reused between searches, so a normal
grep pays one JSON round trip, not a process start. A child also caps its own CPU time per
search (``RLIMIT_CPU``), so one whose server died mid-search still ends.
"""

from __future__ import annotations

import json
import os
import re
import select
import stat
import subprocess
import sys
import threading
import time
from typing import Any

# Idle children kept for the next search; more run at once when searches overlap.
_MAX_IDLE = 2


class SearchTimeout(Exception):
    """The search did not finish by its deadline; its child process was killed."""


def split_lines(text: str) -> list[str]:
    """``text`` split on ``\\n`` only, a trailing ``\\r`` trimmed: the line numbers tree-sitter,
    editors and ``grep -n`` use. ``str.splitlines`` also splits on form feeds, U+2028 and
    other separators, which shifts every later line number."""
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


class FileTooLarge(Exception):
    """A regular file over the size cap it was read with."""


def read_regular(path: str, max_bytes: int | None = None) -> bytes | None:
    """The bytes of ``path`` if it is a regular file, else None; ``FileTooLarge`` if it is
    over ``max_bytes``.

    Opened non-blocking and checked with ``fstat`` on the open descriptor, so a named pipe or
    device (or a file swapped for one after the directory walk) is never read: reading a
    FIFO blocks until a writer appears, which is forever."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None
        if max_bytes is not None and info.st_size > max_bytes:
            raise FileTooLarge(path)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read()
    except OSError:
        return None
    finally:
        os.close(fd)


Row = tuple[int, int, int, str]


def search_files(pattern: str, flags: int, paths: list[str],
                 max_bytes: int) -> tuple[list[Row], int]:
    """Every matching line of the text files in ``paths`` as (path index, 1-based line,
    column of the match, line), and how many files were skipped for being over
    ``max_bytes``. Binary files (a NUL in the first KB) are skipped."""
    regex = re.compile(pattern, flags)
    found: list[Row] = []
    too_big = 0
    for index, path in enumerate(paths):
        try:
            data = read_regular(path, max_bytes)
        except FileTooLarge:
            too_big += 1
            continue
        if data is None or b"\x00" in data[:1024]:
            continue
        text = data.decode("utf-8", errors="replace")
        if not regex.search(text):
            continue
        for number, line in enumerate(split_lines(text), 1):
            hit = regex.search(line)
            if hit:
                found.append((index, number, hit.start(), line))
    return found, too_big


def main() -> None:
    """Child loop: one JSON request per stdin line, one JSON answer per stdout line."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    sys.stdout.write("ready\n")  # the caller's deadline starts here, not at the spawn
    sys.stdout.flush()
    for raw in sys.stdin:
        request = json.loads(raw)
        used = resource.getrusage(resource.RUSAGE_SELF)
        budget = int(used.ru_utime + used.ru_stime + request["deadline"]) + 2
        if hard == resource.RLIM_INFINITY or budget < hard:
            resource.setrlimit(resource.RLIMIT_CPU, (budget, hard))
        try:
            matches, too_big = search_files(request["pattern"], request["flags"],
                                            request["paths"], request["max_bytes"])
            answer: dict[str, Any] = {"matches": matches, "too_big": too_big}
        except Exception as exc:  # reported to the caller, the child stays usable
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


class _Child:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-I", "-S", __file__], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.ready = False

    def wait_ready(self) -> None:
        """Wait for the child's start (tens of ms; seconds on a loaded machine), which a
        search's deadline must not pay: a short ``--grep-timeout`` timed out the search after
        a killed one, spent on starting its replacement."""
        if not self.ready:
            if self._line(time.monotonic() + _START_SECONDS) != b"ready\n":
                raise BrokenPipeError("grep worker did not start")
            self.ready = True

    def ask(self, request: dict[str, Any], deadline: float) -> dict[str, Any]:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(request).encode() + b"\n")
        self.proc.stdin.flush()
        return dict(json.loads(self._line(deadline)))

    def _line(self, deadline: float) -> bytes:
        assert self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        chunks: list[bytes] = []
        while not (chunks and chunks[-1].endswith(b"\n")):
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise SearchTimeout
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise BrokenPipeError("grep worker exited")
            chunks.append(chunk)
        return b"".join(chunks)

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()


_idle: list[_Child] = []
_idle_lock = threading.Lock()
_START_SECONDS = 30.0


def _spare() -> None:
    """Start a child for the next search after one was killed, so it is up by then."""
    with _idle_lock:
        if len(_idle) < _MAX_IDLE:
            _idle.append(_Child())


def run_search(pattern: str, flags: int, paths: list[str], max_bytes: int,
               timeout: float) -> tuple[list[Row], int]:
    """``search_files`` in a child process; raises ``SearchTimeout`` after ``timeout`` s
    (the child is killed, nothing keeps running) and ``ValueError`` if the child failed."""
    request = {"pattern": pattern, "flags": flags, "paths": paths, "max_bytes": max_bytes,
               "deadline": timeout}
    for attempt in range(2):
        with _idle_lock:
            child = _idle.pop() if _idle else None
        child = child or _Child()
        try:
            child.wait_ready()
            answer = child.ask(request, time.monotonic() + timeout)
        except SearchTimeout:
            child.kill()
            if not child.ready:  # it never started: not the pattern's fault
                raise ValueError("the grep worker process did not start") from None
            _spare()
            raise
        except (BrokenPipeError, ValueError):
            child.kill()
            if attempt:  # a fresh child failed too: not a stale idle one
                raise ValueError("the grep worker process failed") from None
            continue
        with _idle_lock:
            if len(_idle) < _MAX_IDLE:
                _idle.append(child)
                child = None
        if child is not None:
            child.kill()
        if "error" in answer:
            raise ValueError(answer["error"])
        rows = [(int(i), int(n), int(c), str(t)) for i, n, c, t in answer["matches"]]
        return rows, int(answer["too_big"])
    raise AssertionError("unreachable")


if __name__ == "__main__":
    main()
