"""The stored graph: one versioned file under ``<repo>/.lynkr/graph/``.

Layout: a magic line, an 8-byte length, a JSON index (one small row per file: content hash,
stat, definitions, names called, import targets, and the offset, length and CRC-32 of its
blob), then one JSON blob per file (its facts and resolved edges). A blob whose CRC does not
match drops only that file, which the next build parses again. An incremental build reads
the index, decodes only the blobs of the files it re-links, and copies the other blobs as
bytes. JSON, not pickle: a graph file found in a cloned repository must never be able to
run code.
"""

from __future__ import annotations

import os
import struct
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import orjson

from graph.facts import FileFacts, facts_from_rows, facts_to_rows
from graph.resolve import Edge

FORMAT_VERSION = 3
MAGIC = b"LYNKR-GRAPH\n"
STORE_DIR = Path(".lynkr") / "graph"
STORE_NAME = "graph.bin"


class StoreError(Exception):
    """The stored graph is missing pieces, corrupt, or written by another format version."""


class FileRecord(NamedTuple):
    """What the store keeps per indexed file. ``blob`` holds facts and edges as JSON."""

    digest: str
    mtime_ns: int
    size: int
    language: str
    defs: str  # names and node ids, tab-separated (resolve.pack_defs)
    called: str  # names this file calls or inherits from, one per line
    imports: tuple[str, ...]  # repository files it imports
    unresolved_imports: tuple[tuple[str, str], ...]  # (spec, name) not found in the repo
    targets: tuple[str, ...]  # files its edges point into
    counts: tuple[int, int, int, int]  # symbols, calls, inherits, unresolved calls
    is_test: bool
    comment_lines: int
    lines: int
    blob: bytes


@dataclass(slots=True)
class StoredGraph:
    """The whole store in memory."""

    files: dict[str, FileRecord] = field(default_factory=dict)
    meta: dict[str, object] = field(default_factory=dict)


def store_path(root: Path) -> Path:
    """Where a repository's graph lives."""
    return root / STORE_DIR / STORE_NAME


def encode_facts(facts: FileFacts) -> bytes:
    """One file's facts as JSON (the first element of its stored blob)."""
    return orjson.dumps(facts_to_rows(facts))


def encode_blob(facts_json: bytes, edges: tuple[Edge, ...], unresolved: tuple[int, ...]
                ) -> bytes:
    """Encoded facts, resolved edges and unresolved call indices as one JSON array; the
    facts are spliced in as they are, not encoded again."""
    tail = orjson.dumps([[tuple(e) for e in edges], unresolved])
    return b"[" + facts_json + b"," + tail[1:]


def decode_blob(blob: bytes) -> tuple[FileFacts, tuple[Edge, ...], tuple[int, ...]]:
    """Inverse of ``encode_blob``."""
    facts_rows, edge_rows, unresolved = orjson.loads(blob)
    return facts_from_rows(facts_rows), tuple(Edge(*e) for e in edge_rows), tuple(unresolved)


def save_graph(path: Path, graph: StoredGraph) -> None:
    """Write atomically: readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    gitignore = path.parent.parent / ".gitignore"
    if not gitignore.exists():
        gitignore.write_text("*\n", encoding="utf-8")
    offset = 0
    rows: dict[str, list[object]] = {}
    for name, rec in graph.files.items():
        rows[name] = [*rec[:-1], offset, len(rec.blob), zlib.crc32(rec.blob)]
        offset += len(rec.blob)
    index = orjson.dumps({"version": FORMAT_VERSION, "meta": graph.meta, "files": rows})
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        out.write(MAGIC)
        out.write(struct.pack("<Q", len(index)))
        out.write(index)
        for rec in graph.files.values():
            out.write(rec.blob)
    os.replace(tmp, path)


def load_stored(path: Path) -> StoredGraph:
    """Read a stored graph; raise ``StoreError`` for anything but a sound current one."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 8:
        raise StoreError(f"{path} is not a lynkr graph file")
    start = len(MAGIC) + 8
    (length,) = struct.unpack("<Q", data[len(MAGIC):start])
    try:
        index = orjson.loads(data[start : start + length])
    except orjson.JSONDecodeError as exc:
        raise StoreError(f"{path} is corrupt: {exc}") from exc
    if not isinstance(index, dict) or index.get("version") != FORMAT_VERSION:
        found = index.get("version") if isinstance(index, dict) else None
        raise StoreError(f"{path} has format version {found}, expected {FORMAT_VERSION}")
    base = start + length
    files: dict[str, FileRecord] = {}
    corrupt: list[str] = []
    try:
        for name, row in index["files"].items():
            *fields, offset, size, crc = row
            blob = data[base + offset : base + offset + size]
            if len(blob) != size:
                raise StoreError(f"{path} is truncated")
            if zlib.crc32(blob) != crc:  # one damaged record: forget that file only
                corrupt.append(name)
                continue
            (digest, mtime, fsize, language, defs, called, imports, unresolved, targets,
             counts, is_test, comment_lines, lines) = fields
            files[name] = FileRecord(
                digest, mtime, fsize, language, defs, called,
                tuple(imports), tuple(tuple(u) for u in unresolved), tuple(targets),
                tuple(counts), is_test, comment_lines, lines, blob,
            )
    except (ValueError, TypeError, KeyError) as exc:
        raise StoreError(f"{path} is corrupt: {exc}") from exc
    meta = dict(index.get("meta") or {})
    meta["corrupt_records"] = corrupt
    return StoredGraph(files, meta)
