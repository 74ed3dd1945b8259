"""Per-key request rate limits (``RATE_LIMIT_RPM``): a token bucket per caller.

A bucket holds up to one minute's allowance and refills continuously, so a client may burst
up to ``rpm`` requests and then proceeds at ``rpm`` per minute. Buckets of callers not seen
for a while are evicted so the table stays bounded.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    def __init__(self, clock: Callable[[], float] = time.monotonic,
                 max_keys: int = 10_000) -> None:
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def acquire(self, key: str, rpm: int) -> float | None:
        """Take one request from ``key``'s allowance: None when allowed, else the seconds to
        wait before the next request would be (``Retry-After``). ``rpm`` 0 means unlimited."""
        if rpm <= 0:
            return None
        now = self._clock()
        rate = rpm / 60.0
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(float(rpm), now)
            while len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        else:
            self._buckets.move_to_end(key)
            bucket.tokens = min(float(rpm), bucket.tokens + (now - bucket.updated) * rate)
            bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return None
        return max(1.0, math.ceil((1.0 - bucket.tokens) / rate))
