"""Building and updating a repository's stored graph, incrementally by content hash.

A build walks the repository, re-parses only files whose content hash changed (a file whose
size and mtime are unchanged is trusted, as git does), forgets deleted files, and re-links
only the files whose resolution can have changed: the re-parsed ones, those importing or
calling into a file whose definitions changed, those calling a name that appeared or
disappeared, and those with an unresolved import that a new file now satisfies.
"""

from __future__ import annotations

import gc
import multiprocessing
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import orjson

from graph.facts import FileFacts, Import, facts_from_rows
from graph.languages import BY_NAME, is_test_path, same_language
from graph.parse import (
    Extracted,
    Parsed,
    Progress,
    Work,
    content_digest,
    default_workers,
    parse_files,
)
from graph.resolve import ModuleIndex, RepoTables, link_file, resolve_import, unpack_defs
from graph.scan import DEFAULT_MAX_BYTES, SourceFile, scan_repository
from graph.store import (
    FileRecord,
    StoredGraph,
    StoreError,
    decode_blob,
    encode_blob,
    encode_facts,
    load_stored,
    save_graph,
    store_path,
)


@dataclass(slots=True)
class BuildSummary:
    """What a build did, for the CLI summary and for callers that want numbers."""

    root: str
    files: int = 0
    parsed: int = 0
    reused: int = 0
    removed: int = 0
    relinked: int = 0
    languages: dict[str, int] = field(default_factory=dict)
    symbols: int = 0
    edges: dict[str, int] = field(default_factory=dict)
    unresolved_calls: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    full: bool = False
    note: str = ""


def build_graph(root: str | Path, *, workers: int | None = None,
                progress: Progress | None = None, full: bool = False,
                max_file_bytes: int = DEFAULT_MAX_BYTES) -> BuildSummary:
    """Index ``root`` into ``root/.lynkr/graph``; incremental unless ``full``.

    Raises ``FileNotFoundError`` / ``NotADirectoryError`` for a bad root; every problem
    with single files becomes a warning in the summary instead.
    """
    # Facts are many small acyclic objects; the cyclic GC only slows their creation down.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        try:
            return _build(root, workers, progress, full, max_file_bytes)
        except _CorruptBlob as exc:  # the index was sound but a file's record was not
            summary = _build(root, workers, progress, True, max_file_bytes)
            summary.note = f"stored graph unusable ({exc}); rebuilt from scratch"
            return summary
    finally:
        if gc_was_enabled:
            gc.enable()


