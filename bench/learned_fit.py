"""The learned stage's fit and cross-validation on the train split: the numpy pieces that
``fit_router.py`` (the grid and its choice rule) and ``learners.py`` (other learners compared
on the same folds) share.

``train_rows`` drops test items as soon as the set is loaded. Everything is deterministic:
fixed seeds, zero initialisation, a fixed number of gradient steps.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from routing import load_items  # noqa: E402  (bench/routing.py, run as a script)

from lynkr.config import RoutingSettings  # noqa: E402
from lynkr.routing.features import extract_features  # noqa: E402
from lynkr.routing.learned import LearnedModel, parse_learned  # noqa: E402
from lynkr.routing.ngrams import hashed_ngrams, ngram_text  # noqa: E402
from lynkr.routing.scorer import Scorer, apply_overrides  # noqa: E402
from lynkr.routing.semantics import DIMENSIONS, POOLINGS, semantic_names  # noqa: E402
from lynkr.routing.weights import TIER_ORDER  # noqa: E402

# Cost of a two-tier under-route relative to any other miss (1 = plain likeliest tier).
UNDER_TWO_COSTS = (1.0, 2.0, 4.0)
FOLDS, REPEATS = 5, 4
STEPS, RATE, MOMENTUM = 3_000, 0.5, 0.9
# code_graph is always 0 in the labelled set (no workspace): nothing to learn from it.
UNLEARNABLE = frozenset({"code_graph"})
HAND_TIER = [f"hand_{t.lower()}" for t in TIER_ORDER[1:]]
Rule = tuple[bool, float]  # (reasoning raise on, two-tier under-route cost)
RULES = list(itertools.product((False, True), UNDER_TWO_COSTS))


@dataclass(frozen=True)
class TrainRows:
    """The train items that reach the learned stage, as the fit reads them."""

    rows: list[dict[str, float]]  # dimension values, "score", and the hand tier one-hot
    texts: list[str]  # what the n-grams and the embeddings read
    batches: list[str]  # each item's ``origin`` ("original" for the first 214)
    labels: list[int]  # gold tier indexes
    hand_tiers: list[int]  # the hand path's tier indexes
    items: int  # train items loaded, forced ones included

    @property
    def dimensions(self) -> list[str]:
        return [n for n in self.rows[0]
                if n != "score" and n not in UNLEARNABLE and n not in HAND_TIER]


def train_rows() -> TrainRows:
    """Score every train item with the hand path and keep those the learned stage would see
    (side requests and force patterns never reach it)."""
    train = [i for i in load_items() if i.split == "train"]
    hand = Scorer(RoutingSettings(), learned=None)
    out = TrainRows([], [], [], [], [], len(train))
    for item in train:
        decision = hand.score(item.request)
        if decision.forced:
            continue
        out.rows.append({d.name: d.value for d in decision.dimensions}
                        | {"score": decision.score}
                        | {f"hand_{t.lower()}": float(decision.tier == t) for t in TIER_ORDER[1:]})
        out.texts.append(ngram_text(extract_features(item.request)))
        out.batches.append(item.origin or "original")
        out.labels.append(TIER_ORDER.index(item.tier))
        out.hand_tiers.append(TIER_ORDER.index(decision.tier))
    return out


@dataclass(frozen=True)
class FeatureSet:
    names: list[str]  # inputs read from each row's dict (dimensions, score, n-gram buckets)
    buckets: int = 0  # n-gram buckets added to the rows
    semantic: str = ""  # which task vectors to add: a pooling of semantics.py, or "minilm<N>"
    components: int = 0  # principal components of those vectors kept (0: all)
    unselectable: str = ""  # why CV cannot choose it ("": it can)

    def size(self) -> int:
        return len(self.names) + (self.components or DIMENSIONS) * bool(self.semantic)


def fit(x: np.ndarray, y: np.ndarray, lam: float,
        classes: int = len(TIER_ORDER)) -> tuple[np.ndarray, np.ndarray]:
    """Coefficients (features x classes, the tiers unless told) and intercepts minimising mean
    cross-entropy + lam * |W|^2. A zero start keeps each row of coefficients centred (the
    softmax gradient sums to zero across classes), so a coefficient reads as a pull toward its
    tier versus the average."""
    n, k = x.shape[0], classes
    onehot = np.eye(k)[y]
    w, b = np.zeros((x.shape[1], k)), np.zeros(k)
    vw, vb = np.zeros_like(w), np.zeros_like(b)
    for _ in range(STEPS):
        logits = x @ w + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot) / n
        vw = MOMENTUM * vw - RATE * (x.T @ grad + 2 * lam * w)
        vb = MOMENTUM * vb - RATE * grad.sum(axis=0)
        w, b = w + vw, b + vb
    return w, b


def semantic_basis(v: np.ndarray, components: int) -> tuple[np.ndarray, np.ndarray]:
    """Centre and projection (384 x k) fitted on the rows ``v`` (never on held-out rows): the
    top principal components (every dimension when 0), scaled so that the average centred
    vector has length 1, as the n-gram vector has."""
    center = v.mean(axis=0)
    centred = v - center
    basis = (np.linalg.svd(centred, full_matrices=False)[2][:components].T if components
             else np.eye(v.shape[1]))
    scale = float(np.linalg.norm(centred @ basis, axis=1).mean())
    return center, basis / max(scale, 1e-12)


def fit_set(x: np.ndarray, vectors: np.ndarray | None, fs: FeatureSet, keep: np.ndarray,
            y: np.ndarray, lam: float) -> LearnedModel:
    """Fit on rows ``keep``; the embedding's projection is folded back into one coefficient
    per embedding dimension (applied to the vector minus its train mean), so the shipped model
    needs no projection matrix and is exactly the fitted one."""
    if vectors is None:
        w, b = fit(x[keep], y[keep], lam)
        return to_model(fs.names, w, b, buckets=fs.buckets)
    center, basis = semantic_basis(vectors[keep], fs.components)
    z = (vectors - center) @ basis
    w, b = fit(np.hstack([x, z])[keep], y[keep], lam)
    folded = np.vstack([w[:x.shape[1]], basis @ w[x.shape[1]:]])
    # a "minilm<N>" vector is handed to the model as is; the pooling named is a placeholder
    pooling = fs.semantic if fs.semantic in POOLINGS else POOLINGS[0]
    return to_model(fs.names + semantic_names(), folded, b, buckets=fs.buckets,
                    semantics=pooling, center=center)


def to_model(names: list[str], w: np.ndarray, b: np.ndarray, reasoning_rule: bool = False,
             buckets: int = 0, under_two_cost: float = 1.0, semantics: str = "",
             center: np.ndarray | None = None) -> LearnedModel:
    w = w - w.mean(axis=1, keepdims=True)
    b = b - b.mean()
    return parse_learned({
        "features": names, "reasoning_rule": reasoning_rule, "ngram_buckets": buckets,
        "under_two_cost": under_two_cost,
        **({"semantics": {"pooling": semantics, "center": [round(float(c), 7) for c in center]}}
           if semantics and center is not None else {}),
        "intercepts": {t: round(float(b[j]), 6) for j, t in enumerate(TIER_ORDER)},
        "coefficients": {t: {f: round(float(w[i, j]), 6) for i, f in enumerate(names)}
                         for j, t in enumerate(TIER_ORDER)}})


def with_rule(model: LearnedModel, reasoning_rule: bool, cost: float) -> LearnedModel:
    return replace(model, reasoning_rule=reasoning_rule, under_two_cost=cost)


def with_ngrams(rows: list[dict[str, float]], texts: list[str],
                buckets: int) -> list[dict[str, float]]:
    return rows if not buckets else [r | hashed_ngrams(t, buckets)
                                     for r, t in zip(rows, texts, strict=True)]


def decide(model: LearnedModel, values: dict[str, float], vector: np.ndarray | None) -> str:
    return apply_overrides(model.predict(values, vector), values,
                           reasoning_rule=model.reasoning_rule)[0]


def metrics(gold: list[int], got: list[int]) -> tuple[float, float]:
    gaps = [g - p for g, p in zip(gold, got, strict=True)]
    return (sum(g == 0 for g in gaps) / len(gaps), sum(g >= 2 for g in gaps) / len(gaps))


def folds(y: np.ndarray, seed: int) -> list[np.ndarray]:
    """Stratified: each tier's items shuffled with ``seed`` and dealt round-robin."""
    rng = np.random.default_rng(seed)
    assignment = np.zeros(len(y), dtype=int)
    for tier in range(len(TIER_ORDER)):
        idx = np.flatnonzero(y == tier)
        rng.shuffle(idx)
        assignment[idx] = np.arange(len(idx)) % FOLDS
    return [np.flatnonzero(assignment == f) for f in range(FOLDS)]


