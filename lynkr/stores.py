"""Chroma storage for the semantic cache and long-term memory.

By default an embedded ``PersistentClient`` under ``settings.data_dir`` (nothing to set up);
with ``CHROMA_HOST`` set, an ``HttpClient`` so several lynkr replicas share one cache and one
memory. Collections are named ``lynkr.<namespace>.<kind>.<embedder tag>``: tenants (namespaces)
never see each other's entries, and vectors from different embedding models never mix (their
dimensions and geometry differ).

Chroma 1.5's default embedding function downloads a model on first use, which fails offline.
We always pass explicit embeddings, and also attach :class:`LynkrEmbeddingFunction`
(registered with Chroma) so a collection reopened by any client rebuilds our function from its
stored config instead of falling back to the downloading default.

:class:`LocalVectors` is the in-memory index the cache searches before querying Chroma.

Every Chroma failure (corrupt or locked data dir, server down) surfaces as
:class:`StoreUnavailable`; the pipeline turns it into a warning and serves without cache.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.errors import NotFoundError
from chromadb.utils.embedding_functions import register_embedding_function

from lynkr.config import Settings
from lynkr.embeddings import Embedder, get_embedder

T = TypeVar("T")


class StoreUnavailable(RuntimeError):
    """The Chroma store cannot be opened or used; the message says where and why."""


@contextmanager
def chroma_errors(action: str, location: str) -> Iterator[None]:
    """Re-raise any Chroma failure as StoreUnavailable naming the action and the store.

    Chroma's Rust core reports some failures as a pyo3 PanicException, which derives from
    BaseException; it is caught by name so a broken store never takes the proxy down.
    """
    try:
        yield
    except StoreUnavailable:
        raise
    except Exception as exc:
        raise StoreUnavailable(f"chroma store at {location}: {action} failed: {exc}") from exc
    except BaseException as exc:
        if type(exc).__name__ != "PanicException":
            raise
        raise StoreUnavailable(f"chroma store at {location}: {action} failed: {exc}") from exc


@register_embedding_function
class LynkrEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma-facing wrapper of our embedder; its config names the provider and model."""

    def __init__(self, provider: str = "local", model: str | None = None,
                 endpoint: str | None = None, embedder: Embedder | None = None) -> None:
        self.provider, self.model, self.endpoint = provider, model, endpoint
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        if self._embedder is None:
            self._embedder = get_embedder(Settings(embeddings_provider=self.provider,
                                                   embeddings_model=self.model,
                                                   embeddings_endpoint=self.endpoint))
        return list(self._embedder.embed(list(input)))

    @staticmethod
    def name() -> str:
        return "lynkr"

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LynkrEmbeddingFunction:
        return LynkrEmbeddingFunction(config.get("provider", "local"), config.get("model"),
                                      config.get("endpoint"))

    def get_config(self) -> dict[str, Any]:
        return {"provider": self.provider, "model": self.model, "endpoint": self.endpoint}

    def validate_config_update(self, old_config: dict[str, Any],
                               new_config: dict[str, Any]) -> None:
        return None

    @staticmethod
    def validate_config(config: dict[str, Any]) -> None:
        return None


@dataclass
class Store:
    """An open Chroma client plus the namespaced collections handed out from it."""

    client: ClientAPI
    namespace: str
    location: str
    embedder: Embedder
    embedding_function: LynkrEmbeddingFunction
    # A Chroma server other replicas write to; an embedded store is written by this process.
    shared: bool = False
    _collections: dict[str, Collection] = field(default_factory=dict)
    _indexes: dict[str, LocalVectors] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def collection_name(self, kind: str) -> str:
        """``lynkr.<namespace>.<kind>.<embedder tag>``, valid under Chroma's naming rules."""
        tag = hashlib.sha256(self.embedder.name.encode()).hexdigest()[:8]
        return f"lynkr.{_safe_namespace(self.namespace)}.{kind}.{tag}"

    def collection(self, kind: str) -> Collection:
        """The collection for ``kind`` ("cache", "memory") in this namespace, created on demand."""
        with self._lock:
            found = self._collections.get(kind)
            if found is not None:
                return found
            with chroma_errors(f"opening collection {kind!r}", self.location):
                found = self.client.get_or_create_collection(
                    self.collection_name(kind),
                    embedding_function=self.embedding_function,  # type: ignore[arg-type]
                    configuration={"hnsw": {"space": "cosine"}},
                )
            self._collections[kind] = found
            return found

    def index(self, kind: str, max_entries: int) -> tuple[LocalVectors, bool]:
        """The in-memory vector index of the ``kind`` collection, shared by every user of this
        store so none misses another's writes; True when this call created it."""
        with self._lock:
            found = self._indexes.get(kind)
            if found is not None:
                return found, False
            created = self._indexes[kind] = LocalVectors(max_entries)
            return created, True

    def call(self, kind: str, action: str, operation: Callable[[Collection], T]) -> T:
        """Run ``operation`` on the ``kind`` collection, mapping failures to StoreUnavailable.

        Another replica (or ``lynkr cache clear`` in another process) may have dropped the
        collection since we opened it; then the handle is stale, so reopen once and retry.
        """
        with chroma_errors(action, self.location):
            try:
                return operation(self.collection(kind))
            except Exception as exc:
                if not _is_missing_collection(exc):
                    raise
                with self._lock:
                    self._collections.pop(kind, None)
                return operation(self.collection(kind))

    def drop(self, kind: str) -> int:
        """Delete the whole collection for ``kind``; returns how many entries it held."""
        with self._lock, chroma_errors(f"dropping collection {kind!r}", self.location):
            name = self.collection_name(kind)
            self._collections.pop(kind, None)
            try:
                existing = self.client.get_collection(name)
            except Exception:
                return 0
            count = existing.count()
            self.client.delete_collection(name)
            return count


