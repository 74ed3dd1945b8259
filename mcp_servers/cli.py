"""``lynkr mcp`` and ``lynkr mcp install``: serve the tools, or register them with a client."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any


def _serve(args: argparse.Namespace) -> int:
    from code_mode.config import ConfigError
    from mcp_servers.server import build_server

    root = Path(args.root or Path.cwd())
    if not root.is_dir():
        print(f"lynkr mcp: --root {root} is not a directory", file=sys.stderr)
        return 2
    if args.code_mode and not args.config:
        print("lynkr mcp: --code-mode needs --config servers.json", file=sys.stderr)
        return 2
    grep_timeout = None
    if args.grep_timeout is not None:
        try:
            grep_timeout = parse_seconds(args.grep_timeout)
        except ValueError as exc:
            print(f"lynkr mcp: --grep-timeout {exc}", file=sys.stderr)
            return 2
    try:
        server = build_server(root, test_command=args.test_command,
                              code_mode_config=args.config if args.code_mode else None,
                              own_sigterm=not args.http, grep_timeout=grep_timeout)
    except ConfigError as exc:
        print(f"lynkr mcp: {exc}", file=sys.stderr)
        return 2
    if args.http:
        server.run("streamable-http", host=args.host, port=args.port)
    else:
        server.run("stdio")
    return 0


def parse_seconds(text: str) -> float:
    """A duration in seconds: a finite number above 0 (``ValueError`` saying what is wrong)."""
    try:
        seconds = float(text)
    except ValueError:
        raise ValueError(f"must be a number of seconds, got {text!r}") from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ValueError(f"must be a finite number of seconds above 0, got {text!r}")
    return seconds


def _install(args: argparse.Namespace) -> int:
    from mcp_servers.install import InstallError, install

    try:
        message = install(args.client, write=args.write, root=args.root, home=Path.home(),
                          cwd=Path.cwd(), http_url=args.url)
    except InstallError as exc:
        print(f"lynkr mcp install: {exc}", file=sys.stderr)
        return 1
    print(message)
    return 0


def add_mcp_commands(subparsers: Any) -> None:
    """Register ``mcp`` (serve) and ``mcp install`` on an argparse subparsers object."""
    mcp = subparsers.add_parser(
        "mcp", help="serve lynkr's code tools (and Code Mode) over MCP",
        description="Serve read/grep/find/outline/run_tests and code-graph tools over MCP "
                    "(stdio by default). With --code-mode, also serve four meta-tools that "
                    "reach every tool of the MCP servers listed in --config.")
    mcp.add_argument("--root", help="workspace root (default: current directory)")
    mcp.add_argument("--http", action="store_true", help="serve streamable HTTP, not stdio")
    mcp.add_argument("--host", default="127.0.0.1", help="HTTP host (default 127.0.0.1)")
    mcp.add_argument("--port", type=int, default=8765, help="HTTP port (default 8765)")
    mcp.add_argument("--test-command", help="command run_tests runs (default: detected)")
    mcp.add_argument("--grep-timeout", metavar="SECONDS",
                     help="stop a grep still running after this long (default 20)")
    mcp.add_argument("--code-mode", action="store_true",
                     help="serve search_tools/describe_tool/call_tool/list_servers")
    mcp.add_argument("--config", help="mcpServers JSON file (Claude Desktop / Cursor shape)")
    mcp.set_defaults(func=_serve)
    sub = mcp.add_subparsers(dest="mcp_command")
    install = sub.add_parser(
        "install", help="print (or --write) the snippet registering lynkr with a client",
        description="Print the registration for Claude Code, Cursor or Codex; --write merges "
                    "it into the client's config file, keeping the other servers.")
    install.add_argument("client", choices=["claude", "cursor", "codex"])
    install.add_argument("--write", action="store_true", help="merge into the config file")
    install.add_argument("--root", help="workspace root passed to lynkr mcp")
    install.add_argument("--url", help="register a running HTTP server at this URL instead")
    install.set_defaults(func=_install)


def build_parser() -> argparse.ArgumentParser:
    """A stand-alone parser with just the ``mcp`` command (used by ``python -m mcp_servers``)."""
    parser = argparse.ArgumentParser(prog="lynkr")
    add_mcp_commands(parser.add_subparsers(dest="command", required=True))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))
