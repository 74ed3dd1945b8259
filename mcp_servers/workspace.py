"""The workspace root every tool works inside, and the path rules that keep tools in it.

A model chooses the paths it passes to tools, so every path is untrusted: it is resolved
against the root (symlinks followed) and refused unless the result is still inside the root.
A refusal is a ``ToolError`` with a message naming the rule, never the file's contents.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pathspec
from mcp.server.mcpserver.exceptions import ToolError

# Directories no code search wants, ignored even without a .gitignore saying so.
ALWAYS_IGNORED = frozenset({
    ".git", ".hg", ".svn", "node_modules", "__pycache__", ".venv", "venv", ".mypy_cache",
    ".pytest_cache", ".ruff_cache", ".tox", ".lynkr", "dist", "build", "target", ".idea",
})


class PathOutsideRoot(ToolError):
    """A path argument that would leave the workspace root."""


@dataclass
class Workspace:
    """A directory tree the tools may read; paths in and out are relative to ``root``."""

    root: Path
    # Parsed .gitignore per directory (relative POSIX path, "" for the root); None: no file.
    _ignores: dict[str, pathspec.GitIgnoreSpec | None] = field(default_factory=dict,
                                                               init=False, repr=False)

    def __post_init__(self) -> None:
        self.root = Path(self.root).resolve()
        if not self.root.is_dir():
            raise ValueError(f"workspace root {self.root} is not a directory")

    def resolve(self, path: str, *, must_exist: bool = True) -> Path:
        """The real path of ``path`` (relative to the root), refusing anything outside it."""
        if "\x00" in path:
            raise PathOutsideRoot(f"path {path!r} contains a NUL byte")
        given = Path(path) if path not in ("", ".") else Path(".")
        if given.is_absolute():
            candidate = given
        else:
            if ".." in given.parts:
                raise PathOutsideRoot(f"path {path!r} uses '..'; paths must stay inside the root")
            candidate = self.root / given
        real = candidate.resolve()
        if real != self.root and self.root not in real.parents:
            raise PathOutsideRoot(
                f"path {path!r} resolves outside the workspace root; only files under the "
                "root can be used"
            )
        if must_exist and not real.exists():
            raise ToolError(f"no such file or directory: {path!r}")
        return real

    def relative(self, path: Path) -> str:
        """``path`` as shown to the model: POSIX, relative to the root."""
        rel = path.relative_to(self.root).as_posix()
        return rel or "."

    def _gitignore(self, directory: str) -> pathspec.GitIgnoreSpec | None:
        """The patterns of ``directory``'s own .gitignore (read once; a tool call is a moment,
        not a session)."""
        if directory not in self._ignores:
            path = self.root / directory / ".gitignore"
            spec = None
            if path.is_file():
                lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
                spec = pathspec.GitIgnoreSpec.from_lines(lines)
            self._ignores[directory] = spec
        return self._ignores[directory]

    def is_ignored(self, rel: str, *, is_dir: bool = False) -> bool:
        """True when a .gitignore (or the built-in list) excludes ``rel``.

        As in git, every directory's .gitignore applies below it, relative to that directory,
        and the deepest file with a pattern matching the path decides (so a nested
        ``!keep.log`` re-includes what the root's ``*.log`` excluded).
        """
        parts = rel.split("/")
        if any(part in ALWAYS_IGNORED for part in parts):
            return True
        for depth in range(len(parts) - 1, -1, -1):
            spec = self._gitignore("/".join(parts[:depth]))
            if spec is None:
                continue
            below = "/".join(parts[depth:]) + ("/" if is_dir else "")
            decided = spec.check_file(below).include
            if decided is not None:
                return decided
        return False

    def walk(self, start: Path) -> Iterator[Path]:
        """Files under ``start`` that git would track, in a stable order, without escaping.

        Only regular files are yielded: reading a named pipe blocks until a writer appears
        (forever), and a device can be endless. Symlinked directories are not followed (they
        could point outside the root or loop); symlinked files are yielded only when they
        resolve inside the root. The directory entries' own types are used, so a plain file
        costs no extra system call.
        """
        if start.is_file():
            yield start
            return
        if not start.is_dir():
            return
        rel_start = self.relative(start)
        yield from self._walk_dir(str(start), "" if rel_start == "." else rel_start + "/")

    def _walk_dir(self, directory: str, prefix: str) -> Iterator[Path]:
        try:
            with os.scandir(directory) as scan:
                entries = sorted(scan, key=lambda entry: entry.name)
        except OSError:
            return
        subdirs: list[os.DirEntry[str]] = []
        for entry in entries:
            try:
                if entry.is_dir(follow_symlinks=False):
                    if not self.is_ignored(prefix + entry.name, is_dir=True):
                        subdirs.append(entry)
                    continue
                if self.is_ignored(prefix + entry.name):
                    continue
                if entry.is_symlink():
                    real = Path(entry.path).resolve()
                    if self.root in real.parents and _is_regular(real):
                        yield Path(entry.path)
                elif entry.is_file(follow_symlinks=False):
                    yield Path(entry.path)
            except OSError:
                continue
        for entry in subdirs:
            yield from self._walk_dir(entry.path, prefix + entry.name + "/")


def _is_regular(path: Path) -> bool:
    """True for a regular file (after symlinks); False for pipes, sockets, devices, dangling
    links."""
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False