@dataclass(slots=True)
class LocalEntry:
    """An entry of :class:`LocalVectors`: its group (the cache's context hash), its vector and
    the tokens the caller compares before trusting a match (the cache's salient tokens)."""

    group: str
    vector: np.ndarray
    tags: frozenset[str]


class LocalVectors:
    """Vectors of a collection's entries, grouped, for an in-memory nearest neighbour search
    that costs one matrix-vector product instead of a Chroma query. Bounded (oldest dropped
    first), thread-safe, no I/O: callers confirm matches against Chroma.

    The index is *complete* once its owner has loaded every entry already in the collection
    (:meth:`mark_loaded`) and has dropped none for lack of room since: then a question with no
    close match here has none in Chroma either (for a store nobody else writes to).
    """

    def __init__(self, max_entries: int) -> None:
        self._max = max_entries
        self._entries: OrderedDict[str, LocalEntry] = OrderedDict()
        self._by_group: dict[str, dict[str, None]] = {}
        # Per group: (keys, stacked vectors), rebuilt on the first search after a change.
        self._matrices: dict[str, tuple[list[str], np.ndarray]] = {}
        self._lock = threading.Lock()
        self._loaded = threading.Event()
        self._overflowed = False

    @property
    def complete(self) -> bool:
        return self._loaded.is_set() and not self._overflowed

    def mark_loaded(self) -> None:
        self._loaded.set()

    def wait_loaded(self, timeout: float | None = None) -> bool:
        return self._loaded.wait(timeout)

    def has_group(self, group: str) -> bool:
        with self._lock:
            return group in self._by_group

    def __contains__(self, key: str) -> bool:
        with self._lock:
            return key in self._entries

    def add(self, key: str, entry: LocalEntry) -> None:
        with self._lock:
            self._drop(key)
            self._entries[key] = entry
            self._by_group.setdefault(entry.group, {})[key] = None
            self._matrices.pop(entry.group, None)
            while len(self._entries) > self._max:
                self._drop(next(iter(self._entries)))
                self._overflowed = True

    def discard(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._drop(key)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._by_group.clear()
            self._matrices.clear()

    def nearest(self, group: str, vector: np.ndarray, threshold: float
                ) -> list[tuple[str, float, LocalEntry]]:
        """(key, similarity, entry) of every entry in ``group`` at or above ``threshold``,
        most similar first."""
        with self._lock:
            matrix = self._matrices.get(group)
            if matrix is None:
                keys = list(self._by_group.get(group, ()))
                if not keys:
                    return []
                matrix = self._matrices[group] = (
                    keys, np.stack([self._entries[k].vector for k in keys]))
            keys, vectors = matrix
            similarities = vectors @ vector
            order = np.flatnonzero(similarities >= threshold)
            order = order[np.argsort(-similarities[order], kind="stable")]
            return [(keys[i], float(similarities[i]), self._entries[keys[i]]) for i in order]

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is not None:
            self._by_group[entry.group].pop(key, None)
            if not self._by_group[entry.group]:
                del self._by_group[entry.group]
            self._matrices.pop(entry.group, None)


def open_store(settings: Settings, embedder: Embedder | None = None) -> Store:
    """Open the configured Chroma store, or raise StoreUnavailable with a one-line reason."""
    embedder = embedder or get_embedder(settings)
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=True)
    if settings.chroma_host:
        scheme = "https" if settings.chroma_ssl else "http"
        location = f"{scheme}://{settings.chroma_host}:{settings.chroma_port}"
        headers = ({"Authorization": f"Bearer {settings.chroma_token}"}
                   if settings.chroma_token else None)
        with chroma_errors("connecting", location):
            client: ClientAPI = chromadb.HttpClient(
                host=settings.chroma_host, port=settings.chroma_port, ssl=settings.chroma_ssl,
                headers=headers, settings=chroma_settings)
            client.heartbeat()
    else:
        path = Path(settings.data_dir).expanduser() / "chroma"
        location = str(path)
        with chroma_errors("opening", location):
            if path.exists() and not path.is_dir():
                raise StoreUnavailable(f"chroma store at {location}: not a directory")
            path.mkdir(parents=True, exist_ok=True)
            client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            client.list_collections(limit=1)
    function = LynkrEmbeddingFunction(settings.embeddings_provider, settings.embeddings_model,
                                      settings.embeddings_endpoint, embedder=embedder)
    return Store(client, settings.namespace, location, embedder, function,
                 shared=bool(settings.chroma_host))


def cosine_similarity(distance: float) -> float:
    """Chroma's cosine *distance* back to similarity."""
    return 1.0 - float(distance)


def as_vectors(matrix: np.ndarray) -> list[list[float]]:
    """Rows of an embedding matrix in the list form every Chroma client accepts."""
    return [row.tolist() for row in matrix]


def _is_missing_collection(exc: Exception) -> bool:
    return isinstance(exc, NotFoundError) or "does not exist" in str(exc)


def _safe_namespace(namespace: str) -> str:
    """Map any namespace to Chroma-legal characters; a hash suffix keeps distinct raw names
    (``a/b`` vs ``a_b``) from colliding after the mapping."""
    cleaned = re.sub(r"[^a-zA-Z0-9_-]", "_", namespace)[:64] or "default"
    if cleaned != namespace:
        cleaned += "-" + hashlib.sha256(namespace.encode()).hexdigest()[:8]
    return cleaned
