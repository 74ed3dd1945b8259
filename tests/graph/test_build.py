"""Building a repository graph: files, symbols, and edges resolved across files."""

from __future__ import annotations

import os
from pathlib import Path

from graph.build import build_graph
from graph.query import load_graph
from tests.graph.conftest import RepoFactory

PYTHON_REPO = {
    "pkg/__init__.py": "",
    "pkg/shapes.py": """
        class Base:
            def describe(self):
                return "base"

        class Circle(Base):
            def area(self):
                return self.radius() * 3

            def radius(self):
                return 1

        def unique_helper():
            return 42
        """,
    "pkg/draw.py": """
        from pkg.shapes import Circle
        from . import shapes as s
        import pkg.shapes

        def render():
            c = Circle()
            s.unique_helper()
            print(c.area())
            return missing_function()
        """,
    "tests/test_draw.py": """
        from pkg.draw import render

        def test_render():
            render()
        """,
}


def edges(root: Path, kind: str) -> set[tuple[str, str]]:
    graph = load_graph(root)
    assert graph is not None
    return {(u, v) for u, v, k in graph.graph.edges(keys=True) if k == kind}


def test_build_summary_counts_files_languages_symbols_and_edges(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    summary = build_graph(root, workers=1)
    assert summary.files == 4
    assert summary.languages == {"python": 4}
    assert summary.symbols == 8
    assert summary.edges["contains"] == 8
    assert summary.full and summary.parsed == 4
    assert (root / ".lynkr" / "graph" / "graph.bin").is_file()


def test_python_method_calls_resolve_to_the_class_in_the_same_file(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    build_graph(root, workers=1)
    assert ("pkg/shapes.py::Circle.area", "pkg/shapes.py::Circle.radius") in edges(root, "calls")


def test_imported_names_and_module_aliases_resolve_to_their_files(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    build_graph(root, workers=1)
    calls = edges(root, "calls")
    assert ("pkg/draw.py::render", "pkg/shapes.py::Circle") in calls
    assert ("pkg/draw.py::render", "pkg/shapes.py::unique_helper") in calls
    assert ("pkg/draw.py::render", "pkg/shapes.py::Circle.area") in calls
    assert ("tests/test_draw.py::test_render", "pkg/draw.py::render") in calls


def test_python_imports_resolve_absolute_and_relative_modules(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    build_graph(root, workers=1)
    imports = edges(root, "imports")
    assert ("pkg/draw.py", "pkg/shapes.py") in imports
    assert ("tests/test_draw.py", "pkg/draw.py") in imports


def test_inheritance_links_a_class_to_its_base(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    build_graph(root, workers=1)
    assert ("pkg/shapes.py::Circle", "pkg/shapes.py::Base") in edges(root, "inherits")


def test_unresolved_calls_are_kept_on_the_caller_not_guessed(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    summary = build_graph(root, workers=1)
    graph = load_graph(root)
    assert graph is not None
    render = graph.graph.nodes["pkg/draw.py::render"]
    assert "missing_function" in render["unresolved_calls"]
    assert summary.unresolved_calls >= 2  # print and missing_function
    assert not any(v.endswith("missing_function") for _, v in edges(root, "calls"))


def test_calls_resolve_repo_wide_when_the_name_is_unique(make_repo: RepoFactory):
    root = make_repo({
        "a.py": "def only_here():\n    pass\n",
        "b.py": "def user():\n    only_here()\n",
    })
    build_graph(root, workers=1)
    assert ("b.py::user", "a.py::only_here") in edges(root, "calls")


def test_ambiguous_names_stay_unresolved(make_repo: RepoFactory):
    root = make_repo({
        "a.py": "def twice():\n    pass\n",
        "b.py": "def twice():\n    pass\n",
        "c.py": "def user():\n    twice()\n",
    })
    build_graph(root, workers=1)
    assert not any(u == "c.py::user" for u, _ in edges(root, "calls"))


def test_test_files_are_flagged(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    build_graph(root, workers=1)
    graph = load_graph(root)
    assert graph is not None
    assert graph.graph.nodes["tests/test_draw.py"]["is_test"] is True
    assert graph.graph.nodes["pkg/draw.py"]["is_test"] is False


def test_parallel_and_serial_builds_store_the_same_graph(make_repo: RepoFactory, monkeypatch):
    import graph.build as build
    import graph.parse as parse

    monkeypatch.setattr(parse, "IN_PROCESS_BYTES", 0)  # force both pools on a tiny repo
    monkeypatch.setattr(build, "PARALLEL_LINK_MIN_FILES", 0)
    root = make_repo(PYTHON_REPO)
    build_graph(root, workers=2)
    pooled = edges(root, "calls")
    build_graph(root, workers=1, full=True)
    assert edges(root, "calls") == pooled


def test_self_calls_to_inherited_methods_resolve_to_the_base_class(make_repo: RepoFactory):
    root = make_repo({
        "base.py": "class Base:\n    def save(self):\n        pass\n",
        "child.py": "from base import Base\n\nclass Child(Base):\n"
                    "    def run(self):\n        self.save()\n",
        "other.py": "class Other:\n    def save(self):\n        pass\n",
    })
    build_graph(root, workers=1)
    assert ("child.py::Child.run", "base.py::Base.save") in edges(root, "calls")


def test_python_absolute_imports_do_not_resolve_inside_other_packages(make_repo: RepoFactory):
    root = make_repo({
        "pkg/__init__.py": "", "pkg/types.py": "def new_class():\n    pass\n",
        "app.py": "import types\n\ndef run():\n    types.new_class()\n",
        "src/lib/__init__.py": "", "src/lib/tools.py": "def tool():\n    pass\n",
        "main.py": "from lib.tools import tool\n\ndef go():\n    tool()\n",
    })
    build_graph(root, workers=1)
    imports = edges(root, "imports")
    assert not any(u == "app.py" for u, _ in imports)
    assert ("main.py", "src/lib/tools.py") in imports


_DEATH_MARKER: list[Path] = []


def _dies_once(batch):  # type: ignore[no-untyped-def]
    """A pool task whose first run kills its worker process, as the OOM killer would."""
    from graph.parse import parse_one

    marker = _DEATH_MARKER[0]
    if not marker.exists():
        marker.write_text("died")
        os._exit(1)
    return [parse_one(work) for work in batch]


def test_a_worker_dying_mid_build_does_not_lose_files(make_repo: RepoFactory, monkeypatch,
                                                       tmp_path: Path):
    import graph.parse as parse

    monkeypatch.setattr(parse, "IN_PROCESS_BYTES", 0)
    monkeypatch.setattr(parse, "parse_batch", _dies_once)
    _DEATH_MARKER[:] = [tmp_path / "died"]
    root = make_repo(PYTHON_REPO)
    summary = build_graph(root, workers=2)
    assert (tmp_path / "died").exists()
    assert summary.files == 4 and summary.symbols == 8


def test_chunks_balance_bytes_and_keep_every_file():
    from graph.parse import Work, chunked

    items = [Work(f"f{i}", f"/f{i}", "python", size) for i, size in
             enumerate([900, 500, 400, 300, 200, 100, 100, 50, 10, 1])]
    batches = chunked(items, 3)
    assert sorted(w.path for b in batches for w in b) == sorted(w.path for w in items)
    sizes = [sum(w.size for w in b) for b in batches]
    assert max(sizes) - min(sizes) <= 100
