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
import importlib
import logging
import sys
from pathlib import Path

from lynkr import __version__
from lynkr.config import ConfigError, Settings, load_settings, write_env_template

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
    serve(settings, env_file)
    return 0


def serve(settings: Settings, env_file: Path | None = None) -> None:
    """Run the proxy with uvicorn until interrupted; it reloads when ``env_file`` changes."""
    import uvicorn

    from lynkr.app import create_app
    from lynkr.startup import startup_warnings

    logging.basicConfig(level=settings.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # our own line per request suffices
    for warning in startup_warnings(settings):
        logging.getLogger("lynkr").warning(warning)
    url = f"http://{settings.host}:{settings.port}"
    print(f"lynkr {__version__} listening on {url} (provider: {settings.model_provider})\n"
          f"  Claude Code:  ANTHROPIC_BASE_URL={url} claude\n"
          f"  OpenAI SDKs:  OPENAI_BASE_URL={url}/v1", flush=True)
    uvicorn.run(create_app(settings, env_file), host=settings.host, port=settings.port,
                log_level="warning", access_log=False, lifespan="on")
