"""The operations side of one app: metrics, live stats, limiter, shedder and reloader.

It outlives configuration reloads (counters keep counting across them), which is why it is
kept apart from the swappable ``AppState`` in ``app.state.ops``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from lynkr.ops.metrics import Metrics
from lynkr.ops.ratelimit import RateLimiter
from lynkr.ops.shedding import LoadShedder, SheddingLimits
from lynkr.ops.stats import LiveStats
from lynkr.request_record import RequestRecord


@dataclass
class Ops:
    metrics: Metrics
    stats: LiveStats = field(default_factory=LiveStats)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    shedder: LoadShedder = field(default_factory=LoadShedder)

    @classmethod
    def create(cls, breakers: Callable[[], Mapping[str, Mapping[str, object]]],
               limits: SheddingLimits | None = None,
               pricing: tuple[tuple[str, float], ...] | None = None) -> Ops:
        ops = cls(Metrics(breakers))
        ops.configure(limits, pricing)
        ops.shedder.on_in_flight = ops.metrics.in_flight.set
        return ops

    def configure(self, limits: SheddingLimits | None = None,
                  pricing: tuple[tuple[str, float], ...] | None = None) -> None:
        """Apply shedding limits and the price table (at start and on every reload); counters
        and requests in flight are kept."""
        if pricing is not None:
            self.metrics.pricing = self.stats.pricing = pricing
        if limits is not None:
            self.shedder.limits = limits

    def observe(self, route: str, record: RequestRecord, seconds: float,
                cache_enabled: bool) -> None:
        """One finished request, into both the Prometheus metrics and the live stats."""
        self.metrics.observe(route, record, seconds, cache_enabled)
        self.stats.observe(route, record, seconds, cache_enabled)