def _build(root: str | Path, workers: int | None, progress: Progress | None, full: bool,
           max_file_bytes: int) -> BuildSummary:
    started = time.perf_counter()
    base = Path(root).expanduser().resolve()
    if not base.exists():
        raise FileNotFoundError(f"{root}: no such directory")
    if not base.is_dir():
        raise NotADirectoryError(f"{root} is not a directory")
    summary = BuildSummary(str(base), full=full)
    target = store_path(base)
    old = StoredGraph()
    if not full:
        try:
            old = load_stored(target)
        except FileNotFoundError:
            summary.full = True
        except StoreError as exc:
            summary.full = True
            summary.note = f"stored graph unusable ({exc}); rebuilt from scratch"

    for name in old.meta.get("corrupt_records") or ():  # type: ignore[attr-defined]
        summary.warnings.append(f"stored record of {name} was corrupt; parsed again")
    scan = scan_repository(base, max_bytes=max_file_bytes)
    summary.warnings.extend(scan.warnings)
    skipped: Counter[str] = Counter(scan.skipped)

    files: dict[str, FileRecord] = {}
    to_parse: list[Work] = []
    stats: dict[str, SourceFile] = {}
    # Binary and generated files are remembered by stat so they are not read every build.
    known_skips: dict[str, list[object]] = dict(old.meta.get("skipped_files") or {})  # type: ignore[call-overload]
    skipped_files: dict[str, list[object]] = {}
    for sf in scan.files:
        stats[sf.path] = sf
        skip = known_skips.get(sf.path)
        if skip is not None and skip[:2] == [sf.mtime_ns, sf.size]:
            skipped[str(skip[2])] += 1
            skipped_files[sf.path] = skip
            continue
        rec = old.files.get(sf.path)
        if rec is not None and same_language(rec.language, sf.language):
            if (rec.mtime_ns, rec.size) == (sf.mtime_ns, sf.size):
                files[sf.path] = rec
                continue
            digest = _digest_of(sf)
            if digest == rec.digest:
                files[sf.path] = rec._replace(mtime_ns=sf.mtime_ns, size=sf.size)
                continue
        to_parse.append(Work(sf.path, sf.abs_path, sf.language, sf.size))

    fresh: dict[str, Extracted] = {}
    digests: dict[str, str] = {}
    for parsed in parse_files(to_parse, workers=workers, progress=progress):
        _take(parsed, fresh, digests, skipped, summary.warnings)
        if parsed.skipped in ("binary", "generated"):
            sf = stats[parsed.path]
            skipped_files[parsed.path] = [sf.mtime_ns, sf.size, parsed.skipped]

    removed = [p for p in old.files if p not in files and p not in fresh]
    summary.removed = len(removed)
    summary.parsed = len(fresh)
    summary.reused = len(files)

    relink = _files_to_relink(old, files, fresh, removed, summary.full)
    added = any(path not in old.files for path in fresh)
    for path, ext in fresh.items():
        sf = stats[path]
        files[path] = FileRecord(
            digests[path], sf.mtime_ns, sf.size, ext.language, ext.defs, "", (), (), (),
            (ext.symbols, 0, 0, 0), is_test_path(path), ext.comment_lines, ext.lines, b"",
        )
    files = dict(sorted(files.items()))

    index = ModuleIndex.from_paths({p: r.language for p, r in files.items()})
    tables = _tables(files)
    if not summary.full and not relink.issuperset(files):
        relink |= _newly_resolvable(files, index, relink, added)
    to_link = sorted(relink & files.keys())
    files.update(_link_all(to_link, files, fresh, index, tables, workers))
    summary.relinked = len(to_link)

    # An unchanged graph is not rewritten: readers keep their cached copy (load_graph
    # reloads on a new mtime).
    if (summary.full or fresh or removed or relink or files != old.files
            or skipped_files != known_skips or old.meta.get("corrupt_records")):
        meta = {"root": str(base), "built_at": time.time(), "skipped_files": skipped_files}
        save_graph(target, StoredGraph(files, meta))
    _summarise(summary, files, skipped)
    summary.seconds = time.perf_counter() - started
    return summary


def _digest_of(sf: SourceFile) -> str:
    try:
        with open(sf.abs_path, "rb") as handle:
            return content_digest(handle.read())
    except OSError:
        return ""


def _take(parsed: Parsed, fresh: dict[str, Extracted], digests: dict[str, str],
          skipped: Counter[str], warnings: list[str]) -> None:
    if parsed.warning:
        warnings.append(parsed.warning)
    if parsed.extracted is None:
        skipped[parsed.skipped] += 1
        return
    fresh[parsed.path] = parsed.extracted
    digests[parsed.path] = parsed.digest


def _files_to_relink(old: StoredGraph, kept: dict[str, FileRecord],
                     fresh: dict[str, Extracted], removed: list[str], full: bool) -> set[str]:
    """Files whose edges may have changed (see the module docstring)."""
    if full:
        return set(kept) | set(fresh)
    changed_names: set[str] = set()
    changed_files: set[str] = set(removed)
    for path in removed:
        changed_names.update(name for name, _ in unpack_defs(old.files[path].defs))
    for path, ext in fresh.items():
        before = set(unpack_defs(old.files[path].defs)) if path in old.files else set()
        after = set(unpack_defs(ext.defs))
        if before != after:
            changed_files.add(path)
            changed_names.update(name for name, _ in before ^ after)
    relink = set(fresh)
    if not changed_files:
        return relink
    for path, rec in kept.items():
        if (changed_files.intersection(rec.imports) or changed_files.intersection(rec.targets)
                or changed_names.intersection(rec.called.split("\n"))):
            relink.add(path)
    return relink


def _newly_resolvable(files: dict[str, FileRecord], index: ModuleIndex, relink: set[str],
                      added: bool) -> set[str]:
    """Kept files with an import that did not resolve before and does now."""
    if not added:
        return set()
    found: set[str] = set()
    for path, rec in files.items():
        if path in relink or not rec.unresolved_imports:
            continue
        style = BY_NAME[rec.language].import_style
        for spec, name in rec.unresolved_imports:
            if resolve_import(index, path, style, Import(spec, name, "", 0)):
                found.add(path)
                break
    return found


