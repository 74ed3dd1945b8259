"""``lynkr`` command line: one subcommand per user task.

    lynkr start            run the proxy (writes a commented .env on first run)
    lynkr init             write the .env template and exit
    lynkr graph ...        build and query the code graph of a repository
    lynkr mcp ...          serve lynkr's MCP tools (stdio or HTTP), or print client setup
    lynkr cache|memory ... inspect and clear the semantic cache and long-term memory
    lynkr stats            summary of a running proxy
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib
import logging
import socket
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lynkr import __version__
from lynkr.config import ConfigError, Settings, load_settings, write_env_template

if TYPE_CHECKING:
    import uvicorn

# Subcommand groups that live with the package they drive: (module, registering function).
_PLUGINS = (
    ("graph.cli", "add_graph_commands"),
    ("mcp_servers.cli", "add_mcp_commands"),
    ("lynkr.memory_cli", "add_cache_commands"),
    ("lynkr.memory_cli", "add_memory_commands"),
    ("lynkr.stats_cli", "add_stats_commands"),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lynkr", description="Token-saving proxy and tools for AI coding agents.")
    parser.add_argument("--version", action="version", version=f"lynkr {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    start = sub.add_parser("start", help="run the proxy (default port 8081)",
                           description="Run the proxy. Reads .env in the working directory "
                           "(environment variables win); writes a commented template on "
                           "first run.")
    start.add_argument("--env-file", default=".env", help="settings file (default: ./.env)")
    start.add_argument("--host", help="interface to bind (default HOST or 127.0.0.1)")
    start.add_argument("--port", type=int, help="port to listen on (default PORT or 8081)")
    start.set_defaults(func=cmd_start)

    init = sub.add_parser("init", help="write a commented .env template")
    init.add_argument("--env-file", default=".env")
    init.add_argument("--force", action="store_true", help="overwrite an existing file")
    init.set_defaults(func=cmd_init)

    for module_name, function in _PLUGINS:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        register = getattr(module, function, None)
        if register is not None:
            register(sub)
    return parser


def main(argv: list[str] | None = None) -> None:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        sys.exit(0)
    try:
        sys.exit(args.func(args))
    except ConfigError as err:
        print(f"lynkr: configuration error: {err}", file=sys.stderr)
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)


def cmd_init(args: argparse.Namespace) -> int:
    path = Path(args.env_file)
    if path.exists() and not args.force:
        print(f"{path} already exists (use --force to overwrite)")
        return 1
    write_env_template(path)
    print(f"wrote {path}: edit MODEL_PROVIDER and the provider's settings, then `lynkr start`")
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    env_file = Path(args.env_file)
    if not env_file.exists():
        write_env_template(env_file)
        print(f"lynkr: no {env_file} found; wrote a commented template there "
              "(defaults: Ollama on localhost:11434). Edit it to pick your provider.")
    overrides: dict[str, object] = {}
    if args.host:
        overrides["host"] = args.host
    if args.port is not None:
        if not 1 <= args.port <= 65535:
            raise ConfigError(f"--port {args.port} is out of range [1, 65535]")
        overrides["port"] = args.port
    settings = load_settings(env_file, **overrides)
    return serve(settings, env_file)


def serve(settings: Settings, env_file: Path | None = None) -> int:
    """Run the proxy with uvicorn until interrupted; it reloads when ``env_file`` changes.

    The port is bound before the app starts: a busy port is then one line and exit code 1,
    before the stores and the embedding model are loaded (tearing those down half-started
    is what crashed the process), and the banner is printed only once lynkr is listening.
    """
    import uvicorn

    from lynkr.app import create_app
    from lynkr.startup import check_files, startup_warnings

    check_files(settings)
    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # our own line per request suffices
    for warning in startup_warnings(settings):
        logging.getLogger("lynkr").warning(warning)
    try:
        sock = _listen(settings.host, settings.port)
    except OSError as err:
        print(f"lynkr: {_bind_problem(settings.host, settings.port, err)}", file=sys.stderr)
        return 1
    config = uvicorn.Config(create_app(settings, env_file), log_level="warning",
                            access_log=False, lifespan="on")
    logging.getLogger("uvicorn.error").addFilter(_refused_upgrades_are_not_errors)
    with sock, contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has shut down
        _banner_server(config, settings).run(sockets=[sock])
    return 0


def _refused_upgrades_are_not_errors(record: logging.LogRecord) -> bool:
    """uvicorn logs "ASGI callable returned without completing handshake." after a WebSocket
    upgrade refused with an HTTP response, though that is a complete ASGI answer: the 426
    lynkr gives Codex (see ``app._responses_over_http_only``) made one ERROR line per Codex
    session. lynkr serves no WebSocket, so the line never means anything else here."""
    return record.getMessage() != "ASGI callable returned without completing handshake."


def _listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (the first address ``host`` resolves to)."""
    family, kind, proto, _, address = socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
    sock = socket.socket(family, kind, proto)
    try:
        # As uvicorn does: a restart can reuse the port while old connections sit in TIME_WAIT.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


def _bind_problem(host: str, port: int, err: OSError) -> str:
    reason = err.strerror or str(err)
    if err.errno == errno.EADDRINUSE:
        return (f"port {port} is in use on {host}: {reason} (another lynkr? choose one with "
                "--port or PORT)")
    return f"cannot listen on {host}:{port}: {reason}"


def _banner_server(config: uvicorn.Config, settings: Settings) -> uvicorn.Server:
    """uvicorn's server, printing lynkr's banner once the app has started and the socket
    accepts connections (a failed startup exits inside ``startup`` and prints nothing)."""
    import uvicorn

    class BannerServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            _print_banner(settings)

    return BannerServer(config)


def _print_banner(settings: Settings) -> None:
    url = f"http://{settings.host}:{settings.port}"
    print(f"lynkr {__version__} listening on {url} (provider: {settings.model_provider})\n"
          f"  Claude Code:  ANTHROPIC_BASE_URL={url} claude\n"
          f"  OpenAI SDKs:  OPENAI_BASE_URL={url}/v1", flush=True)
