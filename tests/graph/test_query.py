"""The query API used by the CLI, the MCP server and the router."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import pytest

from graph.build import build_graph
from graph.query import CodeGraph, GraphSignals, load_graph
from tests.graph.conftest import RepoFactory

CHAIN = {
    "core.py": """
        def base_value(x):
            if x > 1 and x < 10:
                for i in range(x):
                    if i:
                        return i
            return 0
        """,
    "middle.py": """
        from core import base_value

        def doubled(x):
            return base_value(x) * 2
        """,
    "top.py": """
        import middle

        def answer():
            return middle.doubled(21)
        """,
    "lonely.py": "def alone():\n    return 1\n",
}


@pytest.fixture
def graph(make_repo: RepoFactory) -> CodeGraph:
    root = make_repo(CHAIN)
    build_graph(root, workers=1)
    loaded = load_graph(root)
    assert loaded is not None
    return loaded


def test_load_graph_returns_none_when_nothing_is_stored(tmp_path: Path):
    assert load_graph(tmp_path) is None


def test_load_graph_is_cached_until_the_stored_file_changes(make_repo: RepoFactory):
    root = make_repo(CHAIN)
    build_graph(root, workers=1)
    first = load_graph(root)
    assert load_graph(root) is first
    (root / "extra.py").write_text("def extra():\n    pass\n")
    build_graph(root, workers=1)
    second = load_graph(root)
    assert second is not first
    assert second is not None and second.symbol("extra")


def test_symbol_lookup_by_short_and_qualified_name(graph: CodeGraph):
    [found] = graph.symbol("doubled")
    assert found["file"] == "middle.py"
    assert found["start_line"] == 3
    assert found["signature"] == "def doubled(x):"
    assert graph.symbol("middle.py::doubled")[0]["id"] == "middle.py::doubled"


def test_callers_and_callees_follow_call_edges(graph: CodeGraph):
    assert [c["id"] for c in graph.callers("base_value")] == ["middle.py::doubled"]
    callees = graph.callees("doubled")
    assert {"id": "core.py::base_value"}.items() <= callees[0].items()


def test_blast_radius_is_every_file_transitively_depending_on_the_input(graph: CodeGraph):
    assert graph.blast_radius(["core.py"]) == ["middle.py", "top.py"]
    assert graph.blast_radius(["top.py"]) == []


def test_neighbors_lists_imports_and_importers(graph: CodeGraph):
    around = graph.neighbors("middle.py")
    assert around["imports"] == ["core.py"]
    assert around["imported_by"] == ["top.py"]


def test_files_are_accepted_as_absolute_paths_and_unique_basenames(graph: CodeGraph):
    absolute = str(graph.root / "core.py")
    assert graph.blast_radius([absolute]) == ["middle.py", "top.py"]
    assert graph.outline("./core.py")[0]["name"] == "base_value"
    assert graph.neighbors("nope.py") == {"file": "nope.py", "found": False}


def test_outline_lists_symbols_with_kind_lines_and_signature(graph: CodeGraph):
    assert graph.outline("core.py") == [{
        "id": "core.py::base_value", "kind": "function", "name": "base_value",
        "qualname": "base_value", "file": "core.py", "start_line": 1, "end_line": 6,
        "signature": "def base_value(x):", "cyclomatic": 5, "nesting": 3, "length": 6,
    }]


def test_hotspots_rank_central_and_complex_symbols_first(graph: CodeGraph):
    top = graph.hotspots(limit=2)
    assert top[0]["id"] == "core.py::base_value"
    assert len(top) == 2


def test_signals_summarise_what_a_request_mentions(graph: CodeGraph):
    signals = graph.signals(["core.py"], ["doubled"])
    assert isinstance(signals, GraphSignals)
    assert dataclasses.asdict(signals) == {
        "files_found": 1, "max_cyclomatic": 5, "mean_cyclomatic": 3.0, "max_nesting": 3,
        "blast_radius": 1, "dependency_depth": 1, "centrality": 1.0,
    }
    assert graph.signals(["top.py"], []).dependency_depth == 2
    assert graph.signals([], []) == GraphSignals(0, 0, 0.0, 0, 0, 0, 0.0)


def test_signals_are_cheap_on_a_loaded_graph(graph: CodeGraph):
    started = time.perf_counter()
    for _ in range(100):
        graph.signals(["core.py", "top.py"], ["answer", "doubled"])
    assert (time.perf_counter() - started) / 100 < 0.005


def test_hotspots_can_rank_by_centrality_or_complexity_alone(graph: CodeGraph):
    by_complexity = graph.hotspots(limit=1, by="complexity")
    assert by_complexity[0]["id"] == "core.py::base_value"
    by_centrality = graph.hotspots(limit=4, by="centrality")
    assert [h["centrality"] for h in by_centrality] == sorted(
        (h["centrality"] for h in by_centrality), reverse=True)
    with pytest.raises(ValueError, match="by must be one of"):
        graph.hotspots(by="size")


def test_a_reloaded_graph_releases_the_previous_one(make_repo: RepoFactory):
    import gc
    import weakref

    root = make_repo(CHAIN)
    build_graph(root, workers=1)
    first = load_graph(root)
    assert first is not None
    first.callers("base_value")  # creates networkx views that point back at the graph
    gone = weakref.ref(first.graph)
    del first
    (root / "extra.py").write_text("def extra():\n    pass\n")
    build_graph(root, workers=1)
    assert load_graph(root) is not None
    gc.collect()
    assert gone() is None


def test_signals_accept_node_ids_and_qualified_names(graph: CodeGraph):
    by_id = graph.signals([], ["core.py::base_value"])
    assert by_id.max_cyclomatic == 5 and by_id.blast_radius == 2
    assert graph.signals([], ["nothing_like_it"]).max_cyclomatic == 0
