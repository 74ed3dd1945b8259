"""Semantic response cache: answer repeated and paraphrased questions without an upstream call.

Layout (one Chroma collection per namespace, kind ``cache``): an entry's **id is its exact
key** (hash of the context + the normalised final question), its document is the question,
its embedding the question's embedding, and its metadata holds the context hash, the creation
time and the serialised response. So one collection serves both layers:

1. exact prompt cache: ``get(ids=[exact key])`` in Chroma (under a millisecond embedded),
   which is also what lets replicas sharing a Chroma server hit each other's entries;
2. semantic lookup: nearest questions with the same context hash, accepted at a cosine
   similarity of ``settings.cache.threshold`` if the questions' tags agree (``tags_agree``
   in :mod:`lynkr.optimize.cache_keys`). The vectors of first-turn entries are also kept in
   memory (:class:`lynkr.stores.LocalVectors`, one per store), searched first with one
   matrix-vector product; a match found there is confirmed, and its answer read, with a by-id
   ``get`` in Chroma. With an embedded store the index is loaded from Chroma in the
   background at start; once it holds everything, a first-turn question whose exact key it
   lacks skips the exact ``get``, one whose context has no entries is a miss without even
   being embedded, and one with no close match is a miss without a Chroma vector query.
   With a shared Chroma server (other replicas write to it) a local miss still runs the
   vector query (~10 ms at 2,000 entries in one context): other replicas' entries are there.

Only single-shot questions (the first user turn) are semantic-matched; later turns hit only on
an exact match of the whole conversation. Turns carrying tool results are never served, and
responses with tool calls, truncation or no text are never stored. An answer's server tool
blocks (a web search's call and result, run by the upstream itself) and its text's citations
are stored with it, so a hit, streamed or not, is the answer first given. Expired entries
(TTL) are ignored on lookup and purged during eviction, which removes the oldest entries once
the count exceeds ``max_entries`` (down to 90% of it, so the scan runs rarely). A TTL of 0
never expires.

Consistency across replicas and processes: the in-memory vectors only *propose* keys; Chroma
is the source of truth for whether an entry still exists, its answer and its age, so an entry
another replica overwrote, evicted or cleared (or ``lynkr cache clear`` removed from another
process) is never served. There is deliberately no in-process answer cache in front of it:
one served a cleared entry, and it saved only ~0.4 ms over the by-id read.

With long-term memory on, answers were written with the asking project's memories injected
(after the lookup), so the context hash is scoped to the project (:func:`project_of`) and to
the version of its memories the caller passes (the same one for the lookup and the store):
one project's answer never serves another, nor the same project once it has learned a fact.

An entry also records the model that wrote the answer, which a hit reports as its model.

Answers are stored and served without their thinking (and entries written before that rule
are served without it too), whatever the client. A thinking block is signed for the exact
conversation prefix it was produced after; served to another conversation, or even to the
same one whose tool order or billing line differs, it is "bound to a different conversation"
on the client's next turn, a 400 or a silently dropped block. Leaving thinking out at the end
of an answer is a change the API accepts.

Any Chroma failure raises :class:`lynkr.stores.StoreUnavailable`.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import orjson

from lynkr.config import Settings
from lynkr.embeddings import Embedder
from lynkr.model import (
    NativeBlock,
    RedactedThinkingBlock,
    Request,
    Response,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    Usage,
)
from lynkr.optimize.cache_keys import (
    context_hash,
    exact_key,
    final_question,
    normalize_question,
    question_tags,
    tags_agree,
)
from lynkr.optimize.memory import project_of
from lynkr.stores import LocalEntry, Store, as_vectors, cosine_similarity

log = logging.getLogger("lynkr.cache")

_CANDIDATES = 5
_LOCAL_VECTORS = 4096  # at least; ~1.5 KB of float32 per entry
_STORABLE_STOPS = frozenset({"end_turn", "stop_sequence"})


@dataclass(slots=True)
class CacheHit:
    response: Response
    similarity: float
    kind: Literal["exact", "semantic"]
    key: str
    model: str  # the model that wrote the answer


def is_cacheable_request(request: Request) -> bool:
    """A request may be answered from (and stored into) the cache: it ends with a user turn
    that asks something in text, and that turn carries no tool results (mid-agent-loop turns
    depend on live tool output, so a cached answer would be wrong). A request for logprobs is
    not: the cache keeps the answer's text, not the upstream's token probabilities."""
    if not request.messages or request.messages[-1].role != "user":
        return False
    if request.extra.get("logprobs") or request.extra.get("top_logprobs"):
        return False
    final = request.messages[-1]
    if any(isinstance(b, ToolResultBlock) for b in final.content):
        return False
    if request.tool_choice is not None and request.tool_choice.type in ("any", "tool"):
        return False
    return bool(normalize_question(final_question(request)))


def is_semantic_request(request: Request) -> bool:
    """Semantic matching is limited to single-shot questions / the first turn: later turns
    depend on the conversation, where a paraphrase match is too risky."""
    return is_cacheable_request(request) and len(request.messages) == 1


def is_cacheable_response(response: Response) -> bool:
    """Only complete answers with text are stored: no (client) tool calls, no truncation, no
    refusal. Server tool blocks are allowed, and so is thinking, which is left out of what is
    stored (see module docstring)."""
    if response.stop_reason not in _STORABLE_STOPS:
        return False
    if not response.text.strip():
        return False
    return all(isinstance(b, TextBlock | ThinkingBlock | RedactedThinkingBlock | NativeBlock)
               for b in response.content)


class SemanticCache:
    """Exact + semantic response cache over one namespaced Chroma collection."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder,
                 clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.threshold = settings.cache.threshold
        self.ttl = settings.cache.ttl_seconds
        self.max_entries = settings.cache.max_entries
        self.prompt_cache = settings.cache.prompt_cache_enabled
        self.per_project = settings.memory.enabled
        self._store = store
        self._embedder = embedder
        self._clock = clock
        self._lock = threading.Lock()
        self._counts = {"exact_hits": 0, "semantic_hits": 0, "misses": 0, "stored": 0,
                        "not_cacheable": 0, "near_misses_rejected": 0, "evicted": 0}
        # Room for every entry eviction allows, so a loaded index stays complete.
        room = max(_LOCAL_VECTORS, self.max_entries + self.max_entries // 10 + 1)
        self._local, created = store.index("cache", room)
        if created and not store.shared:
            threading.Thread(target=self._load_index, name="lynkr-cache-index",
                             daemon=True).start()

    def _load_index(self) -> None:
        """Put every first-turn entry already in the (embedded) store into the local index.

        Any failure leaves the index incomplete, which only means lookups keep querying
        Chroma as they would without it."""
        try:
            found = self._store.call("cache", "index load", lambda c: c.get(
                include=["embeddings", "documents", "metadatas"]))
            now = self._clock()
            vectors = found.get("embeddings")
            rows = zip(found.get("ids") or [], [] if vectors is None else vectors,
                       found.get("documents") or [], found.get("metadatas") or [],
                       strict=False)
            for key, vector, document, meta in rows:
                if (meta and document and meta.get("semantic", True)
                        and self._fresh(float(meta["created"]), now)):  # type: ignore[arg-type]
                    self._local.add(key, LocalEntry(str(meta["context"]),
                                                    np.asarray(vector, dtype=np.float32),
                                                    question_tags(document)))
        except Exception as err:  # StoreUnavailable, or an entry in an unexpected shape
            log.warning("cache index not loaded; lookups query Chroma: %s", err)
            return
        self._local.mark_loaded()

    def index_loaded(self, timeout: float | None = None) -> bool:
        """Wait until the local index holds the store's earlier entries (embedded stores)."""
        return self._local.wait_loaded(timeout)

    # --- lookup ---------------------------------------------------------------------------

    def lookup(self, request: Request, memory_version: str | None = None) -> CacheHit | None:
        """The cached answer for ``request``, or None. Blocking; run it in a worker thread.
        ``memory_version``: that of the memories the request will be given, if any."""
        if not is_cacheable_request(request):
            self._count("not_cacheable")
            return None
        context = self._context(request, memory_version)
        key = exact_key(request, context)
        # Cacheable already holds, so a single message means a semantic (first-turn) request.
        question = (normalize_question(final_question(request))
                    if len(request.messages) == 1 else None)
        # A complete index holds every first-turn key: one it lacks is not in Chroma.
        if self.prompt_cache and (question is None or not self._local.complete
                                  or key in self._local):
            hit = self._stored(key)
            if hit is not None:
                self._count("exact_hits")
                return hit
        # With a complete index, a context nothing was stored under needs no embedding.
        if question is not None and (self._local.has_group(context)
                                     or not self._local.complete):
            hit = self._semantic(context, question, self._embedder.embed([question]))
            if hit is not None:
                self._count("semantic_hits")
                return hit
        self._count("misses")
        return None

    def _context(self, request: Request, memory_version: str | None) -> str:
        if not self.per_project:
            return context_hash(request)
        return context_hash(request, project_of(request), memory_version)

    def _stored(self, key: str) -> CacheHit | None:
        """An exact hit read from Chroma (possibly written by another replica)."""
        now = self._clock()
        found = self._store.call("cache", "exact lookup",
                                 lambda c: c.get(ids=[key], include=["metadatas"]))
        metadatas = found.get("metadatas") or []
        if not metadatas or not metadatas[0]:
            return None
        meta = metadatas[0]
        if not self._fresh(float(meta["created"]), now):  # type: ignore[arg-type]
            return None
        return _hit(key, meta, 1.0, "exact")

    def _semantic(self, context: str, question: str, vector: np.ndarray) -> CacheHit | None:
        wanted = question_tags(question)
        now = self._clock()
        hit = self._confirmed(self._local.nearest(context, vector[0], self.threshold), wanted,
                              now)
        if hit is not None or self._local.complete:
            return hit
        where: dict[str, Any] = {"context": context}
        if self.ttl > 0:
            where = {"$and": [where, {"created": {"$gte": now - self.ttl}}]}
        found = self._store.call("cache", "semantic lookup", lambda c: c.query(
            query_embeddings=as_vectors(vector), n_results=_CANDIDATES, where=where,
            include=["metadatas", "documents", "distances"]))
        ids = (found.get("ids") or [[]])[0]
        distances = (found.get("distances") or [[]])[0]
        documents = (found.get("documents") or [[]])[0]
        metadatas = (found.get("metadatas") or [[]])[0]
        for key, distance, document, meta in zip(ids, distances, documents, metadatas,
                                                 strict=False):
            similarity = cosine_similarity(distance)
            if similarity < self.threshold:
                break
            if not tags_agree(question_tags(document or ""), wanted):
                self._count("near_misses_rejected")
                continue
            return _hit(key, meta, similarity, "semantic")
        return None

    def _confirmed(self, candidates: list[tuple[str, float, LocalEntry]],
                   wanted: frozenset[str], now: float) -> CacheHit | None:
        """The best local candidate that Chroma still holds, fresh, with its stored answer."""
        keys, similarities = [], {}
        for key, similarity, entry in candidates:
            if not tags_agree(entry.tags, wanted):
                self._count("near_misses_rejected")
                continue
            keys.append(key)
            similarities[key] = similarity
        if not keys:
            return None
        found = self._store.call("cache", "confirm lookup",
                                 lambda c: c.get(ids=keys, include=["metadatas"]))
        present = dict(zip(found.get("ids") or [], found.get("metadatas") or [], strict=False))
        self._local.discard([key for key in keys if key not in present])
        for key in keys:
            meta = present.get(key)
            if meta and self._fresh(float(meta["created"]), now):  # type: ignore[arg-type]
                return _hit(key, meta, similarities[key], "semantic")
        return None

    # --- store ----------------------------------------------------------------------------

    def store(self, request: Request, response: Response, *, model: str | None = None,
              memory_version: str | None = None) -> bool:
        """Store ``response`` as the answer to ``request``, written by ``model`` (default: the
        name the response gives) with memories at ``memory_version`` (as for :meth:`lookup`);
        False when either is not cacheable."""
        if not (is_cacheable_request(request) and is_cacheable_response(response)):
            return False
        context = self._context(request, memory_version)
        key = exact_key(request, context)
        question = normalize_question(final_question(request))
        payload = _response_to_json(response)
        now = self._clock()
        vector = self._embedder.embed([question])
        semantic = is_semantic_request(request)
        metadata = {"context": context, "created": now, "response": payload,
                    "model": request.model, "served_model": model or response.model,
                    "semantic": semantic}
        self._store.call("cache", "store", lambda c: c.upsert(
            ids=[key], embeddings=as_vectors(vector), documents=[question],
            metadatas=[metadata]))
        if semantic:
            self._local.add(key, LocalEntry(context, vector[0], question_tags(question)))
        self._count("stored")
        if self._store.call("cache", "count", lambda c: c.count()) > self.max_entries:
            self._store.call("cache", "eviction", lambda c: self._evict(c, now))
        return True

    def _evict(self, collection: Any, now: float) -> None:
        """Drop expired entries, then the oldest until 90% of max_entries remain."""
        found = collection.get(include=["metadatas"])
        entries = sorted(zip(found["ids"], (float(m["created"]) for m in found["metadatas"]),
                             strict=True), key=lambda e: e[1])
        target = self.max_entries - self.max_entries // 10
        doomed = [key for key, created in entries if not self._fresh(created, now)]
        alive = [key for key, created in entries if self._fresh(created, now)]
        doomed += alive[:max(0, len(alive) - target)]
        if doomed:
            collection.delete(ids=doomed)
            self._local.discard(doomed)
            self._count("evicted", len(doomed))

    # --- admin ----------------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counters of this process plus the shared entry count."""
        entries = self._store.call("cache", "count", lambda c: c.count())
        with self._lock:
            counts = dict(self._counts)
        lookups = counts["exact_hits"] + counts["semantic_hits"] + counts["misses"]
        return {
            **counts,
            "entries": entries,
            "hit_rate": (counts["exact_hits"] + counts["semantic_hits"]) / lookups
            if lookups else 0.0,
            "threshold": self.threshold,
            "ttl_seconds": self.ttl,
            "max_entries": self.max_entries,
            "namespace": self._store.namespace,
            "collection": self._store.collection_name("cache"),
            "location": self._store.location,
        }

    def clear(self) -> int:
        """Remove every entry of this namespace; returns how many there were."""
        self._local.clear()
        return self._store.drop("cache")

    # --- helpers --------------------------------------------------------------------------

    def _fresh(self, created: float, now: float) -> bool:
        return self.ttl <= 0 or now - created <= self.ttl

    def _count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self._counts[name] += n


def _hit(key: str, meta: Any, similarity: float,
         kind: Literal["exact", "semantic"]) -> CacheHit:
    response = _response_from_json(str(meta["response"]))
    # Entries stored before they named their model have the name the upstream gave instead.
    model = str(meta.get("served_model") or response.model)
    return CacheHit(response, similarity, kind, key, model)


def _response_to_json(response: Response) -> str:
    """The stored form of an answer: its text blocks (with their citations) and server tool
    blocks, in order; never its thinking (bound to the prefix it was produced after, see
    module docstring)."""
    blocks = [{"type": "text", "text": b.text, "extra": b.extra} if isinstance(b, TextBlock)
              else {"type": "native", "raw": b.raw, "format": b.format}
              for b in response.content if isinstance(b, TextBlock | NativeBlock)]
    usage = response.usage
    return orjson.dumps({
        "model": response.model, "content": blocks, "stop_reason": response.stop_reason,
        "stop_sequence": response.stop_sequence,
        "usage": [usage.input_tokens, usage.output_tokens],
    }).decode()


def _response_from_json(payload: str) -> Response:
    """Rebuild a stored answer under a fresh id (clients may key state on message ids).
    Thinking that entries written before the rule hold is not served (see module docstring)."""
    data = orjson.loads(payload)
    content: list[Any] = [TextBlock(b["text"], extra=b.get("extra") or {}) if b["type"] == "text"
                          else NativeBlock(b["raw"], format=b.get("format"))
                          for b in data["content"] if b["type"] in ("text", "native")]
    input_tokens, output_tokens = data.get("usage", [0, 0])
    return Response(id=f"msg_cache_{uuid.uuid4().hex[:24]}", model=data["model"],
                    content=content, stop_reason=data.get("stop_reason") or "end_turn",
                    stop_sequence=data.get("stop_sequence"),
                    usage=Usage(input_tokens=input_tokens, output_tokens=output_tokens))
