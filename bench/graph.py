"""Code graph: build speed, incremental rebuilds, memory, query latency and correctness.

Workloads
  stdlib  the running interpreter's standard library (``sysconfig.get_paths()["stdlib"]``,
          without site-packages), copied into a temp dir first so that ``.lynkr/`` is never
          written into the interpreter's directory.
  npm     ``typescript@5 express lodash`` installed with npm into a temp dir, indexed at its
          ``node_modules`` (skipped, and reported as skipped, when npm fails).

The stdlib full build and the 1-file rebuild run ``--repeat`` times (default 3); the table
shows the fastest, the JSON every wall time and the median. Builds run as
``python -m graph build`` subprocesses, so wall time includes interpreter
start-up, and peak RSS is sampled from /proc every 20 ms: the sum over the process tree
(overstated: pages forked workers share are counted per process) and the largest process.
CPU seconds are reported beside wall time: this machine is shared, and CPU time does not
depend on what else runs.

Correctness: for every indexed ``.py`` file that Python's ``ast`` parses, the functions and
classes found (name, line) are compared with ``ast``'s FunctionDef/AsyncFunctionDef/ClassDef.

Run: ``uv run python bench/graph.py`` (``--skip-npm`` to leave out the npm tree); prints a
table, writes bench/results/graph.json.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
REPO = HERE.parent
RESULTS = HERE / "results" / "graph.json"
TARGETS = {"stdlib_full_s": 10.0, "incremental_1_s": 0.5, "peak_rss_mb": 1024.0,
           "ast_precision": 0.99, "ast_recall": 0.99, "signals_ms": 5.0}
sys.path.insert(0, str(REPO))

from graph.query import load_graph  # noqa: E402


def _tree_rss_kb(pid: int) -> tuple[int, int]:
    """Resident memory of a process and its descendants, from /proc: (sum, largest one).

    The sum counts pages that forked workers still share with their parent once per
    process, so it overstates; the largest single process understates. Both are reported.
    """
    total = largest = 0
    stack = [pid]
    while stack:
        current = stack.pop()
        try:
            with open(f"/proc/{current}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1])
                        total += rss
                        largest = max(largest, rss)
                        break
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as children:
                    stack.extend(int(c) for c in children.read().split())
        except (OSError, ValueError):
            continue
    return total, largest


def run_build(root: Path, *extra: str) -> dict[str, Any]:
    """One ``python -m graph build`` run: wall, CPU, peak tree RSS and the JSON summary."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "graph", "build", str(root), "--json", *extra],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, largest = _tree_rss_kb(proc.pid)
            peak[0], peak[1] = max(peak[0], total), max(peak[1], largest)
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    done.set()
    wall = time.perf_counter() - started
    sampler.join()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise RuntimeError(f"build failed ({proc.returncode}): {err[-2000:]}")
    summary = json.loads(out)
    return {
        "wall_s": round(wall, 3),
        "build_s": round(summary["seconds"], 3),
        "cpu_s": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 3),
        "peak_tree_rss_mb": round(peak[0] / 1024, 1),
        "peak_process_rss_mb": round(peak[1] / 1024, 1),
        "files": summary["files"], "parsed": summary["parsed"], "relinked": summary["relinked"],
        "symbols": summary["symbols"], "edges": summary["edges"],
        "unresolved_calls": summary["unresolved_calls"], "skipped": summary["skipped"],
        "warnings": len(summary["warnings"]), "languages": summary["languages"],
        "files_per_s": round(summary["parsed"] / summary["seconds"], 1)
        if summary["seconds"] else 0.0,
    }


def copy_stdlib(dest: Path) -> tuple[Path, int, int]:
    """The interpreter's stdlib (no site-packages, caches or binaries) under ``dest``."""
    source = Path(sysconfig.get_paths()["stdlib"])
    target = dest / "stdlib"
    shutil.copytree(source, target, symlinks=True, ignore=shutil.ignore_patterns(
        "site-packages", "dist-packages", "__pycache__", "*.so", "*.a", "*.pyc", "*.exe"))
    py = [p for p in target.rglob("*.py") if p.is_file()]
    return target, len(py), sum(p.stat().st_size for p in py)


def touch(files: list[Path]) -> None:
    """A real content change (hash differs) that keeps every definition in place."""
    for path in files:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write("\n# touched by bench/graph.py\n")


