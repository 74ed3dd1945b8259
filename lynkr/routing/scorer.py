"""The complexity scorer: a request in, a tier (SIMPLE < MEDIUM < COMPLEX < REASONING) out.

Pure and cheap by construction: it looks only at the task (the newest user text), a bounded
window of recent turns and the tool list (see :mod:`lynkr.routing.features`), runs
precompiled patterns over bounded text (see :mod:`lynkr.routing.dimensions`), adds
``weight * value`` per dimension and cuts the sum with the thresholds of
:mod:`lynkr.routing.weights`. On top of the score, in this order:

1. Claude Code side requests (titles, summaries, quota probes, haiku calls) → SIMPLE, forced.
2. ``force_reasoning`` patterns → REASONING, ``force_local`` patterns → SIMPLE, forced
   (reasoning wins when both match: sending a hard task low costs more than the reverse).
3. REASONING needs a reasoning marker or a think-hard hint (``reasoning_gate``); without one a
   high score is COMPLEX. "ultrathink"/"think harder" floor the tier at REASONING, "think
   hard" at COMPLEX; a MEDIUM with strong reasoning markers (``reasoning`` ≥ 0.4) is raised to
   COMPLEX, since a reasoning task sent two tiers low is the costly mistake.

Which path decides the tier (step 3's thresholds are the *hand-set* path): when
``lynkr/routing/learned_weights.json`` exists (written by ``bench/fit_router.py`` from the train
split) and no ``ROUTING_WEIGHTS_FILE`` is set, a multinomial logistic regression over the
dimension values (plus hashed word n-grams and the pooled static word embedding of the task, if
the fit chose them) picks the tier instead of the thresholds and gate (see
:mod:`lynkr.routing.learned`); a model that needs the embedding table when it cannot be read
falls back to the hand-set path, with a warning logged once. Steps 1–2, the hint
floors and (if the fit chose it) the reasoning-marker raise still apply on top, and a firing
code graph (which the labelled set cannot teach) can raise the tier to the hand-set path's. A
``ROUTING_WEIGHTS_FILE`` means an operator tuned the hand weights, so the hand-set path is used.
Either way ``dimensions`` carry the hand weights and ``score`` is their sum (affinity compares
it with the thresholds); on the learned path ``Decision.learned`` adds each input's push toward
the chosen tier.

The only I/O-ish input is the optional code-graph callable, which maps mentioned files and
symbols to AST complexity and blast radius; it can only raise the score.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from lynkr.config import ConfigError, RoutingSettings
from lynkr.model import Request, TextBlock, ToolResultBlock
from lynkr.routing import dimensions as dims
from lynkr.routing.features import HISTORY, Features, extract_features
from lynkr.routing.learned import LearnedModel, load_learned, softmax
from lynkr.routing.ngrams import hashed_ngrams, ngram_text
from lynkr.routing.patterns import clamp as _clamp
from lynkr.routing.semantics import StaticEmbeddings, load_static_embeddings
from lynkr.routing.side_requests import detect_side_request
from lynkr.routing.weights import TIER_ORDER, Weights, load_weights


class GraphSignals(Protocol):
    """What ``graph.query.CodeGraph.signals`` returns (duck-typed; graph is imported lazily)."""

    files_found: int
    max_cyclomatic: float
    mean_cyclomatic: float
    max_nesting: float
    blast_radius: float
    dependency_depth: float
    centrality: float


GraphSignalsFn = Callable[[list[str], list[str]], GraphSignals | None]

LEARNED: LearnedModel | None = load_learned()
_DEFAULT = object()  # "learned stage unless a weights file is set" / "the bundled table"


@dataclass(frozen=True)
class Dimension:
    name: str
    value: float
    weight: float
    contribution: float
    reason: str


@dataclass(frozen=True)
class Decision:
    tier: str  # "SIMPLE" | "MEDIUM" | "COMPLEX" | "REASONING"
    score: float
    dimensions: tuple[Dimension, ...]
    reason: str
    forced: bool
    # On the learned path: each input's push toward the chosen tier (weight = its coefficient
    # for that tier, contribution = value * weight), the hand score included; else empty.
    learned: tuple[Dimension, ...] = ()


class Scorer:
    """Scores requests with the weights of ``routing.weights_file`` (or the defaults)."""

    def __init__(self, routing: RoutingSettings, graph_signals: GraphSignalsFn | None = None,
                 weights: Weights | None = None,
                 learned: LearnedModel | None | object = _DEFAULT,
                 embeddings: StaticEmbeddings | None | object = _DEFAULT) -> None:
        self._weights = weights if weights is not None else load_weights(routing.weights_file)
        if learned is _DEFAULT:
            learned = None if (routing.weights_file or weights is not None) else LEARNED
        self._learned = learned if isinstance(learned, LearnedModel) else None
        # The word-embedding table for a learned model with semantics (None: unavailable);
        # by default the bundled one, loaded on first use.
        self._embeddings = embeddings
        self._graph_signals = graph_signals
        self._force_local = _compile_all(routing.force_local, "ROUTING_FORCE_LOCAL")
        self._force_reasoning = _compile_all(routing.force_reasoning, "ROUTING_FORCE_REASONING")

    def warm_up(self) -> None:
        """Load what the first decision would otherwise load now: the word-embedding table
        (about a quarter of a second) and the stored code graph (about 0.1 s for 60 K lines,
        the better part of a second for a stdlib-sized repository). Blocking, so call it where
        startup may block; a graph that is missing or unreadable is left for later."""
        if self._learned is not None and self._learned.semantics:
            self._table()
        if self._graph_signals is not None:
            try:
                self._graph_signals([], [])
            except Exception:  # noqa: BLE001 - the first decision reports a broken graph
                pass

    @property
    def weights(self) -> Weights:
        return self._weights

    @property
    def learned(self) -> LearnedModel | None:
        """The learned stage in use, or None on the hand-set path."""
        return self._learned

    def score(self, request: Request) -> Decision:
        """Decide the tier of ``request``; never raises on any well-typed request."""
        side = detect_side_request(request)
        if side is not None:
            return Decision("SIMPLE", 0.0, (), f"side request: {side}", True)
        features = extract_features(request)
        dimensions = self._dimensions(features)
        score = _clamp(sum(d.contribution for d in dimensions))
        for patterns, tier in ((self._force_reasoning, "REASONING"), (self._force_local, "SIMPLE")):
            hit = next((p.pattern for p in patterns if p.search(features.task)), None)
            if hit is not None:
                return Decision(tier, score, dimensions, f"forced {tier} by pattern {hit!r}", True)
        values = {d.name: d.value for d in dimensions}
        model = self._learned
        table = self._table() if model is not None and model.semantics else None
        if model is not None and (table is not None or not model.semantics):
            return self._learned_decision(score, values, dimensions, features, table)
        fallback = ("" if model is None else
                    " (hand-set path: the learned stage's word embeddings are unavailable)")
        tier, why = self._tier(score, values)
        top = sorted((d for d in dimensions if d.contribution > 0),
                     key=lambda d: -d.contribution)[:3]
        drivers = "; ".join(f"{d.name} +{d.contribution:.2f} ({d.reason})" for d in top)
        return Decision(tier, score, dimensions,
                        f"{tier} at {score:.2f}{why}{fallback}: {drivers}", False)

    def _table(self) -> StaticEmbeddings | None:
        if self._embeddings is _DEFAULT:
            return load_static_embeddings()
        return self._embeddings if isinstance(self._embeddings, StaticEmbeddings) else None

    def _learned_decision(self, score: float, values: dict[str, float],
                          dimensions: tuple[Dimension, ...], f: Features,
                          table: StaticEmbeddings | None) -> Decision:
        model = self._learned
        assert model is not None
        values["score"] = score
        text = ngram_text(f)
        words = hashed_ngrams(text, model.ngram_buckets)
        inputs = values | words
        vector = table.vector(text, model.semantics) if table is not None else None
        semantic = model.semantic_push(vector)
        probabilities = softmax(model.logits(inputs, semantic))
        tier, why = apply_overrides(model.choose(probabilities), values,
                                    reasoning_rule=model.reasoning_rule)
        if values.get("code_graph", 0.0) > 0.0:
            # The labelled set has no code graph to learn from, so the graph keeps its hand-set
            # effect: it can raise the tier to what the hand path gives, never lower it.
            hand, _ = self._tier(score, values)
            if TIER_ORDER.index(hand) > TIER_ORDER.index(tier):
                tier, why = hand, ", raised by the code graph (hand-set path)"
        row = model.coefficients[tier]
        toward = tuple(_dimension(d.name, d.value, row.get(d.name, 0.0), d.reason)
                       for d in dimensions) + (
            _dimension("score", score, row.get("score", 0.0), "hand-weighted sum"),)
        if words:
            # The n-grams' summed push, reported as one input (value 1, weight = the sum).
            push = sum(row.get(g, 0.0) * w for g, w in words.items())
            toward += (Dimension("word_ngrams", 1.0, push, push,
                                 f"{len(words)} hashed word n-grams"),)
        if vector is not None:
            # The embedding's push (versus the average train task), reported as one input.
            toward += (Dimension("semantics", 1.0, semantic[tier], semantic[tier],
                                 f"task's word embeddings, {model.semantics} pooling"),)
        top = sorted((d for d in toward if d.contribution > 0), key=lambda d: -d.contribution)[:3]
        drivers = "; ".join(f"{d.name} +{d.contribution:.2f} ({d.reason})" for d in top)
        odds = "/".join(f"{probabilities[t]:.2f}" for t in TIER_ORDER)
        return Decision(tier, score, dimensions,
                        f"{tier} by learned stage (p S/M/C/R {odds}, score {score:.2f}){why}: "
                        f"{drivers}", False, toward)

    def _dimensions(self, f: Features) -> tuple[Dimension, ...]:
        weights = self._weights.dimensions
        earlier = replace(f, task=f.earlier) if f.earlier else None
        out: list[Dimension] = []
        for name, rule in dims.RULES.items():
            value, reason = rule(f)
            if earlier is not None and name in dims.TEXT_RULES:
                # A follow-up ("yes, do it") inherits part of the task it follows.
                before, before_reason = rule(earlier)
                if 0.5 * before > value:
                    value, reason = 0.5 * before, f"earlier turn: {before_reason}"
            out.append(_dimension(name, value, weights.get(name, 0.0), reason))
        value, reason = self._graph_dimension(f)
        out.append(_dimension("code_graph", value, weights.get("code_graph", 0.0), reason))
        return tuple(out)

    def _graph_dimension(self, f: Features) -> tuple[float, str]:
        if self._graph_signals is None:
            return 0.0, "no code graph"
        if not (f.files or f.symbols):
            return 0.0, "no files or symbols mentioned"
        try:
            signals = self._graph_signals(list(f.files), list(f.symbols))
        except Exception as exc:  # noqa: BLE001 - a broken graph must not break routing
            return 0.0, f"code graph lookup failed ({type(exc).__name__})"
        if signals is None or not signals.files_found:
            return 0.0, "mentioned code not in graph"
        # Each signal counts only above what ordinary code shows (a 3-branch function, two
        # importers): calm code must not lift a one-spot edit out of SIMPLE.
        parts = {
            "cyclomatic": _clamp((signals.max_cyclomatic - 5) / 15),
            "nesting": _clamp((signals.max_nesting - 2) / 4),
            "blast radius": _clamp((signals.blast_radius - 2) / 20),
            "dependency depth": _clamp((signals.dependency_depth - 2) / 6),
            "centrality": _clamp((signals.centrality - 0.05) / 0.45),
        }
        value = 0.6 * max(parts.values()) + 0.4 * sum(parts.values()) / len(parts)
        return _clamp(value), ("graph: " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items()))

    def _tier(self, score: float, values: dict[str, float]) -> tuple[str, str]:
        t = self._weights.thresholds
        hint = values.get("user_hint", 0.0)
        if score >= t.reasoning:
            gated = max(values.get("reasoning", 0.0), hint) >= self._weights.reasoning_gate
            tier, why = ("REASONING", "") if gated else ("COMPLEX", ", no reasoning marker")
        else:
            tier = "COMPLEX" if score >= t.complex else "MEDIUM" if score >= t.medium else "SIMPLE"
            why = ""
        raised, raised_why = apply_overrides(tier, values)
        return (raised, raised_why) if raised != tier else (tier, why)


def apply_overrides(tier: str, values: dict[str, float], *, reasoning_rule: bool = True
                    ) -> tuple[str, str]:
    """Raise ``tier`` to the user-hint floor ("ultrathink" → REASONING, "think hard" →
    COMPLEX) and, with ``reasoning_rule``, a MEDIUM with strong reasoning markers to COMPLEX;
    the reason suffix says which raised it."""
    hint = values.get("user_hint", 0.0)
    floor = "REASONING" if hint >= 1.0 else "COMPLEX" if hint >= 0.7 else "SIMPLE"
    if TIER_ORDER.index(floor) > TIER_ORDER.index(tier):
        return floor, ", raised by user hint"
    if reasoning_rule and tier == "MEDIUM" and values.get("reasoning", 0.0) >= 0.4:
        # Sending a reasoning task two tiers low is the costly mistake (rubric).
        return "COMPLEX", ", raised by reasoning markers"
    return tier, ""


def make_graph_signals(workspace: str) -> GraphSignalsFn | None:
    """The code graph's signal function for ``workspace``; None only when the ``graph``
    package itself is missing.

    The stored graph is looked up on every call (``load_graph`` caches it and re-reads only
    when the store file changes), so a graph built or rebuilt after start-up is used without a
    restart; until one exists the function answers None and the dimension stays 0."""
    try:
        from graph.query import load_graph  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None

    def signals(files: list[str], symbols: list[str]) -> GraphSignals | None:
        graph = load_graph(workspace)
        return None if graph is None else graph.signals(files, symbols)

    return signals


# Length-only baseline for the benchmark: message tokens (chars / 4) cut at these bounds.
LENGTH_BOUNDS: tuple[int, int, int] = (150, 600, 2_500)


def length_baseline(request: Request, bounds: tuple[int, int, int] = LENGTH_BOUNDS) -> str:
    """The tier a router that only looks at how long the conversation is would pick."""
    chars = 0
    for message in request.messages[-HISTORY:]:
        for block in message.content:
            if isinstance(block, TextBlock):
                chars += len(block.text)
            elif isinstance(block, ToolResultBlock):
                chars += sum(len(b.text) for b in block.content if isinstance(b, TextBlock))
    tokens = chars // 4
    for tier, bound in zip(TIER_ORDER, bounds, strict=False):
        if tokens < bound:
            return tier
    return TIER_ORDER[-1]


# --- helpers --------------------------------------------------------------------------------


def _dimension(name: str, value: float, weight: float, reason: str) -> Dimension:
    value = _clamp(value)
    return Dimension(name, value, weight, value * weight, reason)


def _compile_all(patterns: tuple[str, ...], variable: str) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for pattern in patterns:
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(f"{variable}: invalid regex {pattern!r}: {exc}") from None
    return tuple(compiled)
