"""Running tally of routing decisions, for ``GET /routing/stats``."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from lynkr.routing.scorer import Decision


@dataclass
class RoutingStats:
    decisions: Counter[str] = field(default_factory=Counter)
    forced: int = 0
    score_sum: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, decision: Decision) -> None:
        with self._lock:
            self.decisions[decision.tier] += 1
            self.forced += decision.forced
            self.score_sum += decision.score

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            total = sum(self.decisions.values())
            return {"decisions": total,
                    "by_tier": {t: self.decisions.get(t, 0)
                                for t in ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")},
                    "forced": self.forced,
                    "mean_score": round(self.score_sum / total, 4) if total else None}
