"""What happened to one request, gathered as it goes through the pipeline: the request log
line, the metrics, the dashboard's stats and the ``x-lynkr-*`` response headers all read it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field


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
    cache_kind: str | None = None  # how a hit matched: "exact" or "semantic"
    similarity: float | None = None
    tokens_in: int | None = None
    tokens_out: int | None = None
    saved_by: dict[str, int] = field(default_factory=dict)
    status: int = 200
    error: str | None = None
    attempts: list[str] = field(default_factory=list)
    # When optimizing ended and routing began; upstream_seconds is measured from there.
    routed_at: float | None = None
    upstream_seconds: float | None = None
    # Proxy-internal facts about the request, kept here so they never reach an upstream.
    response_id: str | None = None
    conversation: str | None = None
    offered_tools: frozenset[str] | None = None
    # The memories the request was given, which the cache keys its answer on.
    memory_version: str | None = None
    # Thinking blocks the upstream dropped as bound to another conversation (preserved
    # thinking's prefix check), as its input_transformations reported.
    thinking_dropped: int = 0

    @property
    def tokens_saved(self) -> int:
        return sum(self.saved_by.values())

    def headers(self) -> dict[str, str]:
        headers = {"x-lynkr-cache": self.cache, "x-lynkr-tokens-saved": str(self.tokens_saved)}
        for name, value in (("x-lynkr-tier", self.tier), ("x-lynkr-provider", self.provider),
                            ("x-lynkr-model", self.model), ("x-lynkr-tokens-in", self.tokens_in)):
            if value is not None:
                headers[name] = str(value)
        if self.score is not None:
            headers["x-lynkr-score"] = f"{self.score:.3f}"
        if self.cache_kind is not None:
            headers["x-lynkr-cache-kind"] = self.cache_kind
        if self.similarity is not None:
            headers["x-lynkr-cache-similarity"] = f"{self.similarity:.4f}"
        if self.thinking_dropped:
            headers["x-lynkr-thinking-dropped"] = str(self.thinking_dropped)
        return headers