def _tables(files: dict[str, FileRecord]) -> RepoTables:
    return RepoTables({path: rec.defs for path, rec in files.items()})


# Linking state handed to forked link workers by inheritance (never pickled).
_LINK_STATE: tuple[dict[str, FileRecord], dict[str, Extracted], ModuleIndex, RepoTables] | None
_LINK_STATE = None
PARALLEL_LINK_MIN_FILES = 400


def _link_all(paths: list[str], files: dict[str, FileRecord], fresh: dict[str, Extracted],
              index: ModuleIndex, tables: RepoTables, workers: int | None
              ) -> dict[str, FileRecord]:
    """Link files; a big batch (a full build) is split across forked processes, which see
    the parent's tables copy-on-write instead of receiving them pickled."""
    global _LINK_STATE
    workers = workers or default_workers()
    if (workers <= 1 or len(paths) < PARALLEL_LINK_MIN_FILES
            or "fork" not in multiprocessing.get_all_start_methods()):
        return {path: _link_one(path, files, fresh, index, tables) for path in paths}
    _LINK_STATE = (files, fresh, index, tables)
    try:
        shards = [paths[i :: workers * 4] for i in range(workers * 4)]
        context = multiprocessing.get_context("fork")
        linked: dict[str, FileRecord] = {}
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            for part in pool.map(_link_shard, shards):
                linked.update(part)
        return linked
    finally:
        _LINK_STATE = None


def _link_shard(paths: list[str]) -> dict[str, FileRecord]:
    assert _LINK_STATE is not None
    files, fresh, index, tables = _LINK_STATE
    return {path: _link_one(path, files, fresh, index, tables) for path in paths}


class _CorruptBlob(Exception):
    """A stored file record that does not decode: the build starts over from scratch."""


def _link_one(path: str, files: dict[str, FileRecord], fresh: dict[str, Extracted],
              index: ModuleIndex, tables: RepoTables) -> FileRecord:
    rec = files[path]
    ext = fresh.get(path)
    try:
        if ext is not None:
            facts_json = ext.encoded
            facts = facts_from_rows(orjson.loads(facts_json))
        else:
            facts = decode_blob(rec.blob)[0]
            facts_json = encode_facts(facts)
    except (ValueError, TypeError) as exc:
        raise _CorruptBlob(f"record of {path} is corrupt: {exc}") from exc
    return _linked_record(path, rec, facts, facts_json, index, tables)


def _linked_record(path: str, rec: FileRecord, facts: FileFacts, facts_json: bytes,
                   index: ModuleIndex, tables: RepoTables) -> FileRecord:
    linked = link_file(path, facts, BY_NAME[rec.language].import_style, index, tables)
    targets = sorted({e.target.split("::", 1)[0] for e in linked.edges} - {path})
    called = sorted({c.name for c in facts.calls} | {h.base for h in facts.inherits})
    kinds = Counter(e.kind for e in linked.edges)
    return rec._replace(
        called="\n".join(called), imports=linked.imports,
        unresolved_imports=linked.unresolved_imports, targets=tuple(targets),
        counts=(len(facts.symbols), kinds["calls"], kinds["inherits"],
                len(linked.unresolved)),
        blob=encode_blob(facts_json, linked.edges, linked.unresolved),
    )


def _summarise(summary: BuildSummary, files: dict[str, FileRecord],
               skipped: Counter[str]) -> None:
    languages: Counter[str] = Counter()
    edges: Counter[str] = Counter()
    for rec in files.values():
        languages[rec.language] += 1
        symbols, calls, inherits, unresolved = rec.counts
        summary.symbols += symbols
        summary.unresolved_calls += unresolved
        edges["contains"] += symbols
        edges["imports"] += len(rec.imports)
        edges["calls"] += calls
        edges["inherits"] += inherits
    summary.files = len(files)
    summary.languages = dict(languages.most_common())
    summary.edges = dict(edges)
    summary.skipped = {k: v for k, v in skipped.items() if v}

