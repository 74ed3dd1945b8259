"""Reading and extracting many files, in a process pool across cores.

Work is sent in chunks of similar total size (largest files first) so that no process waits
on one big file at the end, and nothing is pickled per tiny file. Each worker compiles its
queries once (``extract.compiled_query`` caches per process) and returns compact records.
"""

from __future__ import annotations

import codecs
import gc
import hashlib
import heapq
import io
import multiprocessing
import os
import re
import tokenize
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import NamedTuple

from graph.extract import extract_facts
from graph.facts import FileFacts
from graph.languages import refine_language
from graph.resolve import pack_defs, symbol_ids
from graph.store import encode_facts

Progress = Callable[[int, int], None]

# Small jobs are faster in-process than paying for a pool's start-up.
IN_PROCESS_BYTES = 400_000
# A comment near the top saying the file is generated (Go's "Code generated ... DO NOT
# EDIT.", Meta's "@generated"); a mention of the words in code does not count.
_GENERATED = re.compile(
    rb"^[ \t]*(?:#|//|/\*|\*|--|;|<!--)[^\n]*(?:@generated|DO NOT EDIT)", re.MULTILINE)


class Work(NamedTuple):
    """One file to read: repo-relative path, absolute path, language, size."""

    path: str
    abs_path: str
    language: str
    size: int


class Extracted(NamedTuple):
    """One parsed file as the build needs it. The facts travel JSON-encoded: cheaper to
    send between processes than pickled records, stored as they are, and decoded only
    where a file is linked."""

    language: str
    encoded: bytes  # store.encode_facts
    defs: str  # resolve.pack_defs of (name, node id)
    symbols: int
    comment_lines: int
    lines: int


class Parsed(NamedTuple):
    """Outcome for one file: its extraction, or a skip reason / warning explaining why none."""

    path: str
    digest: str
    extracted: Extracted | None
    skipped: str  # "", "binary", "generated", "unreadable", "failed"
    warning: str


def extracted(path: str, facts: FileFacts) -> Extracted:
    """The build's view of one file's facts."""
    ids = symbol_ids(path, facts.symbols)
    return Extracted(
        facts.language, encode_facts(facts),
        pack_defs(zip((s.name for s in facts.symbols), ids, strict=True)),
        len(facts.symbols), facts.comment_lines, facts.lines,
    )


def content_digest(data: bytes) -> str:
    """The content hash that decides whether a file must be parsed again."""
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _as_utf8(data: bytes, language: str) -> bytes:
    """``data`` in UTF-8, honouring a Python file's PEP 263 coding cookie (``# -*- coding:
    latin-1 -*-``) as Python does; anything else, or a cookie that does not decode the file,
    is returned as it is (names then decode with replacement characters)."""
    if language != "python" or b"coding" not in data[:data.find(b"\n", data.find(b"\n") + 1)]:
        return data
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        if codecs.lookup(encoding).name in ("utf-8", "utf-8-sig"):
            return data
        return data.decode(encoding).encode("utf-8")
    except (SyntaxError, LookupError, UnicodeError):
        return data


def parse_one(work: Work) -> Parsed:
    """Read, classify and extract one file; never raises."""
    try:
        with open(work.abs_path, "rb") as handle:
            data = handle.read()
    except OSError as exc:
        return Parsed(work.path, "", None, "unreadable",
                      f"cannot read {work.path}: {exc.strerror or exc}")
    digest = content_digest(data)
    head = data[:8192]
    if b"\0" in head:
        return Parsed(work.path, digest, None, "binary", "")
    if _GENERATED.search(head, 0, 2048):
        return Parsed(work.path, digest, None, "generated", "")
    warning = ""
    source = _as_utf8(data, work.language)
    try:
        source.decode("utf-8")
    except UnicodeDecodeError as exc:
        warning = f"not UTF-8 (byte {exc.start}), names decoded with replacement: {work.path}"
    try:
        facts = extract_facts(source, refine_language(work.language, source))
    except Exception as exc:  # a grammar crash must not stop the build
        return Parsed(work.path, digest, None, "failed", f"cannot parse {work.path}: {exc}")
    if facts.error_count and not warning:
        warning = f"syntax errors ({facts.error_count}), kept what parsed: {work.path}"
    return Parsed(work.path, digest, extracted(work.path, facts), "", warning)


def parse_batch(batch: Sequence[Work]) -> list[Parsed]:
    """Worker entry point: one chunk of files (no cyclic GC: facts hold no cycles)."""
    gc.disable()
    try:
        return [parse_one(work) for work in batch]
    finally:
        gc.enable()


def chunked(items: Sequence[Work], chunks: int) -> list[list[Work]]:
    """Split into ``chunks`` lists of near-equal total size (largest file first into the
    lightest list), so that every chunk takes about as long and holds a mix of big and small
    files: no straggler at the end, and progress in files moves as evenly as time does."""
    count = max(1, min(chunks, len(items)))
    heap = [(0, i) for i in range(count)]
    batches: list[list[Work]] = [[] for _ in range(count)]
    for work in sorted(items, key=lambda w: -w.size):
        size, i = heapq.heappop(heap)
        batches[i].append(work)
        heapq.heappush(heap, (size + max(work.size, 1), i))
    return [b for b in batches if b]


def default_workers() -> int:
    """Usable cores (respecting CPU affinity)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:
        return max(os.cpu_count() or 1, 1)


def parse_files(items: Sequence[Work], *, workers: int | None = None,
                progress: Progress | None = None) -> Iterator[Parsed]:
    """Parse files, in a process pool when the job is big enough to pay for one."""
    workers = workers or default_workers()
    total = len(items)
    if workers <= 1 or sum(w.size for w in items) <= IN_PROCESS_BYTES:
        yield from _serial(items, progress)
        return
    # The platform default (fork on Linux before 3.14): no re-import of the caller's
    # __main__, so library callers need no ``if __name__ == "__main__"`` guard.
    context = multiprocessing.get_context()
    batches = chunked(items, workers * 12)
    unfinished = set(range(len(batches)))
    done = 0
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            pending = {pool.submit(parse_batch, b): i for i, b in enumerate(batches)}
            while pending:
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in finished:
                    results = future.result()
                    unfinished.discard(pending.pop(future))
                    done += len(results)
                    yield from results
                    if progress:
                        progress(done, total)
    except BrokenProcessPool:  # a worker died (killed, out of memory): finish in-process
        leftover = [w for i in sorted(unfinished) for w in batches[i]]
        yield from _serial(leftover, _offset(progress, done, total))


def _offset(progress: Progress | None, base: int, total: int) -> Progress | None:
    """A progress callback for the rest of a job that already did ``base`` files."""
    if progress is None:
        return None
    report = progress
    return lambda done, _rest: report(base + done, total)


def _serial(items: Iterable[Work], progress: Progress | None) -> Iterator[Parsed]:
    items = list(items)
    for i, work in enumerate(items, 1):
        yield parse_one(work)
        if progress and (i % 16 == 0 or i == len(items)):
            progress(i, len(items))
