"""The learned second stage of the tier router: a multinomial logistic regression over the
scorer's dimension values, with coefficients fitted on the train split by ``bench/fit_router.py``.

Why linear: every tier's logit is ``intercept + sum(coefficient * value)``, so a decision still
explains itself dimension by dimension (the scorer reports each dimension's push toward the
chosen tier). The coefficients are centred across tiers (L2 makes the fitted ones so), which
means a positive coefficient pulls *toward* that tier relative to the average tier.

Inputs are the dimension values (0–1) plus ``score``, the hand-weighted sum, through which the
code-graph dimension (absent from the labelled set, so not learnable) still counts, and, when
the fit chose them, hashed word n-grams of the task (:mod:`lynkr.routing.ngrams`) and the
task's pooled static word embedding (:mod:`lynkr.routing.semantics`). The embedding's 384
coefficients per tier apply to the vector minus its train mean (``semantic_center``), so its
push is 0 for an average task and reads as "what this task is about pulls toward tier X";
they are evaluated with numpy, not per feature.

The coefficients live in ``learned_weights.json`` next to this module; a missing file means no
learned stage. The file is data written by the fit script, never edited by hand.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

import numpy as np

from lynkr.routing.semantics import DIMENSIONS, POOLINGS, is_semantic, semantic_names
from lynkr.routing.weights import TIER_ORDER, WeightsError

LEARNED_WEIGHTS_PATH = Path(__file__).with_name("learned_weights.json")


@dataclass(frozen=True, slots=True)
class LearnedModel:
    """Per-tier intercepts and per-feature coefficients (tier -> feature -> coefficient)."""

    features: tuple[str, ...]
    intercepts: Mapping[str, float]
    coefficients: Mapping[str, Mapping[str, float]]
    # Whether the scorer's "MEDIUM with strong reasoning markers -> COMPLEX" rule stays on top
    # (chosen by cross-validation like everything else).
    reasoning_rule: bool = True
    # Hashed word n-gram buckets among the inputs (0: none; see routing/ngrams.py).
    ngram_buckets: int = 0
    # Cost of sending a request two or more tiers below its label, relative to any other miss;
    # above 1 the decision minimises expected cost instead of taking the likeliest tier.
    under_two_cost: float = 1.0
    # Pooling of the static word embedding among the inputs ("" : none; see semantics.py) and
    # the train mean it is centred on.
    semantics: str = ""
    semantic_center: tuple[float, ...] = ()
    # numpy views derived in __post_init__: the coefficients' sem* rows (dimensions x tiers)
    # and the centre
    _semantic_matrix: np.ndarray = field(init=False, repr=False, compare=False)
    _center: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        names = [f for f in self.features if is_semantic(f)]
        matrix = np.array([[self.coefficients[t][f] for t in TIER_ORDER] for f in names])
        object.__setattr__(self, "_semantic_matrix", matrix.reshape(len(names), len(TIER_ORDER)))
        object.__setattr__(self, "_center", np.array(self.semantic_center))

    def semantic_push(self, vector: np.ndarray | None) -> dict[str, float]:
        """Each tier's push from the task's embedding (0 without semantics or without a
        vector: the average task)."""
        if not self.semantics or vector is None:
            return dict.fromkeys(TIER_ORDER, 0.0)
        push = (vector - self._center) @ self._semantic_matrix
        return {t: float(push[j]) for j, t in enumerate(TIER_ORDER)}

    def logits(self, values: Mapping[str, float],
               push: Mapping[str, float] | None = None) -> dict[str, float]:
        """Each tier's logit; features missing from ``values`` count as 0 (so only the inputs
        present are summed: a few dozen of the model's n-gram buckets, not all of them), plus
        the embedding's ``push`` per tier (:meth:`semantic_push`, taken once by the caller,
        which also reports it)."""
        row0 = self.coefficients[TIER_ORDER[0]]
        present = [(f, v) for f, v in values.items() if v and f in row0 and not is_semantic(f)]
        return {tier: self.intercepts[tier] + (push[tier] if push else 0.0)
                + sum(self.coefficients[tier][f] * v for f, v in present)
                for tier in TIER_ORDER}

    def probabilities(self, values: Mapping[str, float],
                      semantic: np.ndarray | None = None) -> dict[str, float]:
        return softmax(self.logits(values, self.semantic_push(semantic)))

    def predict(self, values: Mapping[str, float], semantic: np.ndarray | None = None) -> str:
        return self.choose(self.probabilities(values, semantic))

    def choose(self, probabilities: Mapping[str, float]) -> str:
        """The likeliest tier, or with ``under_two_cost`` above 1 the tier of least expected
        cost; ties go to the higher tier (under-routing costs more than over-routing)."""
        if self.under_two_cost == 1.0:
            return max(reversed(TIER_ORDER), key=lambda t: probabilities[t])
        return least_cost_tier(probabilities, self.under_two_cost)


def softmax(logits: Mapping[str, float]) -> dict[str, float]:
    top = max(logits.values())
    exp = {t: math.exp(v - top) for t, v in logits.items()}
    total = sum(exp.values())
    return {t: v / total for t, v in exp.items()}


def least_cost_tier(probabilities: Mapping[str, float], under_two_cost: float) -> str:
    """The tier minimising expected cost when every miss costs 1 except sending a request two
    or more tiers below its label, which costs ``under_two_cost``."""
    def cost(chosen: int) -> float:
        return sum(p * (0.0 if gold == chosen else under_two_cost if gold - chosen >= 2 else 1.0)
                   for gold, p in enumerate(probabilities[t] for t in TIER_ORDER))
    best = min(range(len(TIER_ORDER) - 1, -1, -1), key=cost)
    return TIER_ORDER[best]


def parse_learned(data: object, source: str = "learned weights") -> LearnedModel:
    """Build a model from the fit script's JSON; raise :class:`WeightsError` on any flaw."""
    if not isinstance(data, dict):
        raise WeightsError(f"{source}: expected a JSON object")
    features, intercepts, coefficients = (data.get(k) for k in
                                          ("features", "intercepts", "coefficients"))
    if not (isinstance(features, list) and all(isinstance(f, str) for f in features)):
        raise WeightsError(f"{source}: 'features' must be a list of names")
    if not isinstance(intercepts, dict) or set(intercepts) != set(TIER_ORDER):
        raise WeightsError(f"{source}: 'intercepts' must have one number per tier")
    if not isinstance(coefficients, dict) or set(coefficients) != set(TIER_ORDER):
        raise WeightsError(f"{source}: 'coefficients' must have one object per tier")
    table: dict[str, Mapping[str, float]] = {}
    for tier in TIER_ORDER:
        row = coefficients[tier]
        if not isinstance(row, dict) or set(row) != set(features):
            raise WeightsError(f"{source}: coefficients.{tier} must name every feature")
        table[tier] = MappingProxyType({f: _number(row[f], f"{source}: {tier}.{f}")
                                        for f in features})
    pooling, center = _semantics(data, [f for f in features if is_semantic(f)], source)
    return LearnedModel(tuple(features),
                        MappingProxyType({t: _number(intercepts[t], f"{source}: {t}")
                                          for t in TIER_ORDER}),
                        MappingProxyType(table), bool(data.get("reasoning_rule", True)),
                        int(_number(data.get("ngram_buckets", 0), f"{source}: ngram_buckets")),
                        _number(data.get("under_two_cost", 1.0), f"{source}: under_two_cost"),
                        pooling, center)


