"""``python -m graph ...``: the graph commands without the rest of lynkr."""

from __future__ import annotations

import argparse
import sys

from graph.cli import add_graph_commands


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv`` as ``graph`` subcommands and run the chosen one."""
    parser = argparse.ArgumentParser(prog="python -m graph", description="lynkr code graph")
    sub = parser.add_subparsers(dest="command", required=True)
    add_graph_commands(sub)
    args = parser.parse_args(["graph", *(sys.argv[1:] if argv is None else argv)])
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
