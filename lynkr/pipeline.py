"""The one request flow: cache -> memory -> optimizers -> router -> provider (with fallback)
-> expansion -> cache/memory store.

Everything here works on the internal model; the HTTP handlers parse before and render after.
Steps that are switched off cost nothing on the hot path. Blocking work (embeddings, Chroma)
runs in worker threads; storing after an answer is fire-and-forget.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import TypeVar

import anyio

from lynkr.components import Components
from lynkr.config import TIERS, Settings, TierTarget
from lynkr.errors import LynkrError, NotFound, UpstreamError
from lynkr.expansion import send_with_expansion, stream_with_expansion
from lynkr.model import Request, Response, Usage
from lynkr.optimize.cache_breakpoints import breakpoints_for_target
from lynkr.optimize.memory import project_of
from lynkr.optimize.policy import (
    apply_policy_to_events,
    apply_policy_to_response,
    limit_reached,
    limit_response,
)
from lynkr.optimize.preserved_thinking import keeps_prefix
from lynkr.optimize.request_optimizer import Optimized, OptimizedForms, optimize_request
from lynkr.optimize.semantic_cache import CacheHit, SemanticCache, is_cacheable_request
from lynkr.optimize.tool_results import EXPAND_TOOL_NAME
from lynkr.providers.base import Provider, collect_upstream_ids
from lynkr.providers.text_tool_calls import filter_tool_call_events, filter_tool_calls
from lynkr.providers.upstream_limits import UpstreamLimits
from lynkr.request_record import RequestRecord
from lynkr.routing.affinity import conversation_id
from lynkr.routing.fallback import Breakers, RetryPolicy, Served, call_with_fallback, prime
from lynkr.routing.thinking_origins import ThinkingOrigins, thinking_sent_by
from lynkr.routing.tiers import pinned_target, requested_tier, target_chain
from lynkr.stores import StoreUnavailable
from lynkr.stream_events import MessageStop, StreamEvent
from lynkr.streams import ResponseBuilder, areplay
from lynkr.tokens import request_tokens

T = TypeVar("T")

log = logging.getLogger("lynkr.pipeline")
CACHE_HIT_CHUNK = 64  # characters per delta when a cached answer is streamed


@dataclass
class Outcome:
    record: RequestRecord
    response: Response | None = None
    events: AsyncIterator[StreamEvent] | None = None


OnComplete = Callable[[Request, Response, RequestRecord], None]


class Pipeline:
    def __init__(self, settings: Settings, providers: dict[str, Provider],
                 components: Components | None = None, *, breakers: Breakers | None = None,
                 retry: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.providers = providers
        self.parts = components or Components.disabled()
        self.breakers = breakers or Breakers(settings.breaker_threshold,
                                             settings.breaker_cooldown)
        self.retry = retry or RetryPolicy(max_retries=settings.max_retries,
                                          total_budget=settings.request_timeout)
        self.on_complete: list[OnComplete] = []
        # What upstream models refused (max_tokens over their limit, thinking): upstream_limits.
        self.upstream_limits = UpstreamLimits()
        # Conversations where the model called a tool we had dropped: they keep every tool.
        self._full_toolset: OrderedDict[str, None] = OrderedDict()
        # Which target wrote each thinking block, to count what a model switch drops.
        self.thinking_origins = ThinkingOrigins()

    async def run(self, request: Request, record: RequestRecord, *,
                  use_cache: bool = True) -> Outcome:
        """Answer ``request``; ``record`` gathers what happened, each upstream response's
        request id included (see :func:`lynkr.providers.base.collect_upstream_ids`)."""
        with collect_upstream_ids(record.upstream_request_ids):
            return await self._run(request, record, use_cache)

    async def _run(self, request: Request, record: RequestRecord, use_cache: bool) -> Outcome:
        original = request
        stop = limit_reached(request, self.settings.policy)
        if stop is not None:  # answered by the proxy itself; see lynkr.optimize.policy
            record.provider, record.model, record.tokens_in, record.tokens_out = (
                "policy", "limit", 0, 0)
            answer = limit_response(request, stop)
            return (Outcome(record, events=areplay(answer)) if request.stream
                    else Outcome(record, response=answer))
        cache = self.parts.cache if use_cache else None
        if cache is None:  # x-lynkr-cache says "miss" only when the cache was asked
            record.cache = "off" if self.parts.cache is None else "bypass"
        else:
            hit = await self._lookup(cache, request, record)
            if hit is not None:
                return self._cache_hit(request, hit, record)
        prepared = await self._optimize(request, record)
        chain = self._chain(request, record)
        self._note_sent(record, await prepared.form(self._keeps_prefix(request, chain[0][1])))
        record.routed_at = time.perf_counter()
        if request.stream:
            served = await call_with_fallback(
                chain, lambda t: self._open_prepared(prepared, t), self.breakers, self.retry)
            self._served(record, served)
            sent, kept = await self._sent(prepared, record, served.target)
            self._count_switch_drops(record, sent, served.target)
            events = served.value
            if self._expand_offered(sent):
                events = stream_with_expansion(
                    sent, events, lambda r: self._open(r, served.target),
                    self.parts.expand_store)
            # Text-printed tool calls -> real ones; never in an answer the upstream signed.
            if original.tools and not kept:
                events = filter_tool_call_events(original, events)
            if self.settings.policy.safe_commands_enabled:
                events = apply_policy_to_events(original, events, self.settings)
            return Outcome(record, events=self._observe(original, events, record, cache))
        served_response = await call_with_fallback(
            chain, lambda t: self._send_prepared(prepared, t), self.breakers, self.retry)
        self._served(record, served_response)
        sent, kept = await self._sent(prepared, record, served_response.target)
        self._count_switch_drops(record, sent, served_response.target)
        response = served_response.value
        if self._expand_offered(sent):
            response = await send_with_expansion(
                sent, response, lambda r: self._send(r, served_response.target),
                self.parts.expand_store)
        if original.tools and not kept:
            response = filter_tool_calls(original, response)
        if self.settings.policy.safe_commands_enabled:
            response = apply_policy_to_response(original, response, self.settings)
        self._complete(original, response, record, cache)
        return Outcome(record, response=response)

    # --- steps ---------------------------------------------------------------------------

    async def _lookup(self, cache: SemanticCache, request: Request,
                      record: RequestRecord) -> CacheHit | None:
        """A cache answer, or None; a store that fails mid-flight is a miss, not an error.

        With memory on, the answer depends on the project's memories, so the lookup (and the
        store after a miss) is keyed on their version, read here once for both."""
        memory = self.parts.memory

        def lookup() -> CacheHit | None:
            if memory is not None and is_cacheable_request(request):
                record.memory_version = memory.version(project_of(request))
            return cache.lookup(request, record.memory_version)

        try:
            return await anyio.to_thread.run_sync(lookup)
        except StoreUnavailable as err:
            log.warning("cache lookup skipped: %s", err)
            return None

    async def _optimize(self, request: Request, record: RequestRecord) -> OptimizedForms:
        """The request's optimized forms (built when a target asks for one) and, when the
        scorer chooses the tier, that choice in ``record``."""
        settings, parts = self.settings, self.parts
        # Nothing to choose without tiers, or when the client named a tier or a target itself
        # (its request was counted under the scorer's tier in /routing/stats).
        routed = parts.scorer is not None and bool(settings.tiers) \
            and requested_tier(request.model) is None and pinned_target(request.model) is None
        # Only tool selection and tier affinity key on the conversation; hash it (before memory
        # changes the system prompt) only when one of them runs.
        conversation = conversation_id(request) if request.tools or routed else ""
        pinned = (frozenset(t.name for t in request.tools)
                  if conversation and conversation in self._full_toolset else frozenset())
        prepared = OptimizedForms(request, self._optimized_form(pinned))
        if routed:
            assert parts.scorer is not None
            # The scorer reads the form most targets get: the prefix-keeping one only when
            # every target the tiers and fallback can reach keeps the prefix.
            keep = all(self._keeps_prefix(request, target)
                       for _, target in target_chain(settings, TIERS[0]))
            scored = (await prepared.form(keep)).request
            decision = parts.affinity.apply(conversation, parts.scorer.score(scored))
            parts.routing_stats.record(decision)
            record.tier, record.score = decision.tier, decision.score
        record.conversation = conversation or None
        return prepared

    def _optimized_form(self, pinned: frozenset[str]
                        ) -> Callable[[Request, bool], Awaitable[Optimized]]:
        """How one form of a request is built: memory, then the token optimizers; with
        ``keep_prefix`` each rewrite depends only on the part it rewrites (see
        :mod:`lynkr.optimize.request_optimizer`)."""
        async def build(request: Request, keep_prefix: bool) -> Optimized:
            if self.parts.memory is not None:
                request = await anyio.to_thread.run_sync(
                    partial(self.parts.memory_inject, request, keep_prefix=keep_prefix))
            return optimize_request(request, self.settings.optimizers, self.parts.expand_store,
                                    keep_prefix=keep_prefix, pinned=pinned)
        return build

    def _keeps_prefix(self, request: Request, target: TierTarget) -> bool:
        """Whether ``target`` checks preserved thinking for this request (the one predicate:
        :func:`lynkr.optimize.preserved_thinking.keeps_prefix`)."""
        provider = self.providers.get(target.provider)
        return keeps_prefix(request, provider.family if provider else None, target.model)

    async def _open_prepared(self, prepared: OptimizedForms,
                             target: TierTarget) -> AsyncIterator[StreamEvent]:
        keep = self._keeps_prefix(prepared.original, target)
        return await self._open((await prepared.form(keep)).request, target)

    async def _send_prepared(self, prepared: OptimizedForms, target: TierTarget) -> Response:
        keep = self._keeps_prefix(prepared.original, target)
        return await self._send((await prepared.form(keep)).request, target)

    async def _sent(self, prepared: OptimizedForms, record: RequestRecord,
                    target: TierTarget) -> tuple[Request, bool]:
        """The form ``target`` was sent, whether it kept its prefix; ``record`` counts it."""
        keep = self._keeps_prefix(prepared.original, target)
        optimized = await prepared.form(keep)
        self._note_sent(record, optimized)
        return optimized.request, keep

    @staticmethod
    def _note_sent(record: RequestRecord, optimized: Optimized) -> None:
        record.saved_by = {k: v for k, v in record.saved_by.items()
                           if k not in ("tool_selection", "tool_results")} | optimized.saved_by
        record.offered_tools = optimized.offered_tools
        record.tokens_in = optimized.tokens

    def _chain(self, request: Request, record: RequestRecord) -> list[tuple[str | None,
                                                                           TierTarget]]:
        pinned = pinned_target(request.model)
        if pinned is not None:
            return [(None, pinned)]
        tier = requested_tier(request.model) or record.tier
        return target_chain(self.settings, tier if self.settings.tiers else None)

    def _provider(self, target: TierTarget) -> Provider:
        provider = self.providers.get(target.provider)
        if provider is None:
            raise UpstreamError(f"provider {target.provider!r} has no adapter configured",
                                status=502, provider=target.provider)
        return provider

    async def _open(self, request: Request, target: TierTarget) -> AsyncIterator[StreamEvent]:
        provider = self._provider(target)
        # prime: a refusal comes before any event, so the request can still be asked again.
        return await self._within_known_limits(
            request, target, lambda r: prime(provider.stream(r, target.model)))

    async def _send(self, request: Request, target: TierTarget) -> Response:
        provider = self._provider(target)
        return await self._within_known_limits(
            request, target, lambda r: provider.send(r, target.model))

    async def _within_known_limits(self, request: Request, target: TierTarget,
                                   call: Callable[[Request], Awaitable[T]]) -> T:
        """``call`` within what ``target`` is known to accept, with cache breakpoints if it reads
        them; once more without what a refusal says it does not (see upstream_limits)."""
        request = breakpoints_for_target(
            self.upstream_limits.apply(request, target), self._provider(target).family,
            target.model, self.settings.optimizers.prompt_cache_breakpoints,
            provider=target.provider)
        try:
            return await call(request)
        except UpstreamError as exc:
            smaller = self.upstream_limits.learn(request, target, exc)
            if smaller is None:
                raise
            try:
                return await call(smaller)
            except UpstreamError as again:  # a refused drop_block retry gives the first 400
                raise self.upstream_limits.after_retry(request, target, exc, again)  # noqa: B904

    @staticmethod
    def _expand_offered(request: Request) -> bool:
        return any(t.name == EXPAND_TOOL_NAME for t in request.tools)

    @staticmethod
    def _served(record: RequestRecord, served: Served) -> None:
        if served.tier and served.tier != record.tier:
            record.tier = served.tier
        record.provider, record.model = served.target.provider, served.target.model
        # The served response is the latest one received (failed attempts came before it).
        record.upstream_request_id = (record.upstream_request_ids or [None])[-1]
        if record.routed_at is not None:
            record.upstream_seconds = time.perf_counter() - record.routed_at
        record.attempts = [f"{a.target}{' failed: ' + a.error if a.error else ''}"
                           for a in served.attempts]

    def _count_switch_drops(self, record: RequestRecord, sent: Request,
                            target: TierTarget) -> None:
        """Count the thinking another model wrote that ``target`` is not sent (see
        :mod:`lynkr.routing.thinking_origins`)."""
        record.thinking_dropped_on_switch = self.thinking_origins.dropped_on_switch(
            sent, str(target), thinking_sent_by(self._provider(target)))
        record.thinking_dropped += record.thinking_dropped_on_switch

    def _would_route(self, request: Request) -> TierTarget | None:
        """The first target a cache hit would have been sent to: what it is priced at. Scored
        without affinity or routing stats (nothing was routed): a conversation held on a
        higher tier is priced at the tier of its own score."""
        try:
            if (pinned := pinned_target(request.model)) is not None:
                return pinned
        except NotFound:
            return None
        tier = requested_tier(request.model)
        if tier is None and self.parts.scorer is not None and self.settings.tiers:
            tier = self.parts.scorer.score(request).tier
        chain = target_chain(self.settings, tier if self.settings.tiers else None)
        return chain[0][1] if chain else None

    def _cache_hit(self, request: Request, hit: CacheHit, record: RequestRecord) -> Outcome:
        response = hit.response
        record.cache, record.cache_kind, record.similarity = "hit", hit.kind, hit.similarity
        # x-lynkr-model (and the metrics' model label) names the model that wrote the answer;
        # the savings are priced at the model the request would have gone to.
        record.provider, record.model, record.tier = "cache", hit.model, None
        if (would := self._would_route(request)) is not None:
            record.priced_at = (would.provider, would.model)
        record.saved_by["semantic_cache"] = request_tokens(request)  # never sent upstream
        record.tokens_in, record.tokens_out = 0, 0
        response.usage = Usage()
        if request.stream:
            return Outcome(record, events=areplay(response, chunk_size=CACHE_HIT_CHUNK))
        return Outcome(record, response=response)

    async def _observe(self, request: Request, events: AsyncIterator[StreamEvent],
                       record: RequestRecord, cache: object) -> AsyncIterator[StreamEvent]:
        """Pass events through while folding them into a response for the completion hooks
        (cache store, responses store, usage log) once the stream has finished."""
        builder = ResponseBuilder()
        try:
            async for event in events:
                builder.add(event)
                yield event
                if isinstance(event, MessageStop):
                    self._complete(request, builder.build(), record, cache)
        except LynkrError as err:
            record.status, record.error = err.status, err.message
            if isinstance(err, UpstreamError) and record.provider and record.model:
                # Committed streams cannot fail over, but the breaker should still learn.
                target = TierTarget(record.provider, record.model)
                self.breakers.get(target).record_failure(self.breakers.clock(), err.message)
            raise
        except Exception as exc:
            log.exception("stream failed")
            record.status, record.error = 500, f"{type(exc).__name__}: {exc}"
            raise LynkrError(f"internal error while streaming: {type(exc).__name__}") from exc
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    def _complete(self, request: Request, response: Response, record: RequestRecord,
                  cache: object) -> None:
        record.tokens_out = response.usage.output_tokens
        self._note_dropped_tool_calls(record, response)
        self.thinking_origins.remember(response, f"{record.provider}:{record.model}")
        for hook in self.on_complete:
            hook(request, response, record)
        background = []
        # With memory on, an answer is stored only under the memory version it was given.
        if cache is not None and self.parts.cache is not None and (
                self.parts.memory is None or record.memory_version is not None):
            background.append(lambda: self.parts.cache.store(  # type: ignore[union-attr]
                request, response, model=record.model, memory_version=record.memory_version))
        if self.parts.memory is not None:
            background.append(lambda: self.parts.memory_learn(request, response))
        for job in background:
            _fire_and_forget(job)

    def _note_dropped_tool_calls(self, record: RequestRecord, response: Response) -> None:
        offered = record.offered_tools
        if not offered or record.conversation is None:
            return
        if any(use.name not in offered and use.name != EXPAND_TOOL_NAME
               for use in response.tool_uses):
            self._full_toolset[record.conversation] = None
            while len(self._full_toolset) > 4096:
                self._full_toolset.popitem(last=False)


def _fire_and_forget(job: Callable[[], object]) -> None:
    """Run blocking bookkeeping in a worker thread without delaying the answer."""
    def guarded() -> None:
        try:
            job()
        except Exception:
            log.warning("background store failed", exc_info=True)

    try:
        asyncio.get_running_loop().run_in_executor(None, guarded)
    except RuntimeError:
        guarded()