def matrix(rows: list[dict[str, float]], names: list[str]) -> np.ndarray:
    return np.array([[r.get(f, 0.0) for f in names] for r in rows])


def predictions(model: LearnedModel, rows: list[dict[str, float]],
                vectors: np.ndarray | None, which: np.ndarray) -> dict[Rule, list[int]]:
    """Each decision rule's tiers for rows ``which``: the rules only change how a fitted
    model decides, so one fit serves them all."""
    out: dict[Rule, list[int]] = {}
    for rule, cost in RULES:
        ruled = with_rule(model, rule, cost)
        out[(rule, cost)] = [TIER_ORDER.index(decide(ruled, rows[i], None if vectors is None
                                                     else vectors[i])) for i in which]
    return out


def cross_validate(rows: list[dict[str, float]], y: np.ndarray, fs: FeatureSet, lam: float,
                   vectors: np.ndarray | None, batches: np.ndarray
                   ) -> dict[Rule, tuple[float, float, float, float]]:
    """Per decision rule: CV accuracy, CV two-tier under-routing, in-sample accuracy of the
    same setting fitted on all rows (the gap between the two is how much it memorises), and
    leave-one-batch-out accuracy (each batch of items, ``origin``, predicted by a fit on the
    others: new phrasing, as a held-out batch meets it; reported, not used to choose)."""
    x = matrix(rows, fs.names)
    gold: list[int] = []
    got: dict[Rule, list[int]] = {r: [] for r in RULES}
    for seed in range(REPEATS):
        for held in folds(y, seed):
            keep = np.setdiff1d(np.arange(len(y)), held)
            fold = predictions(fit_set(x, vectors, fs, keep, y, lam), rows, vectors, held)
            gold += [int(y[i]) for i in held]
            for rule in RULES:
                got[rule] += fold[rule]
    everything = np.arange(len(y))
    inside = predictions(fit_set(x, vectors, fs, everything, y, lam), rows, vectors, everything)
    batch_gold: list[int] = []
    batch_got: dict[Rule, list[int]] = {r: [] for r in RULES}
    for batch in sorted(set(batches)):
        held, keep = np.flatnonzero(batches == batch), np.flatnonzero(batches != batch)
        fold = predictions(fit_set(x, vectors, fs, keep, y, lam), rows, vectors, held)
        batch_gold += [int(y[i]) for i in held]
        for rule in RULES:
            batch_got[rule] += fold[rule]
    return {r: (*metrics(gold, got[r]), metrics(list(y), inside[r])[0],
                metrics(batch_gold, batch_got[r])[0]) for r in RULES}


def sentence_encoder(max_tokens: int) -> Callable[[str], np.ndarray]:
    """The full MiniLM sentence embedding (the semantic cache's encoder) of a text's first
    ``max_tokens`` tokens, one text at a time, as a router would run it."""
    from tokenizers import Tokenizer

    from lynkr.embeddings import model_dir
    from lynkr.minilm import MiniLM, read_safetensors

    tokenizer = Tokenizer.from_file(str(model_dir() / "tokenizer.json"))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_tokens)
    bert = MiniLM(read_safetensors(model_dir() / "model.safetensors"))

    def encode(text: str) -> np.ndarray:
        ids = tokenizer.encode(text).ids
        return bert.forward(np.array([ids]), np.ones((1, len(ids)), np.float32))[0]

    return encode


def sentence_vectors(texts: list[str], max_tokens: int) -> np.ndarray:
    """Candidate B: :func:`sentence_encoder` over ``texts``."""
    encode = sentence_encoder(max_tokens)
    return np.stack([encode(t) for t in texts]).astype(np.float64)
