"""Questions asked of a stored graph: by the CLI, the MCP server and the router.

``load_graph`` loads lazily and caches per repository root, reloading when the stored file
changes (one ``stat`` per call). ``CodeGraph.signals`` is the router's entry point: it only
touches what a request mentions, using indexes precomputed at load time.
"""

from __future__ import annotations

import gc
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from graph.network import Network, build_network
from graph.store import StoreError, load_stored, store_path

HOTSPOT_ORDERS = ("both", "centrality", "complexity")
_SYMBOL_FIELDS = ("kind", "name", "qualname", "file", "start_line", "end_line", "signature",
                  "cyclomatic", "nesting", "length")


@dataclass(frozen=True, slots=True)
class GraphSignals:
    """What the graph says about the code a request touches (for routing decisions)."""

    files_found: int
    max_cyclomatic: int
    mean_cyclomatic: float
    max_nesting: int
    blast_radius: int
    dependency_depth: int
    centrality: float


class CodeGraph:
    """A loaded repository graph. ``graph`` is the networkx ``MultiDiGraph``."""

    def __init__(self, root: Path, network: Network) -> None:
        self.root = root
        self._net = network
        self.graph: nx.MultiDiGraph = network.graph
        self._depth: dict[str, int] = {}

    # -- lookups -----------------------------------------------------------------------
    def resolve_file(self, name: str) -> str | None:
        """Repo-relative path for a relative, absolute or unique-basename reference."""
        ref = name.replace("\\", "/")
        if os.path.isabs(ref):
            try:
                ref = Path(ref).resolve().relative_to(self.root).as_posix()
            except ValueError:
                return None
        ref = ref.removeprefix("./")
        node = self.graph.nodes.get(ref)
        if node is not None and node.get("kind") == "file":
            return ref
        candidates = self._net.by_basename.get(ref.rsplit("/", 1)[-1], [])
        matching = [c for c in candidates if c.endswith("/" + ref) or c == ref]
        return matching[0] if len(matching) == 1 else None

    def _symbol_ids(self, name: str) -> list[str]:
        if "::" in name and name in self.graph:
            return [name]
        return list(self._net.by_name.get(name, ()))

    def _describe(self, node_id: str) -> dict[str, object]:
        data = self.graph.nodes[node_id]
        out: dict[str, object] = {"id": node_id}
        out.update({k: data[k] for k in _SYMBOL_FIELDS if k in data})
        if data.get("kind") == "file":
            out["file"] = node_id
        return out

    # -- public queries ----------------------------------------------------------------
    def symbol(self, name: str) -> list[dict[str, object]]:
        """Definitions with this short name, qualified name or node id."""
        return [
            {**self._describe(i), "centrality": round(self._net.centrality.get(i, 0.0), 6)}
            for i in self._symbol_ids(name)
        ]

    def callers(self, name: str) -> list[dict[str, object]]:
        """Who calls the symbol(s) named ``name``; callers of unresolved calls by that
        name are included with ``resolved: False``."""
        found: dict[str, dict[str, object]] = {}
        for target in self._symbol_ids(name):
            for source, _, data in self.graph.in_edges(target, data=True):
                if data["kind"] == "calls" and source not in found:
                    found[source] = {**self._describe(source), "line": data.get("line"),
                                     "callee": target, "resolved": True}
        for source in self._net.unresolved_callers.get(name, ()):
            if source not in found:
                found[source] = {**self._describe(source), "callee": name, "resolved": False}
        return list(found.values())

    def callees(self, name: str) -> list[dict[str, object]]:
        """What the symbol(s) named ``name`` call, resolved first, then unresolved names."""
        out: list[dict[str, object]] = []
        for source in self._symbol_ids(name):
            seen: set[str] = set()
            for _, target, data in self.graph.out_edges(source, data=True):
                if data["kind"] == "calls" and target not in seen:
                    seen.add(target)
                    out.append({**self._describe(target), "line": data.get("line"),
                                "caller": source, "resolved": True})
            for missing in self.graph.nodes[source].get("unresolved_calls", ()):
                out.append({"name": missing, "caller": source, "resolved": False})
        return out

    def neighbors(self, file: str) -> dict[str, object]:
        """A file's imports, importers and the files its calls cross into and from."""
        path = self.resolve_file(file)
        if path is None:
            return {"file": file, "found": False}
        imports = sorted(v for _, v, k in self.graph.out_edges(path, keys=True)
                         if k == "imports")
        imported_by = sorted(u for u, _, k in self.graph.in_edges(path, keys=True)
                             if k == "imports")
        return {
            "file": path, "found": True, "language": self.graph.nodes[path]["language"],
            "imports": imports, "imported_by": imported_by,
            "depends_on": sorted(self._net.depends_on.get(path, ())),
            "depended_by": sorted(self._net.depended_by.get(path, ())),
            "symbols": len(self._net.file_symbols.get(path, ())),
        }

    def blast_radius(self, files: list[str]) -> list[str]:
        """Files that transitively depend on these (through imports, calls, inheritance)."""
        start = {p for p in (self.resolve_file(f) for f in files) if p}
        bits = self._dependant_bits(start)
        if bits is not None:
            order = self._net.file_order
            return sorted(order[i] for i in range(bits.bit_length()) if bits >> i & 1)
        seen = set(start)
        queue = deque(start)
        while queue:
            for dependant in self._net.depended_by.get(queue.popleft(), ()):
                if dependant not in seen:
                    seen.add(dependant)
                    queue.append(dependant)
        return sorted(seen - start)

    def _dependant_bits(self, start: set[str]) -> int | None:
        """Union of precomputed closures minus the start files; None without closures."""
        if not self._net.dependants and self._net.file_order:
            return None
        bits = own = 0
        for path in start:
            bits |= self._net.dependants.get(path, 0)
            own |= self._net.file_bit[path]
        return bits & ~own

    def dependency_depth(self, file: str) -> int:
        """Length of the longest chain of dependencies below a file (cycles count once)."""
        path = self.resolve_file(file)
        if path is None:
            return 0
        if path in self._net.depth:
            return self._net.depth[path]
        cached = self._depth.get(path)
        if cached is None:
            cached = self._depth[path] = self._bfs_depth(path)
        return cached

    def _bfs_depth(self, file: str) -> int:
        seen = {file}
        frontier = [file]
        depth = 0
        while frontier:
            nxt = [d for f in frontier for d in self._net.depends_on.get(f, ()) if d not in seen]
            nxt = list(dict.fromkeys(nxt))
            if not nxt:
                break
            seen.update(nxt)
            frontier = nxt
            depth += 1
        return depth

    def hotspots(self, limit: int = 20, by: str = "both") -> list[dict[str, object]]:
        """Symbols ranked by centrality, by cyclomatic complexity, or (``both``, default)
        by the mean of the two, each scaled to 0-1: the code most worth care."""
        if by not in HOTSPOT_ORDERS:
            raise ValueError(f"by must be one of {', '.join(HOTSPOT_ORDERS)}")
        nodes = self.graph.nodes
        symbols = [n for ids in self._net.file_symbols.values() for n in ids]
        if not symbols:
            return []
        top_cc = max(nodes[n]["cyclomatic"] for n in symbols) or 1
        weight = {"both": 0.5, "centrality": 1.0, "complexity": 0.0}[by]
        scored = []
        for n in symbols:
            central = self._net.centrality.get(n, 0.0)
            score = weight * central + (1 - weight) * nodes[n]["cyclomatic"] / top_cc
            scored.append((score, n, central))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [
            {**self._describe(n), "centrality": round(c, 6), "score": round(s, 6),
             "callers": sum(1 for _, _, k in self.graph.in_edges(n, keys=True) if k == "calls")}
            for s, n, c in scored[:limit]
        ]

    def outline(self, file: str) -> list[dict[str, object]]:
        """Symbols of one file in source order: kind, name, lines, signature."""
        path = self.resolve_file(file)
        if path is None:
            return []
        return [self._describe(n) for n in self._net.file_symbols.get(path, ())]

    def signals(self, files: list[str], symbols: list[str]) -> GraphSignals:
        """Complexity, blast radius, dependency depth and centrality of what is mentioned."""
        paths = {p for p in (self.resolve_file(f) for f in files) if p}
        symbol_ids = [i for name in symbols for i in self._symbol_ids(name)]
        nodes = self.graph.nodes
        cc_max = nesting = count = total = 0
        for path in paths:
            st = self._net.file_stats[path]
            cc_max, nesting = max(cc_max, st.max_cyclomatic), max(nesting, st.max_nesting)
            count, total = count + st.symbols, total + st.sum_cyclomatic
        for i in symbol_ids:
            data = nodes[i]
            cc_max, nesting = max(cc_max, data["cyclomatic"]), max(nesting, data["nesting"])
            if data["file"] not in paths:
                count, total = count + 1, total + data["cyclomatic"]
        touched = paths | {nodes[i]["file"] for i in symbol_ids}
        central = max((self._net.centrality.get(n, 0.0) for n in [*touched, *symbol_ids]),
                      default=0.0)
        return GraphSignals(
            files_found=len(paths), max_cyclomatic=cc_max,
            mean_cyclomatic=round(total / count, 3) if count else 0.0, max_nesting=nesting,
            blast_radius=self._blast_count(touched),
            dependency_depth=max((self.dependency_depth(p) for p in touched), default=0),
            centrality=round(central, 6),
        )

    def _blast_count(self, touched: set[str]) -> int:
        if not touched:
            return 0
        bits = self._dependant_bits(touched)
        return bits.bit_count() if bits is not None else len(self.blast_radius(sorted(touched)))

    def stats(self) -> dict[str, object]:
        """Counts of nodes and edges by kind, and files by language."""
        languages: dict[str, int] = {}
        kinds: dict[str, int] = {}
        for _, data in self.graph.nodes(data=True):
            kinds[data["kind"]] = kinds.get(data["kind"], 0) + 1
            if data["kind"] == "file":
                languages[data["language"]] = languages.get(data["language"], 0) + 1
        edges: dict[str, int] = {}
        for _, _, key in self.graph.edges(keys=True):
            edges[key] = edges.get(key, 0) + 1
        store = store_path(self.root)
        return {"root": str(self.root), "store": str(store),
                "store_bytes": store.stat().st_size if store.exists() else 0,
                "files": kinds.get("file", 0),
                "symbols": sum(v for k, v in kinds.items() if k != "file"),
                "languages": languages, "symbol_kinds": {k: v for k, v in kinds.items()
                                                         if k != "file"},
                "edges": edges}