def ast_reference(root: Path, graph: Any) -> dict[str, Any]:
    """Precision and recall of Python functions/classes against the ``ast`` module."""
    nodes = graph.graph.nodes
    found: set[tuple[str, str, int]] = set()
    indexed = set()
    for node_id, data in nodes(data=True):
        if data["kind"] == "file" and data["language"] == "python":
            indexed.add(node_id)
        elif data["kind"] in ("function", "method", "class"):
            found.add((data["file"], data["name"], data["start_line"]))
    expected: set[tuple[str, str, int]] = set()
    compared: set[str] = set()
    for rel in sorted(indexed):
        try:
            tree = ast.parse((root / rel).read_bytes())
        except (SyntaxError, ValueError):
            continue
        compared.add(rel)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                expected.add((rel, node.name, node.lineno))
    found = {f for f in found if f[0] in compared}  # Python files ast could parse
    hits = len(found & expected)
    return {
        "files_compared": len(compared), "ast_symbols": len(expected),
        "graph_symbols": len(found), "matched": hits,
        "precision": round(hits / len(found), 5) if found else 0.0,
        "recall": round(hits / len(expected), 5) if expected else 0.0,
        "missed_examples": sorted(expected - found)[:5],
        "extra_examples": sorted(found - expected)[:5],
    }


def query_latency(root: Path) -> dict[str, Any]:
    """Load once, then time ``signals`` for random requests (3 files, 3 symbols each)."""
    load_graph.__globals__["_cache"].clear()
    started = time.perf_counter()
    graph = load_graph(root)
    load_s = time.perf_counter() - started
    assert graph is not None
    files = [n for n, d in graph.graph.nodes(data=True) if d["kind"] == "file"]
    names = sorted({d["name"] for _, d in graph.graph.nodes(data=True) if "name" in d})
    rng = random.Random(7)
    requests = [(rng.sample(files, 3), rng.sample(names, 3)) for _ in range(300)]
    timings = []
    for request_files, request_symbols in requests:
        t = time.perf_counter()
        graph.signals(request_files, request_symbols)
        timings.append(time.perf_counter() - t)
    timings.sort()
    t = time.perf_counter()
    graph.hotspots(20)
    hotspots_s = time.perf_counter() - t
    return {
        "load_s": round(load_s, 3),
        "nodes": graph.graph.number_of_nodes(), "edges": graph.graph.number_of_edges(),
        "signals_mean_ms": round(1000 * sum(timings) / len(timings), 3),
        "signals_p99_ms": round(1000 * timings[int(len(timings) * 0.99)], 3),
        "hotspots_ms": round(1000 * hotspots_s, 1),
    }


def best_of(repeat: int, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """The fastest of ``repeat`` runs (this machine is shared: others' load only ever adds
    time), with every run's wall time kept for the record."""
    runs = [run() for _ in range(repeat)]
    best = dict(min(runs, key=lambda r: r["wall_s"]))
    best["all_wall_s"] = [r["wall_s"] for r in runs]
    best["median_wall_s"] = sorted(best["all_wall_s"])[len(runs) // 2]
    return best


def bench_stdlib(tmp: Path, workers: int | None, repeat: int) -> dict[str, Any]:
    root, py_files, py_bytes = copy_stdlib(tmp)
    extra = ["--workers", str(workers)] if workers else []
    result: dict[str, Any] = {"root": "copy of " + sysconfig.get_paths()["stdlib"],
                              "py_files": py_files, "py_mb": round(py_bytes / 1e6, 1)}
    result["full"] = best_of(repeat, lambda: run_build(root, "--full", *extra))
    result["noop"] = run_build(root, *extra)
    candidates = sorted(p for p in root.rglob("*.py") if 2_000 < p.stat().st_size < 60_000)
    rng = random.Random(1)
    singles = iter([root / "json" / "decoder.py", *rng.sample(candidates, repeat)])

    def touch_one() -> dict[str, Any]:
        touch([next(singles)])
        return run_build(root, *extra)

    result["touch_1"] = best_of(repeat, touch_one)
    touch(rng.sample(candidates, 50))
    result["touch_50"] = run_build(root, *extra)
    result["store_mb"] = round((root / ".lynkr/graph/graph.bin").stat().st_size / 1e6, 1)
    result["query"] = query_latency(root)
    graph = load_graph(root)
    result["ast"] = ast_reference(root, graph)
    return result


def bench_npm(tmp: Path, workers: int | None) -> dict[str, Any]:
    target = tmp / "npm"
    target.mkdir()
    try:
        subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent",
                        "typescript@5", "express", "lodash"], cwd=target, check=True,
                       capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.SubprocessError) as exc:
        return {"skipped": f"npm install failed: {str(exc)[:200]}"}
    root = target / "node_modules"
    extra = ["--workers", str(workers)] if workers else []
    result: dict[str, Any] = {"root": "node_modules of typescript@5 express lodash"}
    result["full"] = run_build(root, "--full", *extra)
    preferred = root / "express" / "lib" / "express.js"
    touch([preferred if preferred.is_file() else sorted(root.rglob("*.js"))[0]])
    result["touch_1"] = run_build(root, *extra)
    result["query"] = query_latency(root)
    return result


