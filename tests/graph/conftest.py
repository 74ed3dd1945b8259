"""Helpers shared by the code graph tests: fixture repositories written into tmp_path."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

RepoFactory = Callable[[dict[str, str]], Path]


def write_files(root: Path, files: dict[str, str]) -> Path:
    """Write ``{relative path: source}`` under root (sources are dedented)."""
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return root


@pytest.fixture
def make_repo(tmp_path: Path) -> RepoFactory:
    """Create a small repository from a dict of files and return its root."""

    def make(files: dict[str, str]) -> Path:
        return write_files(tmp_path / "repo", files)

    return make
