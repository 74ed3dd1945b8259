"""Fixtures for the cache and memory tests: one embedder per session, a fresh embedded Chroma
store per test under tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from lynkr.config import CacheSettings, MemorySettings, Settings
from lynkr.embeddings import Embedder, get_embedder
from lynkr.model import Message, Request, Response, TextBlock
from lynkr.optimize.semantic_cache import SemanticCache
from lynkr.stores import Store, open_store


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return get_embedder(Settings())


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    def make(**changes: object) -> Settings:
        cache = CacheSettings(**changes.pop("cache", {}))  # type: ignore[arg-type]
        memory = MemorySettings(**changes.pop("memory", {}))  # type: ignore[arg-type]
        changes.setdefault("data_dir", str(tmp_path / "lynkr"))
        return Settings(cache=cache, memory=memory, **changes)  # type: ignore[arg-type]

    return make


@pytest.fixture
def store(make_settings: Callable[..., Settings], embedder: Embedder) -> Store:
    return open_store(make_settings(), embedder)


@pytest.fixture
def cache(make_settings: Callable[..., Settings], store: Store,
          embedder: Embedder) -> SemanticCache:
    return SemanticCache(make_settings(), store, embedder)


def ask(question: str, *, model: str = "claude-sonnet-4-5", system: str | None = None,
        history: list[Message] | None = None, **fields: object) -> Request:
    """A request whose final user turn asks ``question``."""
    messages = [*(history or []), Message("user", [TextBlock(question)])]
    return Request(model=model, messages=messages,
                   system=[TextBlock(system)] if system else [], **fields)  # type: ignore[arg-type]


def answer(text: str, **fields: object) -> Response:
    return Response(id="msg_1", model="claude-sonnet-4-5", content=[TextBlock(text)],
                    **fields)  # type: ignore[arg-type]
