"""Default weights and thresholds of the complexity scorer, and the optional JSON override.

The scorer adds ``weight * value`` over its dimensions (values 0–1) and cuts the sum into tiers
with three increasing thresholds. The numbers below were tuned on the *train* split of
``bench/data/routing_set.jsonl`` only; the test split is never looked at while tuning.

``ROUTING_WEIGHTS_FILE`` may point at a JSON object overriding any subset::

    {"weights": {"reasoning": 0.30, "domain_risk": 0.1},
     "thresholds": {"medium": 0.12, "complex": 0.3, "reasoning": 0.5},
     "reasoning_gate": 0.4, "affinity_margin": 0.08}

Unknown keys, non-numbers and non-increasing thresholds are errors: a typo in a tuning file
should stop the proxy at start-up, not silently route with the defaults.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from lynkr.config import ConfigError

TIER_ORDER: tuple[str, ...] = ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")

DEFAULT_DIMENSION_WEIGHTS: Mapping[str, float] = MappingProxyType({
    "task_tokens": 0.10,
    "conversation_depth": 0.04,
    "new_turn": 0.0,  # what it means depends on the session; only the learned stage weighs it
    "code_present": 0.06,
    "codegen_intent": 0.25,
    "multi_step": 0.20,
    "scope": 0.20,
    "change_request": 0.08,
    "reasoning": 0.30,
    "analysis_depth": 0.18,
    "domain_risk": 0.25,
    "ambiguity": 0.06,
    "tool_danger": 0.02,
    "agentic": 0.20,
    "prior_tool_use": 0.06,
    "files": 0.08,
    "code_graph": 0.30,
    "user_hint": 0.30,
    # Negative on purpose: "quick question", "just tell me" pull the score down.
    "brevity_hint": -0.12,
    "mechanical": -0.15,
    "specified_edit": -0.20,
    "visible_failure": -0.06,
})


class WeightsError(ConfigError):
    """The routing weights file is unreadable or invalid; the message says which key."""


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Lower score bounds of MEDIUM, COMPLEX and REASONING (SIMPLE starts at 0)."""

    medium: float = 0.12
    complex: float = 0.26
    reasoning: float = 0.28

    def lower_bound(self, tier: str) -> float:
        """The score at which ``tier`` starts, used by affinity to measure a downgrade."""
        return {"SIMPLE": 0.0, "MEDIUM": self.medium, "COMPLEX": self.complex,
                "REASONING": self.reasoning}[tier]


@dataclass(frozen=True, slots=True)
class Weights:
    dimensions: Mapping[str, float] = field(default_factory=lambda: DEFAULT_DIMENSION_WEIGHTS)
    thresholds: Thresholds = field(default_factory=Thresholds)
    # REASONING needs more than a high score: a reasoning marker or a "think hard" hint at least
    # this strong; a big but mechanical task stays COMPLEX.
    reasoning_gate: float = 0.3
    # A conversation only moves down a tier when its score falls this far below the tier's bound.
    affinity_margin: float = 0.08


DEFAULT_WEIGHTS = Weights()


def parse_weights(data: object, source: str = "routing weights") -> Weights:
    """Overlay a decoded JSON object on the defaults; raise :class:`WeightsError` on any flaw."""
    if not isinstance(data, dict):
        raise WeightsError(f"{source}: expected a JSON object, got {type(data).__name__}")
    unknown = set(data) - {"weights", "thresholds", "reasoning_gate", "affinity_margin"}
    if unknown:
        raise WeightsError(f"{source}: unknown key(s) {', '.join(sorted(unknown))}")
    weights = DEFAULT_WEIGHTS
    if "weights" in data:
        dims = _number_map(data["weights"], f"{source}: weights", set(DEFAULT_DIMENSION_WEIGHTS))
        merged = MappingProxyType({**DEFAULT_DIMENSION_WEIGHTS, **dims})
        weights = replace(weights, dimensions=merged)
    if "thresholds" in data:
        bounds = _number_map(data["thresholds"], f"{source}: thresholds",
                             {"medium", "complex", "reasoning"})
        thresholds = replace(weights.thresholds, **bounds)
        if not 0.0 < thresholds.medium < thresholds.complex < thresholds.reasoning <= 1.0:
            raise WeightsError(f"{source}: thresholds must satisfy 0 < medium < complex < "
                               f"reasoning <= 1, got {thresholds}")
        weights = replace(weights, thresholds=thresholds)
    for key in ("reasoning_gate", "affinity_margin"):
        if key in data:
            value = _number(data[key], f"{source}: {key}")
            if not 0.0 <= value <= 1.0:
                raise WeightsError(f"{source}: {key} must be within [0, 1], got {value}")
            weights = replace(weights, **{key: value})
    return weights


def load_weights(path: str | Path | None) -> Weights:
    """The defaults when ``path`` is empty, else the file's overrides on top of them."""
    if not path:
        return DEFAULT_WEIGHTS
    try:
        text = Path(path).expanduser().read_text(encoding="utf-8")
    except OSError as exc:
        raise WeightsError(f"ROUTING_WEIGHTS_FILE={path}: cannot read ({exc.strerror})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise WeightsError(f"ROUTING_WEIGHTS_FILE={path}: invalid JSON at line {exc.lineno} "
                           f"column {exc.colno}: {exc.msg}") from None
    return parse_weights(data, f"ROUTING_WEIGHTS_FILE={path}")


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WeightsError(f"{where}: expected a number, got {value!r}")
    return float(value)


def _number_map(value: object, where: str, allowed: set[str]) -> dict[str, float]:
    if not isinstance(value, dict):
        raise WeightsError(f"{where}: expected an object of numbers")
    unknown = set(value) - allowed
    if unknown:
        raise WeightsError(f"{where}: unknown name(s) {', '.join(sorted(unknown))}; "
                           f"known: {', '.join(sorted(allowed))}")
    return {k: _number(v, f"{where}.{k}") for k, v in value.items()}
