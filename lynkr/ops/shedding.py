"""Load shedding (``LOAD_SHEDDING_ENABLED``): refuse new work with 503 + ``Retry-After`` while
the process is overloaded, so requests already in flight can finish instead of all timing out.

Three signals, each with a threshold in :class:`SheddingLimits`: requests in flight, event-loop
lag (how late a timer fires: the loop is starved of CPU) and resident memory. Idle never sheds:
lag is measured only when the loop is otherwise quiet enough to be on time, and the thresholds
sit far above an idle proxy (a few ms of lag, a few hundred MB).
"""

from __future__ import annotations

import asyncio
import os
import resource
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from lynkr.config import OpsSettings

MAX_IN_FLIGHT = 1024
MAX_LOOP_LAG_SECONDS = 0.5
MAX_RSS_BYTES = 4 * 1024**3
RETRY_AFTER_SECONDS = 2
SAMPLE_SECONDS = 0.25


@dataclass(frozen=True)
class SheddingLimits:
    max_in_flight: int = MAX_IN_FLIGHT
    max_loop_lag: float = MAX_LOOP_LAG_SECONDS
    max_rss_bytes: int = MAX_RSS_BYTES
    retry_after: int = RETRY_AFTER_SECONDS

    @classmethod
    def from_settings(cls, ops: OpsSettings) -> SheddingLimits:
        """``LOAD_SHEDDING_MAX_IN_FLIGHT``, ``_MAX_LOOP_LAG_MS`` and ``_MAX_RSS_MB``."""
        return cls(max_in_flight=ops.shed_max_in_flight,
                   max_loop_lag=ops.shed_max_loop_lag_ms / 1000,
                   max_rss_bytes=ops.shed_max_rss_mb * 2**20)


def rss_bytes() -> int:
    """Current resident set size (Linux ``/proc``), else the peak from ``getrusage``."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@dataclass
class LoadShedder:
    limits: SheddingLimits = field(default_factory=SheddingLimits)
    in_flight: int = 0
    loop_lag: float = 0.0
    rss: int = 0
    on_in_flight: Callable[[int], None] | None = None

    def overloaded(self) -> str | None:
        """Why a new request should be refused now, or None when there is room."""
        limits = self.limits
        if self.in_flight >= limits.max_in_flight:
            return f"{self.in_flight} requests in flight (limit {limits.max_in_flight})"
        if self.loop_lag > limits.max_loop_lag:
            return (f"event loop is {self.loop_lag * 1000:.0f} ms behind "
                    f"(limit {limits.max_loop_lag * 1000:.0f} ms)")
        if self.rss > limits.max_rss_bytes:
            return (f"memory use is {self.rss // 2**20} MB "
                    f"(limit {limits.max_rss_bytes // 2**20} MB)")
        return None

    def enter(self) -> None:
        self.in_flight += 1
        if self.on_in_flight is not None:
            self.on_in_flight(self.in_flight)

    def leave(self) -> None:
        self.in_flight -= 1
        if self.on_in_flight is not None:
            self.on_in_flight(self.in_flight)

    async def monitor(self, interval: float = SAMPLE_SECONDS) -> None:
        """Sample loop lag and memory forever (run as a lifespan task)."""
        self.rss = rss_bytes()
        while True:
            before = time.perf_counter()
            await asyncio.sleep(interval)
            late = time.perf_counter() - before - interval
            # Decay instead of holding the maximum: one slow tick must not shed for long.
            self.loop_lag = max(late, self.loop_lag * 0.5)
            self.rss = rss_bytes()
