"""The cache's in-memory index: loaded from an embedded store at start, it lets misses skip
the embedding (nothing stored in that context) or the Chroma vector query (nothing close)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lynkr.config import Settings
from lynkr.embeddings import Embedder
from lynkr.optimize.semantic_cache import SemanticCache
from lynkr.stores import LocalEntry, LocalVectors, open_store
from tests.cache.conftest import answer, ask

QUESTION = "How do I sort a list of dictionaries by a key in Python?"
PARAPHRASE = "In Python, how can I sort a list of dictionaries by key?"


class CountingEmbedder(Embedder):
    """The real embedder, counting the texts it is asked to embed."""

    def __init__(self, inner: Embedder) -> None:
        super().__init__(lru_size=0)
        self.inner, self.texts = inner, 0
        self.name = inner.name

    def _compute(self, texts: list[str]) -> np.ndarray:
        self.texts += len(texts)
        return self.inner.embed(texts)


def test_after_a_restart_paraphrases_hit_from_the_loaded_index(
        make_settings: Callable[..., Settings], embedder: Embedder) -> None:
    settings = make_settings()
    SemanticCache(settings, open_store(settings, embedder), embedder).store(
        ask(QUESTION), answer("sorted(items, key=...)"))
    restarted = SemanticCache(settings, open_store(settings, embedder), embedder)
    assert restarted.index_loaded(timeout=10)
    hit = restarted.lookup(ask(PARAPHRASE))
    assert hit is not None and hit.kind == "semantic"
    assert hit.response.text == "sorted(items, key=...)"


def test_an_exact_repeat_after_a_restart_is_served_without_embedding(
        make_settings: Callable[..., Settings], embedder: Embedder) -> None:
    settings = make_settings()
    SemanticCache(settings, open_store(settings, embedder), embedder).store(
        ask(QUESTION), answer("sorted(items, key=...)"))
    counting = CountingEmbedder(embedder)
    restarted = SemanticCache(settings, open_store(settings, counting), counting)
    assert restarted.index_loaded(timeout=10)
    hit = restarted.lookup(ask(QUESTION))
    assert hit is not None and hit.kind == "exact"
    assert counting.texts == 0


def test_a_question_in_a_context_with_no_entries_is_not_embedded(
        make_settings: Callable[..., Settings], embedder: Embedder) -> None:
    counting = CountingEmbedder(embedder)
    settings = make_settings()
    cache = SemanticCache(settings, open_store(settings, counting), counting)
    assert cache.index_loaded(timeout=10)
    assert cache.lookup(ask(QUESTION, system="You are a Go expert.")) is None
    assert counting.texts == 0
    cache.store(ask(QUESTION, system="You are a Go expert."), answer("sort.Slice"))
    stored = counting.texts
    assert cache.lookup(ask(PARAPHRASE, system="You are a Go expert.")) is not None
    assert counting.texts == stored + 1


def test_an_embedded_store_trusts_its_index_and_a_shared_one_asks_chroma(
        make_settings: Callable[..., Settings], embedder: Embedder) -> None:
    settings = make_settings()
    mine = SemanticCache(settings, open_store(settings, embedder), embedder)
    assert mine.index_loaded(timeout=10)
    # An entry written behind this process's back (another process on the same directory,
    # which an embedded store does not support) is not in the loaded index ...
    SemanticCache(settings, open_store(settings, embedder), embedder).store(
        ask(QUESTION), answer("sorted()"))
    assert mine.lookup(ask(PARAPHRASE)) is None
    # ... while a store shared with other replicas always runs the Chroma vector query.
    shared_store = open_store(settings, embedder)
    shared_store.shared = True
    shared = SemanticCache(settings, shared_store, embedder)
    assert not shared.index_loaded(timeout=0.2)
    hit = shared.lookup(ask(PARAPHRASE))
    assert hit is not None and hit.kind == "semantic"


def test_caches_on_one_store_share_its_index(make_settings: Callable[..., Settings],
                                             embedder: Embedder) -> None:
    settings = make_settings()
    store = open_store(settings, embedder)
    first, second = SemanticCache(settings, store, embedder), SemanticCache(settings, store,
                                                                            embedder)
    assert first.index_loaded(timeout=10) and second.index_loaded(timeout=10)
    first.store(ask(QUESTION), answer("sorted()"))
    hit = second.lookup(ask(PARAPHRASE))
    assert hit is not None and hit.kind == "semantic"


def test_an_index_that_dropped_entries_for_room_is_no_longer_complete() -> None:
    index = LocalVectors(max_entries=2)
    index.mark_loaded()
    vector = np.array([1.0, 0.0], dtype=np.float32)
    for key in ("a", "b"):
        index.add(key, LocalEntry("ctx", vector, frozenset()))
    assert index.complete
    index.add("c", LocalEntry("ctx", vector, frozenset()))
    assert not index.complete
