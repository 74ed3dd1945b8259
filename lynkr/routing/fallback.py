"""Resilience: retries with backoff, per-target circuit breakers, and the fallback chain.

A stream is retried or failed over only until its first event has been produced: after any
byte went to the client the answer is committed to that upstream.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from lynkr.config import TierTarget
from lynkr.errors import UpstreamError

T = TypeVar("T")


@dataclass
class Breaker:
    """Opens after ``threshold`` consecutive failures; lets one probe through after
    ``cooldown`` seconds (half-open); closes again on a success."""

    threshold: int = 5
    cooldown: float = 30.0
    failures: int = 0
    opened_at: float | None = None
    probing: bool = False

    def state(self, now: float) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if now - self.opened_at >= self.cooldown else "open"

    def allow(self, now: float) -> bool:
        state = self.state(now)
        if state == "closed":
            return True
        if state == "half_open" and not self.probing:
            self.probing = True
            return True
        return False

    def record_success(self) -> None:
        self.failures, self.opened_at, self.probing = 0, None, False

    def record_failure(self, now: float) -> None:
        self.failures += 1
        self.probing = False
        if self.failures >= self.threshold:
            self.opened_at = now


@dataclass
class Breakers:
    threshold: int = 5
    cooldown: float = 30.0
    clock: Callable[[], float] = time.monotonic
    by_target: dict[str, Breaker] = field(default_factory=dict)

    def get(self, target: TierTarget) -> Breaker:
        key = str(target)
        if key not in self.by_target:
            self.by_target[key] = Breaker(self.threshold, self.cooldown)
        return self.by_target[key]

    def snapshot(self) -> dict[str, dict[str, object]]:
        now = self.clock()
        return {key: {"state": b.state(now), "consecutive_failures": b.failures}
                for key, b in self.by_target.items()}

    def reset(self) -> None:
        self.by_target.clear()


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 2
    base_delay: float = 0.25
    max_delay: float = 4.0
    total_budget: float = 20.0

    def delay(self, attempt: int, error: UpstreamError) -> float:
        if error.retry_after is not None:
            return min(error.retry_after, self.max_delay)
        backoff = min(self.max_delay, self.base_delay * (2 ** attempt))
        return backoff * (0.5 + random.random() / 2)  # jitter keeps replicas from syncing


@dataclass
class Attempt:
    tier: str | None
    target: TierTarget
    error: str | None = None


@dataclass
class Served(Generic[T]):
    value: T
    tier: str | None
    target: TierTarget
    attempts: list[Attempt]


class ChainExhausted(UpstreamError):
    """Every target failed; the message names what was tried."""


async def call_with_fallback(
    chain: list[tuple[str | None, TierTarget]],
    call: Callable[[TierTarget], Awaitable[T]],
    breakers: Breakers,
    policy: RetryPolicy,
) -> Served[T]:
    """Try each target in order, retrying retryable errors with backoff, skipping open
    breakers. Non-retryable errors (a 400 from upstream) are the caller's fault: raised at
    once, because another provider would refuse the same request."""
    attempts: list[Attempt] = []
    deadline = time.monotonic() + policy.total_budget
    last: UpstreamError | None = None
    for tier, target in chain:
        breaker = breakers.get(target)
        if not breaker.allow(breakers.clock()):
            attempts.append(Attempt(tier, target, "circuit open"))
            continue
        for attempt in range(policy.max_retries + 1):
            try:
                value = await call(target)
            except UpstreamError as exc:
                last = exc
                breaker.record_failure(breakers.clock())
                attempts.append(Attempt(tier, target, exc.message))
                if not exc.retryable:
                    raise
                delay = policy.delay(attempt, exc)
                if attempt == policy.max_retries or time.monotonic() + delay > deadline \
                        or breaker.state(breakers.clock()) != "closed":
                    break
                await asyncio.sleep(delay)
            else:
                breaker.record_success()
                attempts.append(Attempt(tier, target))
                return Served(value, tier, target, attempts)
    tried = "; ".join(f"{a.target} ({a.error})" for a in attempts) or "no target available"
    raise ChainExhausted(
        f"all upstreams failed: {tried}",
        status=last.status if last else 503,
        kind=last.kind if last else "overloaded_error",
        provider=str(chain[-1][1]) if chain else "",
        retryable=False,
    )


async def prime(events: AsyncIterator[T]) -> AsyncIterator[T]:
    """Pull the first event so failures before any output surface here (and can fail over);
    return an iterator that yields that event and then the rest."""
    iterator = aiter(events)
    try:
        first = await anext(iterator)
    except StopAsyncIteration:
        raise UpstreamError("upstream stream ended before any event", retryable=True) from None

    async def chained() -> AsyncIterator[T]:
        try:
            yield first
            async for item in iterator:
                yield item
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    return chained()
