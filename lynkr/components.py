"""The optional parts of the pipeline, built once from settings at startup.

A part that cannot start (a corrupt or locked data dir, an unreachable Chroma server) is
switched off with one warning line; the proxy keeps serving without it rather than failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from lynkr.config import Settings
from lynkr.model import Request, Response
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.memory import MemoryStore, project_of
from lynkr.optimize.semantic_cache import SemanticCache
from lynkr.routing.affinity import Affinity
from lynkr.routing.scorer import Scorer, make_graph_signals
from lynkr.routing.stats import RoutingStats
from lynkr.tokens import count_tokens

log = logging.getLogger("lynkr")


@dataclass
class Components:
    cache: SemanticCache | None = None
    memory: MemoryStore | None = None
    scorer: Scorer | None = None
    affinity: Affinity = field(default_factory=Affinity)
    expand_store: ExpandStore = field(default_factory=ExpandStore)
    routing_stats: RoutingStats = field(default_factory=RoutingStats)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def disabled(cls) -> Components:
        return cls()

    def memory_inject(self, request: Request, *, keep_prefix: bool = False) -> Request:
        """Add the memories most relevant to the newest question (blocking: call in a thread).

        ``keep_prefix``: the upstream checks preserved thinking against the ``system`` it was
        sent (see :mod:`lynkr.optimize.preserved_thinking`). Recall follows the newest prompt,
        the store and the clock, so a fact learned after turn 1, or one the next prompt
        recalls, would change ``system`` mid-conversation and invalidate every thinking block
        before it. Nothing is injected then: the simplest choice that is always correct
        (freezing the first turn's recall would need per-conversation state that a restart
        loses)."""
        assert self.memory is not None
        if keep_prefix:
            log.debug("memory not injected: the upstream checks preserved thinking against "
                      "the system prompt, which recall would change mid-conversation")
            return request
        query = request.last_user_words()
        if not query:
            return request
        memories = self.memory.recall(query, project_of(request))
        return self.memory.inject(request, memories) if memories else request

    def memory_learn(self, request: Request, response: Response) -> None:
        assert self.memory is not None
        facts = self.memory.extract(request, response)
        if facts:
            self.memory.remember(facts, project_of(request))


def build_components(settings: Settings) -> Components:
    """Build every enabled part; blocking (loads the embedding model), so call it in a thread."""
    parts = Components()
    count_tokens("warm up")  # load the BPE tables now, not on the first user request
    if settings.routing.enabled:
        graph = None
        if settings.routing.code_graph_enabled and settings.routing.code_graph_workspace:
            graph = make_graph_signals(settings.routing.code_graph_workspace)
        parts.scorer = Scorer(settings.routing, graph_signals=graph)
        parts.scorer.warm_up()
    if settings.cache.enabled or settings.memory.enabled:
        from lynkr.stores import StoreUnavailable, open_store

        try:
            store = open_store(settings)
        except StoreUnavailable as err:
            parts.warnings.append(f"semantic cache and memory disabled: {err}")
            return parts
        if settings.cache.enabled:
            parts.cache = SemanticCache(settings, store, store.embedder)
        if settings.memory.enabled:
            parts.memory = MemoryStore(settings, store, store.embedder)
    return parts
