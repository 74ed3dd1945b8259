"""The loaded networkx graph: built by hand for speed, it must equal networkx's own build."""

from __future__ import annotations

import networkx as nx

from graph.build import build_graph
from graph.network import build_network
from graph.resolve import symbol_ids
from graph.store import decode_blob, load_stored, store_path
from tests.graph.conftest import RepoFactory
from tests.graph.test_build import PYTHON_REPO


def reference_graph(stored) -> nx.MultiDiGraph:  # type: ignore[no-untyped-def]
    g = nx.MultiDiGraph()
    for path, rec in stored.files.items():
        facts, edges, _ = decode_blob(rec.blob)
        ids = symbol_ids(path, facts.symbols)
        g.add_node(path, kind="file")
        for s, node_id in zip(facts.symbols, ids, strict=True):
            g.add_node(node_id, kind=s.kind)
            g.add_edge(ids[s.parent] if s.parent >= 0 else path, node_id, key="contains",
                       kind="contains")
        for target in rec.imports:
            g.add_edge(path, target, key="imports", kind="imports")
        for e in edges:
            g.add_edge(ids[e.source] if e.source >= 0 else path, e.target, key=e.kind,
                       kind=e.kind, line=e.line)
    return g


def test_hand_built_graph_equals_the_networkx_api_build(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    build_graph(root, workers=1)
    stored = load_stored(store_path(root))
    fast = build_network(stored).graph
    slow = reference_graph(stored)
    assert set(fast.nodes) == set(slow.nodes)
    assert sorted(fast.edges(keys=True, data=True)) == sorted(slow.edges(keys=True, data=True))
    assert {n: d["kind"] for n, d in fast.nodes(data=True)} == dict(slow.nodes(data="kind"))
    for u, v in slow.edges():
        assert fast.has_edge(u, v)
        assert set(fast.predecessors(v)) == set(slow.predecessors(v))


def test_centrality_is_scaled_to_one_for_the_most_central_node(make_repo: RepoFactory):
    root = make_repo(PYTHON_REPO)
    build_graph(root, workers=1)
    net = build_network(load_stored(store_path(root)))
    assert max(net.centrality.values()) == 1.0
    assert min(net.centrality.values()) >= 0.0
