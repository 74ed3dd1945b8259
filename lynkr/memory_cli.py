"""``lynkr memory list|search|forget|clear`` and ``lynkr cache stats|clear``.

They open the same Chroma store the proxy uses (``LYNKR_DATA_DIR`` or ``CHROMA_HOST``, in the
configured ``LYNKR_NAMESPACE``), so what they show and delete is what the proxy serves.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lynkr.config import Settings, load_settings

if TYPE_CHECKING:  # the store stack (chromadb) loads only when a command runs, not for --help
    from lynkr.optimize.memory import Memory, MemoryStore
    from lynkr.optimize.semantic_cache import SemanticCache


def add_memory_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``lynkr memory ...``."""
    memory = subparsers.add_parser("memory", help="inspect and edit long-term memory",
                                   description="List, search and delete the facts lynkr "
                                   "remembers across sessions.")
    sub = memory.add_subparsers(dest="memory_command", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="show remembered facts, newest first")
    _common(listing)
    listing.add_argument("--project", help="only this project (working directory)")
    listing.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    listing.set_defaults(func=_with_memory(_memory_list))

    search = sub.add_parser("search", help="facts closest in meaning to a query")
    _common(search)
    search.add_argument("query")
    search.add_argument("--project", help="only this project")
    search.add_argument("-k", type=int, default=10, help="how many results (default 10)")
    search.set_defaults(func=_with_memory(_memory_search))

    forget = sub.add_parser("forget", help="delete one fact by id (see `memory list`)")
    _common(forget)
    forget.add_argument("id")
    forget.set_defaults(func=_with_memory(_memory_forget))

    clear = sub.add_parser("clear", help="delete all facts (or one project's)")
    _common(clear)
    clear.add_argument("--project", help="only this project")
    clear.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    clear.set_defaults(func=_with_memory(_memory_clear))


def add_cache_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``lynkr cache ...``."""
    cache = subparsers.add_parser("cache", help="inspect and clear the semantic cache",
                                  description="Statistics of, and deletion from, the response "
                                  "cache shared by every proxy using this store.")
    sub = cache.add_subparsers(dest="cache_command", metavar="ACTION", required=True)
    stats = sub.add_parser("stats", help="entries, settings and where the cache lives")
    _common(stats)
    stats.set_defaults(func=_with_cache(_cache_stats))
    clear = sub.add_parser("clear", help="delete every cached response of this namespace")
    _common(clear)
    clear.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    clear.set_defaults(func=_with_cache(_cache_clear))


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", default=".env", help="settings file (default: ./.env)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")


def _settings(args: argparse.Namespace) -> Settings:
    env_file = getattr(args, "env_file", None)
    return load_settings(Path(env_file) if env_file else Path(".env"))


def _with_store(build: Callable[[Any, Any], Any], action: Callable[[argparse.Namespace, Any], int]
                ) -> Callable[[argparse.Namespace], int]:
    """A command that opens the configured store, builds its part on it and runs ``action``;
    an unusable store is one clear line and exit code 1."""
    def run(args: argparse.Namespace) -> int:
        from lynkr.stores import StoreUnavailable, open_store

        settings = _settings(args)
        try:
            store = open_store(settings)
            return action(args, build(settings, store))
        except StoreUnavailable as err:
            print(f"lynkr: {err}", file=sys.stderr)
            return 1
    return run


def _with_memory(action: Callable[[argparse.Namespace, MemoryStore], int]
                 ) -> Callable[[argparse.Namespace], int]:
    def build(settings: Any, store: Any) -> MemoryStore:
        from lynkr.optimize.memory import MemoryStore

        return MemoryStore(settings, store, store.embedder)
    return _with_store(build, action)


def _with_cache(action: Callable[[argparse.Namespace, SemanticCache], int]
                ) -> Callable[[argparse.Namespace], int]:
    def build(settings: Any, store: Any) -> SemanticCache:
        from lynkr.optimize.semantic_cache import SemanticCache

        return SemanticCache(settings, store, store.embedder)
    return _with_store(build, action)


def _print_memories(args: argparse.Namespace, memories: list[Memory], scored: bool) -> None:
    if args.json:
        print(json.dumps([{"id": m.id, "text": m.text, "project": m.project, "kind": m.kind,
                           "created": m.created, **({"similarity": round(m.similarity, 4)}
                                                    if scored else {})} for m in memories],
                         indent=2))
        return
    if not memories:
        print("no memories")
        return
    now = time.time()
    for m in memories:
        score = f"{m.similarity:.2f}  " if scored else ""
        print(f"{m.id}  {score}{m.kind:<10} {_age(now - m.created):>4}  [{m.project}]  {m.text}")


def _memory_list(args: argparse.Namespace, memory: MemoryStore) -> int:
    _print_memories(args, memory.list(project=args.project, limit=args.limit), scored=False)
    return 0


def _memory_search(args: argparse.Namespace, memory: MemoryStore) -> int:
    _print_memories(args, memory.search(args.query, project=args.project, k=args.k), scored=True)
    return 0


def _memory_forget(args: argparse.Namespace, memory: MemoryStore) -> int:
    if memory.forget(args.id):
        print(f"forgot {args.id}")
        return 0
    print(f"lynkr: no memory with id {args.id}", file=sys.stderr)
    return 1


def _memory_clear(args: argparse.Namespace, memory: MemoryStore) -> int:
    scope = f"project {args.project}" if args.project else "all projects"
    if not args.yes and not _confirm(f"Delete every memory of {scope}?"):
        return 1
    print(f"deleted {memory.clear(project=args.project)} memories ({scope})")
    return 0


def _cache_stats(args: argparse.Namespace, cache: SemanticCache) -> int:
    stats = cache.stats()
    if args.json:
        print(json.dumps(stats, indent=2))
        return 0
    for key in ("entries", "namespace", "location", "collection", "threshold", "ttl_seconds",
                "max_entries"):
        print(f"{key:<12} {stats[key]}")
    return 0


def _cache_clear(args: argparse.Namespace, cache: SemanticCache) -> int:
    if not args.yes and not _confirm("Delete every cached response of this namespace?"):
        return 1
    print(f"deleted {cache.clear()} cached responses")
    return 0


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        print(f"lynkr: {question} Pass --yes to confirm.", file=sys.stderr)
        return False
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes")


def _age(seconds: float) -> str:
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"
