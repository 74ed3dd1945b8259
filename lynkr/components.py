"""The optional parts of the pipeline, built once from settings at startup.

A part that cannot start (a corrupt or locked data dir, an unreachable Chroma server) is
switched off with one warning line; the proxy keeps serving without it rather than failing.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass, field

from lynkr.config import Settings
from lynkr.model import Request, Response
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.memory import MemoryStore, project_of
from lynkr.optimize.memory_pins import MemoryPins, PinnedRecall
from lynkr.optimize.semantic_cache import SemanticCache
from lynkr.providers.bound_conversations import conversation_key
from lynkr.routing.affinity import Affinity
from lynkr.routing.scorer import Scorer, make_graph_signals
from lynkr.routing.side_requests import detect_side_request
from lynkr.routing.stats import RoutingStats
from lynkr.tokens import count_tokens

log = logging.getLogger("lynkr")


@dataclass
class Components:
    cache: SemanticCache | None = None
    memory: MemoryStore | None = None
    memory_pins: MemoryPins = field(default_factory=MemoryPins)
    scorer: Scorer | None = None
    affinity: Affinity = field(default_factory=Affinity)
    expand_store: ExpandStore = field(default_factory=ExpandStore)
    routing_stats: RoutingStats = field(default_factory=RoutingStats)
    warnings: list[str] = field(default_factory=list)

    @classmethod
    def disabled(cls) -> Components:
        return cls()

    def memory_inject(self, request: Request, *, keep_prefix: bool = False) -> Request:
        """Add the memories relevant to the conversation (blocking: call in a thread).

        The first turn's recall is pinned and every later turn of the conversation gets the
        same block, byte for byte, so prompt and KV-prefix caches keep hitting; it is recalled
        afresh only once a memory in it is gone, or when a first turn comes again (see
        :mod:`lynkr.optimize.memory_pins`).

        ``keep_prefix``: the upstream checks preserved thinking against the ``system`` it was
        sent (see :mod:`lynkr.optimize.preserved_thinking`). A pin is per-process state: a
        restart, or a fact retired mid-conversation, would change ``system`` and invalidate
        every thinking block before it. Nothing is injected then (facts are still learned)."""
        assert self.memory is not None
        if keep_prefix:
            log.debug("memory not injected: the upstream checks preserved thinking against "
                      "the system prompt, which a new recall would change mid-conversation")
            return request
        project = project_of(request)
        conversation = conversation_key(request)
        # A first turn (no answer in it yet) recalls afresh: it opens a conversation, even
        # when the same question opened an earlier one.
        opening = not any(m.role == "assistant" for m in request.messages)
        pinned = None if opening else self.memory_pins.get(conversation, project)
        query = request.last_user_words()
        if pinned is None or pinned.block is None and pinned.query != query \
                or not self.memory.all_exist(pinned.memory_ids):
            if not query:
                return request
            shown = self.memory.fitting(self.memory.recall(query, project))
            pinned = PinnedRecall(tuple(m.id for m in shown), self.memory.block(shown), query)
            self.memory_pins.pin(conversation, project, pinned)
        return self.memory.attach(request, pinned.block)

    def memory_learn(self, request: Request, response: Response) -> None:
        """Store the facts the user stated in this request's newest turn. Claude Code's side
        requests (titles, summaries, suggestions) repeat or wrap the user's words without the
        working directory, so they would file them under the wrong project: skipped. The
        detector is asked with the model left out, since its haiku rule names a model a user
        may choose for real work."""
        assert self.memory is not None
        if detect_side_request(dataclasses.replace(request, model="")) is not None:
            return
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
