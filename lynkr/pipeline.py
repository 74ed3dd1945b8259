"""The one request flow: cache -> optimizers -> router -> provider (with fallback) -> store.

Everything here works on the internal model; the HTTP handlers parse before and render
after. Steps that are switched off cost nothing on the hot path.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from lynkr.config import Settings, TierTarget
from lynkr.errors import LynkrError, UpstreamError
from lynkr.model import MessageStop, Request, Response, StreamEvent
from lynkr.providers.base import Provider
from lynkr.routing.fallback import Breakers, RetryPolicy, Served, call_with_fallback, prime
from lynkr.routing.tiers import pinned_target, requested_tier, target_chain
from lynkr.streams import ResponseBuilder


@dataclass
class RequestRecord:
    """What happened to one request: the request log line, metrics and headers read it."""

    client_format: str
    started: float = field(default_factory=time.perf_counter)
    tier: str | None = None
    score: float | None = None
    provider: str | None = None
    model: str | None = None
    cache: str = "miss"
    similarity: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    tokens_saved: int = 0
    saved_by: dict[str, int] = field(default_factory=dict)
    status: int = 200
    error: str | None = None
    attempts: list[str] = field(default_factory=list)

    def headers(self) -> dict[str, str]:
        headers = {"x-lynkr-cache": self.cache,
                   "x-lynkr-tokens-saved": str(self.tokens_saved)}
        if self.tier:
            headers["x-lynkr-tier"] = self.tier
        if self.score is not None:
            headers["x-lynkr-score"] = f"{self.score:.3f}"
        if self.provider:
            headers["x-lynkr-provider"] = self.provider
        if self.model:
            headers["x-lynkr-model"] = self.model
        if self.tokens_in is not None:
            headers["x-lynkr-tokens-in"] = str(self.tokens_in)
        if self.similarity is not None:
            headers["x-lynkr-cache-similarity"] = f"{self.similarity:.4f}"
        return headers


@dataclass
class Outcome:
    record: RequestRecord
    response: Response | None = None
    events: AsyncIterator[StreamEvent] | None = None


OnComplete = Callable[[Request, Response, RequestRecord], None]


class Pipeline:
    def __init__(self, settings: Settings, providers: dict[str, Provider], *,
                 breakers: Breakers | None = None, retry: RetryPolicy | None = None) -> None:
        self.settings = settings
        self.providers = providers
        self.breakers = breakers or Breakers()
        self.retry = retry or RetryPolicy(max_retries=settings.max_retries,
                                          total_budget=settings.request_timeout)
        self.on_complete: list[OnComplete] = []

    async def run(self, request: Request, record: RequestRecord) -> Outcome:
        chain = self._chain(request, record)
        if request.stream:
            served = await call_with_fallback(
                chain, lambda t: prime(self._provider(t).stream(request, t.model)),
                self.breakers, self.retry)
            self._served(record, served)
            return Outcome(record, events=self._observe(request, served.value, record))
        served_response = await call_with_fallback(
            chain, lambda t: self._provider(t).send(request, t.model), self.breakers, self.retry)
        self._served(record, served_response)
        self._complete(request, served_response.value, record)
        return Outcome(record, response=served_response.value)

    def _chain(self, request: Request, record: RequestRecord) -> list[tuple[str | None,
                                                                           TierTarget]]:
        pinned = pinned_target(request.model)
        if pinned is not None:
            return [(None, pinned)]
        tier = requested_tier(request.model) or record.tier
        return target_chain(self.settings, tier)

    def _provider(self, target: TierTarget) -> Provider:
        provider = self.providers.get(target.provider)
        if provider is None:
            raise UpstreamError(f"provider {target.provider!r} has no adapter configured",
                                status=502, provider=target.provider)
        return provider

    @staticmethod
    def _served(record: RequestRecord, served: Served) -> None:
        record.tier = served.tier or record.tier
        record.provider, record.model = served.target.provider, served.target.model
        record.attempts = [f"{a.target}{' failed: ' + a.error if a.error else ''}"
                           for a in served.attempts]

    async def _observe(self, request: Request, events: AsyncIterator[StreamEvent],
                       record: RequestRecord) -> AsyncIterator[StreamEvent]:
        """Pass events through while folding them into a response for the completion hooks
        (cache store, responses store, usage log) once the stream has finished."""
        builder = ResponseBuilder()
        try:
            async for event in events:
                builder.add(event)
                yield event
                if isinstance(event, MessageStop):
                    self._complete(request, builder.build(), record)
        except LynkrError as err:
            record.status, record.error = err.status, err.message
            raise
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()

    def _complete(self, request: Request, response: Response, record: RequestRecord) -> None:
        record.tokens_out = response.usage.output_tokens
        if record.tokens_in is None:
            record.tokens_in = response.usage.input_tokens
        for hook in self.on_complete:
            hook(request, response, record)
