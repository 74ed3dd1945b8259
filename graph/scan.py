"""Which files of a repository get indexed: the file-system walk, and nothing else.

Honours ``.gitignore`` files (root and nested) and ``.git/info/exclude``, skips vendored and
generated trees, files above a size limit and unsupported languages. Symlinked directories
are followed once (a loop is reported, not recursed into); unreadable directories and broken
links become warnings, and the walk goes on.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pathspec

from graph.languages import language_for_path

DEFAULT_MAX_BYTES = 1_000_000

# Trees that hold other people's code or build output; indexing them drowns the repo's own.
VENDORED_DIRS = frozenset({
    "node_modules", "bower_components", "vendor", "third_party", ".venv", ".tox", ".nox",
    ".mypy_cache", ".pytest_cache", ".ruff_cache", "site-packages", "dist-packages",
    ".next", ".nuxt", ".gradle", ".idea", ".vscode", "Pods", "DerivedData",
})
# Build output at the repository root; deeper down these names are often real packages
# (``src/build``, the standard library's ``venv``), so there they are indexed.
ROOT_BUILD_DIRS = frozenset({"build", "dist", "target", "out"})
# Tool state, never source and not worth a mention in the summary.
QUIET_DIRS = frozenset({".git", ".hg", ".svn", ".lynkr", "__pycache__", ".DS_Store"})
GENERATED_SUFFIXES = (
    ".min.js", ".min.mjs", ".bundle.js", "_pb2.py", "_pb2_grpc.py", ".pb.go", ".g.cs",
    ".designer.cs", ".generated.ts", ".generated.js", ".d.ts.map",
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file to index: repo-relative POSIX path, absolute path, language and stat."""

    path: str
    abs_path: str
    language: str
    size: int
    mtime_ns: int


@dataclass(slots=True)
class Scan:
    """Result of walking a repository."""

    files: list[SourceFile] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


def _read_ignore(path: Path) -> pathspec.GitIgnoreSpec | None:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    return pathspec.GitIgnoreSpec.from_lines(lines) if lines else None


def _ignored(specs: list[tuple[str, pathspec.GitIgnoreSpec]], rel: str, is_dir: bool) -> bool:
    for base, spec in specs:
        sub = rel[len(base):] if base else rel
        if spec.match_file(sub + "/" if is_dir else sub):
            return True
    return False


def scan_repository(root: Path, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Scan:
    """Walk ``root`` and list the source files to index, with what was skipped and why."""
    scan = Scan()
    specs: list[tuple[str, pathspec.GitIgnoreSpec]] = []
    exclude = _read_ignore(root / ".git" / "info" / "exclude")
    if exclude:
        specs.append(("", exclude))
    visited: set[tuple[int, int]] = set()
    try:
        st = root.stat()
        visited.add((st.st_dev, st.st_ino))
    except OSError as exc:
        scan.warnings.append(f"cannot read {root}: {exc.strerror or exc}")
        return scan
    _walk(root, "", specs, visited, scan, max_bytes)
    scan.files.sort(key=lambda f: f.path)
    return scan


def _walk(directory: Path, rel_dir: str, specs: list[tuple[str, pathspec.GitIgnoreSpec]],
          visited: set[tuple[int, int]], scan: Scan, max_bytes: int) -> None:
    local = _read_ignore(directory / ".gitignore")
    if local:
        specs = [*specs, (rel_dir, local)]
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except OSError as exc:
        scan.warnings.append(f"cannot list {rel_dir or '.'}: {exc.strerror or exc}")
        return
    for entry in entries:
        rel = f"{rel_dir}{entry.name}"
        try:
            is_dir = entry.is_dir()
            is_file = not is_dir and entry.is_file()
        except OSError as exc:
            scan.warnings.append(f"cannot stat {rel}: {exc.strerror or exc}")
            continue
        if is_dir:
            if entry.name in QUIET_DIRS:
                continue
            if (entry.name in VENDORED_DIRS or (not rel_dir and entry.name in ROOT_BUILD_DIRS)
                    or os.path.isfile(os.path.join(entry.path, "pyvenv.cfg"))):
                scan.skipped["vendored"] += 1
                continue
            if _ignored(specs, rel, True):
                continue
            try:
                st = entry.stat()
            except OSError as exc:
                scan.warnings.append(f"cannot stat {rel}: {exc.strerror or exc}")
                continue
            key = (st.st_dev, st.st_ino)
            if key in visited:
                scan.warnings.append(f"symlink loop skipped: {rel} -> {os.path.realpath(entry)}")
                continue
            visited.add(key)
            _walk(Path(entry.path), rel + "/", specs, visited, scan, max_bytes)
        elif is_file:
            language = language_for_path(entry.name)
            if language is None or _ignored(specs, rel, False):
                continue
            if entry.name.endswith(GENERATED_SUFFIXES):
                scan.skipped["generated"] += 1
                continue
            try:
                st = entry.stat()
            except OSError as exc:
                scan.warnings.append(f"cannot stat {rel}: {exc.strerror or exc}")
                continue
            if st.st_size > max_bytes:
                scan.skipped["huge"] += 1
                scan.warnings.append(f"skipped (over {max_bytes} bytes): {rel}")
                continue
            scan.files.append(SourceFile(rel, entry.path, language, st.st_size, st.st_mtime_ns))
        elif entry.is_symlink():
            scan.warnings.append(f"broken symlink skipped: {rel}")
