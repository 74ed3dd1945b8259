"""``lynkr graph build | stats | query ...``: argparse wiring and plain-text rendering.

``add_graph_commands`` registers the tree on any argparse subparsers object; every leaf sets
``func(args) -> int`` (the exit code). Human output goes to stdout, progress and warnings to
stderr; ``--json`` prints one JSON document instead.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import orjson

from graph.build import BuildSummary, build_graph

if TYPE_CHECKING:  # networkx and numpy load only for commands that read the graph
    from graph.query import CodeGraph

MAX_WARNINGS_SHOWN = 10


# name -> (help, positional argument, takes several, how the graph answers it)
QUESTIONS: dict[str, tuple[str, str, bool, Callable[[CodeGraph, argparse.Namespace], Any]]] = {
    "symbol": ("where a symbol is defined", "name", False, lambda g, a: g.symbol(a.name)),
    "callers": ("who calls a symbol", "name", False, lambda g, a: g.callers(a.name)),
    "callees": ("what a symbol calls", "name", False, lambda g, a: g.callees(a.name)),
    "neighbors": ("imports and dependants of a file", "file", False,
                  lambda g, a: g.neighbors(a.file)),
    "blast-radius": ("files transitively depending on these files", "files", True,
                     lambda g, a: g.blast_radius(a.files)),
    "outline": ("symbols of one file", "file", False, lambda g, a: g.outline(a.file)),
    "hotspots": ("most central and most complex symbols", "", False,
                 lambda g, a: g.hotspots(a.limit, by=a.by)),
}


def add_graph_commands(subparsers: Any) -> None:
    """Register ``graph`` with its ``build``, ``stats`` and ``query`` subcommands."""
    graph = subparsers.add_parser("graph", help="index a repository into a code graph, query it")
    commands = graph.add_subparsers(dest="graph_command", metavar="COMMAND", required=True)

    build = commands.add_parser("build", help="index a repository (incremental by default)")
    build.add_argument("path", nargs="?", default=".", help="repository root (default: cwd)")
    build.add_argument("--full", action="store_true", help="re-parse every file")
    build.add_argument("--workers", type=int, default=None,
                       help="parser processes (default: one per core)")
    build.add_argument("--json", action="store_true", help="print the summary as JSON")
    build.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    build.set_defaults(func=run_build)

    stats = commands.add_parser("stats", help="counts of files, symbols and edges")
    _common(stats)
    stats.set_defaults(func=run_stats)

    query = commands.add_parser("query", help="ask the graph about symbols and files")
    questions = query.add_subparsers(dest="query_command", metavar="QUESTION", required=True)
    for name, (help_text, arg, many, _) in QUESTIONS.items():
        leaf = questions.add_parser(name, help=help_text)
        if arg:
            leaf.add_argument(arg, nargs="+" if many else None)
        if name == "hotspots":
            leaf.add_argument("--limit", type=int, default=20)
            leaf.add_argument("--by", choices=("both", "centrality", "complexity"),
                              default="both", help="rank by centrality, complexity, or both")
        _common(leaf)
        leaf.set_defaults(func=run_query, question=name)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=".", help="repository root (default: cwd)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def render_progress(done: int, total: int, elapsed: float, width: int = 30) -> str:
    """One progress-bar line: bar, counts, files per second and time left."""
    fraction = done / total if total else 1.0
    filled = int(width * fraction)
    rate = done / elapsed if elapsed > 0 else 0.0
    eta = (total - done) / rate if rate > 0 else 0.0
    bar = "#" * filled + "-" * (width - filled)
    return f"[{bar}] {done}/{total} files  {rate:,.0f} files/s  ETA {eta:0.1f}s"


def _progress_printer(stream: TextIO) -> Callable[[int, int], None]:
    started = time.perf_counter()
    last = [0.0]

    def show(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - last[0] < 0.1 and done < total:
            return
        last[0] = now
        end = "\n" if done >= total else ""
        stream.write("\r" + render_progress(done, total, now - started) + end)
        stream.flush()

    return show


def render_summary(summary: BuildSummary) -> str:
    """The text printed after a build."""
    rate = summary.parsed / summary.seconds if summary.seconds else 0.0
    lines = [
        f"Indexed {summary.files} files in {summary.seconds:.2f} s"
        f" ({'full' if summary.full else 'incremental'}: parsed {summary.parsed},"
        f" reused {summary.reused}, removed {summary.removed}; {rate:,.0f} files/s)",
    ]
    if summary.note:
        lines.append(f"Note: {summary.note}")
    for language, count in summary.languages.items():
        lines.append(f"  {language:<12}{count:>8}")
    edges = ", ".join(f"{k} {v}" for k, v in summary.edges.items())
    lines.append(f"Symbols: {summary.symbols}   Edges: {edges or 'none'}")
    lines.append(f"Unresolved calls: {summary.unresolved_calls}")
    if summary.skipped:
        lines.append("Skipped: " + ", ".join(f"{k} {v}" for k, v in summary.skipped.items()))
    if summary.warnings:
        lines.append(f"Warnings ({len(summary.warnings)}):")
        lines.extend(f"  {w}" for w in summary.warnings[:MAX_WARNINGS_SHOWN])
        if len(summary.warnings) > MAX_WARNINGS_SHOWN:
            lines.append(f"  ... and {len(summary.warnings) - MAX_WARNINGS_SHOWN} more")
    return "\n".join(lines)


def run_build(args: argparse.Namespace) -> int:
    """``graph build``: index PATH and print a summary."""
    show = not args.json and not args.no_progress and sys.stderr.isatty()
    try:
        summary = build_graph(args.path, workers=args.workers, full=args.full,
                              progress=_progress_printer(sys.stderr) if show else None)
    except (FileNotFoundError, NotADirectoryError, PermissionError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(orjson.dumps(dataclasses.asdict(summary), option=orjson.OPT_INDENT_2).decode())
    else:
        print(render_summary(summary))
    return 0


def _open(root: str) -> CodeGraph | None:
    """The graph of ``root``, building it first when none (or an unusable one) is stored."""
    from graph.query import load_graph

    if not Path(root).is_dir():
        print(f"error: {root} is not a directory", file=sys.stderr)
        return None
    graph = load_graph(root)
    if graph is None:
        print(f"no usable graph stored under {root}; building it now", file=sys.stderr)
        build_graph(root)
        graph = load_graph(root)
    return graph


def run_stats(args: argparse.Namespace) -> int:
    """``graph stats``: counts of the stored graph."""
    graph = _open(args.root)
    if graph is None:
        return 2
    stats = graph.stats()
    if args.json:
        print(orjson.dumps(stats, option=orjson.OPT_INDENT_2).decode())
        return 0
    size = int(stats["store_bytes"])  # type: ignore[call-overload]
    print(f"Graph of {stats['root']} ({size / 1e6:.1f} MB in {stats['store']})")
    print(f"Files: {stats['files']}   Symbols: {stats['symbols']}")
    for key in ("languages", "symbol_kinds", "edges"):
        values: dict[str, int] = stats[key]  # type: ignore[assignment]
        print(f"{key.replace('_', ' ').capitalize()}: "
              + ", ".join(f"{k} {v}" for k, v in sorted(values.items(), key=lambda kv: -kv[1])))
    return 0


def run_query(args: argparse.Namespace) -> int:
    """``graph query QUESTION ...``: answer from the stored graph."""
    graph = _open(args.root)
    if graph is None:
        return 2
    answer = QUESTIONS[args.question][3](graph, args)
    if args.json:
        print(orjson.dumps(answer, option=orjson.OPT_INDENT_2).decode())
    else:
        print(render_answer(answer))
    found = bool(answer) and not (isinstance(answer, dict) and answer.get("found") is False)
    return 0 if found else 1


def render_answer(answer: object) -> str:
    """Plain text for a query answer: one line per symbol or file."""
    if isinstance(answer, dict):
        lines = []
        for key, value in answer.items():
            if isinstance(value, list):
                lines.append(f"{key} ({len(value)}):")
                lines.extend(f"  {v}" for v in value)
            else:
                lines.append(f"{key}: {value}")
        return "\n".join(lines)
    if not answer:
        return "(nothing found)"
    assert isinstance(answer, list)
    lines = []
    for item in answer:
        if isinstance(item, str):
            lines.append(item)
        elif "id" in item:
            where = f"{item.get('file', '')}:{item.get('line') or item.get('start_line', '')}"
            extra = "" if item.get("resolved", True) else "  (unresolved)"
            lines.append(f"{item.get('kind', ''):<9} {item['id']}  {where}{extra}")
        else:
            lines.append(f"{'?':<9} {item.get('name')}  (unresolved, from {item.get('caller')})")
    return "\n".join(lines)
