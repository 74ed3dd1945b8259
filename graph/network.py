"""Stored graph -> networkx ``MultiDiGraph`` plus the indexes that make queries cheap.

Nodes: files (id = repo-relative path, ``kind="file"``) and symbols (id = ``path::Qual.name``,
``kind`` = function, method, class, ...). Edges carry ``kind`` as their key: ``contains``
(file -> top-level symbol, class -> member), ``imports`` (file -> file), ``calls`` (symbol or
file -> symbol), ``inherits`` (class -> base). Everything a router request needs (per-file
complexity, file dependencies both ways, centrality) is precomputed here once per load, so
answering a request costs time proportional to what it mentions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import networkx as nx
import numpy as np

from graph.resolve import symbol_ids
from graph.store import StoredGraph, decode_blob


@dataclass(slots=True)
class FileStats:
    """Complexity of one file's symbols, aggregated at load time."""

    max_cyclomatic: int = 0
    sum_cyclomatic: int = 0
    symbols: int = 0
    max_nesting: int = 0


@dataclass(slots=True)
class Network:
    """The networkx graph and its derived indexes."""

    graph: nx.MultiDiGraph
    by_name: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    by_basename: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    file_symbols: dict[str, list[str]] = field(default_factory=dict)
    file_stats: dict[str, FileStats] = field(default_factory=dict)
    depends_on: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    depended_by: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    centrality: dict[str, float] = field(default_factory=dict)
    unresolved_callers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def build_network(stored: StoredGraph) -> Network:
    """Decode every file's blob into one graph with its query indexes."""
    g = nx.MultiDiGraph()
    net = Network(g)
    nodes: list[tuple[str, dict[str, object]]] = []
    edges: list[tuple[str, str, str, dict[str, object]]] = []
    for path, rec in stored.files.items():
        facts, linked_edges, unresolved = decode_blob(rec.blob)
        ids = symbol_ids(path, facts.symbols)
        nodes.append((path, {
            "kind": "file", "language": rec.language, "lines": rec.lines,
            "comment_lines": rec.comment_lines, "is_test": rec.is_test,
            "symbols": len(ids), "errors": facts.error_count,
        }))
        net.by_basename[path.rsplit("/", 1)[-1]].append(path)
        net.file_symbols[path] = ids
        stats = FileStats()
        missing: dict[int, list[str]] = defaultdict(list)
        for n in unresolved:
            call = facts.calls[n]
            missing[call.caller].append(call.name)
            net.unresolved_callers[call.name].append(ids[call.caller] if call.caller >= 0
                                                     else path)
        for i, (s, node_id) in enumerate(zip(facts.symbols, ids, strict=True)):
            nodes.append((node_id, {
                "kind": s.kind, "name": s.name, "qualname": s.qualname, "file": path,
                "start_line": s.start_line, "end_line": s.end_line, "signature": s.signature,
                "cyclomatic": s.cyclomatic, "nesting": s.nesting,
                "length": s.end_line - s.start_line + 1, "documented": s.documented,
                "unresolved_calls": missing.get(i, []),
            }))
            parent = ids[s.parent] if s.parent >= 0 else path
            edges.append((parent, node_id, "contains", {"kind": "contains"}))
            net.by_name[s.name].append(node_id)
            if s.qualname != s.name:
                net.by_name[s.qualname].append(node_id)
            stats.symbols += 1
            stats.sum_cyclomatic += s.cyclomatic
            stats.max_cyclomatic = max(stats.max_cyclomatic, s.cyclomatic)
            stats.max_nesting = max(stats.max_nesting, s.nesting)
        net.file_stats[path] = stats
        for target in rec.imports:
            edges.append((path, target, "imports", {"kind": "imports"}))
            _depend(net, path, target)
        for e in linked_edges:
            source = ids[e.source] if e.source >= 0 else path
            edges.append((source, e.target, e.kind, {"kind": e.kind, "line": e.line}))
            _depend(net, path, e.target.split("::", 1)[0])
    g.add_nodes_from(nodes)
    g.add_edges_from((u, v, k, d) for u, v, k, d in edges if v in g)
    net.centrality = _pagerank(g)
    return net


def _depend(net: Network, source: str, target: str) -> None:
    if source != target:
        net.depends_on[source].add(target)
        net.depended_by[target].add(source)


def _pagerank(g: nx.MultiDiGraph, damping: float = 0.85, rounds: int = 40
              ) -> dict[str, float]:
    """PageRank over imports/calls/inherits, scaled so the most central node is 1.0.

    numpy power iteration: networkx's own pagerank wants scipy, which we do not ship.
    """
    order = list(g.nodes)
    if not order:
        return {}
    position = {node: i for i, node in enumerate(order)}
    pairs = [(position[u], position[v]) for u, v, k in g.edges(keys=True) if k != "contains"]
    n = len(order)
    if not pairs:
        return dict.fromkeys(order, 0.0)
    src = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=len(pairs))
    dst = np.fromiter((p[1] for p in pairs), dtype=np.int64, count=len(pairs))
    out_degree = np.bincount(src, minlength=n).astype(np.float64)
    dangling = out_degree == 0
    rank = np.full(n, 1.0 / n)
    for _ in range(rounds):
        share = np.where(dangling, 0.0, rank / np.maximum(out_degree, 1.0))
        flow = np.bincount(dst, weights=share[src], minlength=n)
        rank = (1.0 - damping) / n + damping * (flow + rank[dangling].sum() / n)
    top = float(rank.max()) or 1.0
    scaled = rank / top
    return {node: float(scaled[i]) for i, node in enumerate(order)}