def _semantics(data: dict[str, object], names: list[str],
               source: str) -> tuple[str, tuple[float, ...]]:
    """The ``semantics`` entry ({"pooling", "center"}) checked against the sem* features: a
    model with either has both, and the centre has one number per embedding dimension."""
    spec = data.get("semantics")
    if spec is None:
        if names:
            raise WeightsError(f"{source}: sem* features without a 'semantics' entry")
        return "", ()
    if not isinstance(spec, dict) or spec.get("pooling") not in POOLINGS:
        raise WeightsError(f"{source}: 'semantics' needs a pooling, one of {POOLINGS}")
    center = spec.get("center")
    if not (isinstance(center, list) and len(center) == DIMENSIONS
            and names == semantic_names()):
        raise WeightsError(f"{source}: 'semantics.center' must have {DIMENSIONS} numbers and "
                           f"the features must name sem0..sem{DIMENSIONS - 1} in order")
    return str(spec["pooling"]), tuple(_number(c, f"{source}: semantics.center")
                                       for c in center)


def load_learned(path: Path = LEARNED_WEIGHTS_PATH) -> LearnedModel | None:
    """The model in ``path``, or None when the file does not exist (no learned stage)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    return parse_learned(json.loads(text), str(path))


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise WeightsError(f"{where}: expected a number, got {value!r}")
    return float(value)