_cache: dict[Path, tuple[tuple[int, int], CodeGraph]] = {}


def load_graph(root: str | Path) -> CodeGraph | None:
    """The stored graph of ``root``, or None when there is none (or it is unreadable).

    Cached per root; reloaded when the file's mtime or size changes.
    """
    base = Path(root).expanduser().resolve()
    path = store_path(base)
    try:
        st = path.stat()
    except OSError:
        _cache.pop(base, None)
        return None
    key = (st.st_mtime_ns, st.st_size)
    hit = _cache.get(base)
    if hit is not None and hit[0] == key:
        return hit[1]
    if hit is not None:
        # The replaced graph was frozen (below) and holds reference cycles (networkx views
        # point back at their graph): unfreeze and collect it before freezing the new one.
        del _cache[base]
        hit = None
        gc.unfreeze()
        gc.collect()
    try:
        stored = load_stored(path)
    except (StoreError, OSError):
        return None
    # Hundreds of thousands of small dicts: the cyclic GC would rescan them over and over
    # while nothing here can form a cycle worth collecting.
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        graph = CodeGraph(base, build_network(stored))
    except (ValueError, TypeError, KeyError, IndexError):  # a corrupt file record
        return None
    finally:
        if gc_was_enabled:
            gc.freeze()  # the graph lives on: keep later collections from rescanning it
            gc.enable()
    _cache[base] = (key, graph)
    return graph