def render(results: dict[str, Any]) -> str:
    rows = [("workload", "run", "wall s", "build s", "cpu s", "files/s", "parsed",
             "peak MB", "symbols", "edges")]
    for name in ("stdlib", "npm"):
        block = results.get(name, {})
        for run in ("full", "noop", "touch_1", "touch_50"):
            r = block.get(run)
            if not r:
                continue
            label = f"{run} (best of {len(r['all_wall_s'])})" if "all_wall_s" in r else run
            rows.append((name, label, f"{r['wall_s']:.2f}", f"{r['build_s']:.2f}",
                         f"{r['cpu_s']:.2f}", f"{r['files_per_s']:.0f}", str(r["parsed"]),
                         f"{r['peak_tree_rss_mb']:.0f}", str(r["symbols"]),
                         str(sum(r["edges"].values()))))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True))
             for row in rows]
    for name in ("stdlib", "npm"):
        block = results.get(name, {})
        if "skipped" in block:
            lines.append(f"{name}: skipped ({block['skipped']})")
        if "query" in block:
            q = block["query"]
            lines.append(f"{name} graph: {q['nodes']} nodes, {q['edges']} edges; load "
                         f"{q['load_s']:.2f} s; signals mean {q['signals_mean_ms']} ms, "
                         f"p99 {q['signals_p99_ms']} ms; hotspots {q['hotspots_ms']} ms")
    for run in ("full", "touch_1"):
        r = results.get("stdlib", {}).get(run, {})
        if "all_wall_s" in r:
            lines.append(f"stdlib {run} wall s: best {r['wall_s']}, median {r['median_wall_s']}"
                         f", all {r['all_wall_s']}")
    if "ast" in results.get("stdlib", {}):
        a = results["stdlib"]["ast"]
        lines.append(f"stdlib vs ast: precision {a['precision']:.4f}, recall {a['recall']:.4f}"
                     f" ({a['matched']}/{a['ast_symbols']} in {a['files_compared']} files)")
    lines.append("targets: " + ", ".join(f"{k} {v}" for k, v in results["targets"].items()))
    lines.append("met: " + ", ".join(f"{k} {'yes' if v else 'NO'}"
                                     for k, v in results["met"].items()))
    return "\n".join(lines)


def verdicts(results: dict[str, Any]) -> dict[str, bool]:
    s = results["stdlib"]
    peak = max(s[r]["peak_tree_rss_mb"] for r in ("full", "noop", "touch_1", "touch_50"))
    return {
        "stdlib_full_s": s["full"]["wall_s"] <= TARGETS["stdlib_full_s"],
        "incremental_1_s": s["touch_1"]["build_s"] <= TARGETS["incremental_1_s"],
        "peak_rss_mb": peak <= TARGETS["peak_rss_mb"],
        "ast_precision": s["ast"]["precision"] >= TARGETS["ast_precision"],
        "ast_recall": s["ast"]["recall"] >= TARGETS["ast_recall"],
        "signals_ms": s["query"]["signals_p99_ms"] <= TARGETS["signals_ms"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--skip-npm", action="store_true")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=3,
                        help="full and 1-file builds are run this often; the best counts")
    args = parser.parse_args()
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                    "loadavg_at_start": [round(x, 2) for x in os.getloadavg()]},
        "targets": TARGETS,
    }
    with tempfile.TemporaryDirectory(prefix="lynkr-graph-bench-") as tmp:
        results["stdlib"] = bench_stdlib(Path(tmp), args.workers, args.repeat)
        results["npm"] = {"skipped": "--skip-npm"} if args.skip_npm else bench_npm(
            Path(tmp), args.workers)
    results["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["met"] = verdicts(results)
    print(render(results))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
