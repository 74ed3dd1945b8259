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
import orjson

from graph.store import StoredGraph


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
    file_order: list[str] = field(default_factory=list)
    file_bit: dict[str, int] = field(default_factory=dict)
    dependants: dict[str, int] = field(default_factory=dict)  # bitset over file_order
    depth: dict[str, int] = field(default_factory=dict)
    unresolved_callers: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def build_network(stored: StoredGraph) -> Network:
    """Decode every file's blob into one graph with its query indexes.

    Rows are read positionally (see ``facts.Symbol``/``facts.Call``) instead of through
    NamedTuples, and edges go straight into the graph's adjacency dicts rather than through
    ``add_edge``: together about 4x faster on a 180k-edge graph, which is most of the cost
    of a first query. ``tests/graph/test_network.py`` checks the result equals a graph
    built with networkx's own API.
    """
    g = nx.MultiDiGraph()
    net = Network(g)
    node_attrs: dict[str, dict[str, object]] = g._node
    succ: dict[str, dict[str, dict[str, dict[str, object]]]] = g._succ
    pred: dict[str, dict[str, dict[str, dict[str, object]]]] = g._pred
    edges: list[tuple[str, str, str, dict[str, object]]] = []
    by_name, unresolved_callers = net.by_name, net.unresolved_callers
    for path, rec in stored.files.items():
        facts_rows, edge_rows, unresolved = orjson.loads(rec.blob)
        symbols, calls = facts_rows[4], facts_rows[6]
        ids = _ids(path, symbols)
        node_attrs[path] = {
            "kind": "file", "language": rec.language, "lines": rec.lines,
            "comment_lines": rec.comment_lines, "is_test": rec.is_test,
            "symbols": len(ids), "errors": facts_rows[3],
        }
        net.by_basename[path.rsplit("/", 1)[-1]].append(path)
        net.file_symbols[path] = ids
        missing: dict[int, list[str]] = defaultdict(list)
        for n in unresolved:
            caller, name = calls[n][0], calls[n][1]
            missing[caller].append(name)
            unresolved_callers[name].append(ids[caller] if caller >= 0 else path)
        stats = FileStats()
        for i, (row, node_id) in enumerate(zip(symbols, ids, strict=True)):
            name, qual, kind, start, end, signature, parent, cc, nesting, documented = row
            node_attrs[node_id] = {
                "kind": kind, "name": name, "qualname": qual, "file": path,
                "start_line": start, "end_line": end, "signature": signature,
                "cyclomatic": cc, "nesting": nesting, "length": end - start + 1,
                "documented": documented, "unresolved_calls": missing.get(i, []),
            }
            edges.append((ids[parent] if parent >= 0 else path, node_id, "contains",
                          {"kind": "contains"}))
            by_name[name].append(node_id)
            if qual != name:
                by_name[qual].append(node_id)
            stats.symbols += 1
            stats.sum_cyclomatic += cc
            stats.max_cyclomatic = max(stats.max_cyclomatic, cc)
            stats.max_nesting = max(stats.max_nesting, nesting)
        net.file_stats[path] = stats
        for target in rec.imports:
            edges.append((path, target, "imports", {"kind": "imports"}))
            _depend(net, path, target)
        for source, target, kind, line in edge_rows:
            edges.append((ids[source] if source >= 0 else path, target, kind,
                          {"kind": kind, "line": line}))
            _depend(net, path, target.split("::", 1)[0])
    for node in node_attrs:
        succ[node] = {}
        pred[node] = {}
    for u, v, key, data in edges:
        if v not in node_attrs:
            continue
        out = succ[u]
        keyed = out.get(v)
        if keyed is None:
            keyed = out[v] = pred[v][u] = {}
        keyed[key] = data
    net.centrality = _pagerank(list(node_attrs), edges)
    _closures(net)
    return net


def _ids(path: str, symbol_rows: list[list[object]]) -> list[str]:
    """``resolve.symbol_ids`` over stored rows (qualname is the second column)."""
    seen: dict[str, int] = {}
    ids: list[str] = []
    for row in symbol_rows:
        qual = str(row[1])
        n = seen.get(qual, 0) + 1
        seen[qual] = n
        ids.append(f"{path}::{qual}" if n == 1 else f"{path}::{qual}#{n}")
    return ids


# Above this many files, per-file closure bitsets would cost too much memory; the query
# side then walks the graph per request instead.
CLOSURE_FILE_LIMIT = 20_000


def _closures(net: Network) -> None:
    """Per file: the set of files depending on it transitively (a bitset) and the length
    of its longest dependency chain, both over strongly connected components, O(V + E)."""
    files = list(net.file_symbols)
    net.file_order = files
    net.file_bit = {f: 1 << i for i, f in enumerate(files)}
    if len(files) > CLOSURE_FILE_LIMIT:
        return
    deps = nx.DiGraph()
    deps.add_nodes_from(files)
    deps.add_edges_from((f, d) for f, ds in net.depends_on.items() for d in ds)
    dag = nx.condensation(deps)
    members = nx.get_node_attributes(dag, "members")
    order = list(nx.topological_sort(dag))
    reach: dict[int, int] = {}
    for c in order:  # dependants come before what they depend on
        bits = 0
        for f in members[c]:
            bits |= net.file_bit[f]
        for p in dag.predecessors(c):
            bits |= reach[p]
        reach[c] = bits
    depth: dict[int, int] = {}
    for c in reversed(order):
        depth[c] = 1 + max((depth[s] for s in dag.successors(c)), default=-1)
    for f, c in dag.graph["mapping"].items():
        net.dependants[f] = reach[c]
        net.depth[f] = depth[c]


def _depend(net: Network, source: str, target: str) -> None:
    if source != target:
        net.depends_on[source].add(target)
        net.depended_by[target].add(source)


def _pagerank(order: list[str], edges: list[tuple[str, str, str, dict[str, object]]],
              damping: float = 0.85, rounds: int = 40) -> dict[str, float]:
    """PageRank over imports/calls/inherits, scaled so the most central node is 1.0.

    numpy power iteration: networkx's own pagerank wants scipy, which we do not ship.
    """
    if not order:
        return {}
    position = {node: i for i, node in enumerate(order)}
    pairs = [(position[u], position[v]) for u, v, k, _ in edges
             if k != "contains" and v in position]
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
