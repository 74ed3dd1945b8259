"""Would another learner carry the router to new writers better? A train-only comparison.

    uv run python bench/learners.py            # about 10 minutes on two cores

The shipped learned stage is a multinomial logistic regression over the dimension values, the
hand score, 1024 hashed n-grams and the frequency-pooled static word embedding (λ = 3e-3,
two-tier cost 2, reasoning raise off). Held-out batches from new writers score about 80 %
whatever data or rules were added, so this asks whether the *learner* is the limit:

- ``+minilm128``: the shipped inputs plus the full MiniLM sentence embedding of the first 128
  tokens (the semantic cache's encoder; its per-text cost is printed);
- ``ordinal``: proportional odds (one direction, three ordered cut points), since tiers are
  ordered;
- ``cuts``: threshold decomposition, one logistic regression per cut ("above SIMPLE", "above
  MEDIUM", "above COMPLEX"), P(tier) from their differences;
- ``cascade``: the shipped model decides when its top probability is at least 0.5, otherwise
  ``+minilm128`` does (the share of requests paying the encoder is printed).

Every learner sees the same splits and the shipped decision path: least expected cost with a
two-tier cost of 2 (:func:`lynkr.routing.learned.least_cost_tier`), then the user-hint floor
(:func:`lynkr.routing.scorer.apply_overrides`). Leave-one-batch-out (fit on the other
``origin`` batches, predict one) is the number that imitates a new writer; 5-fold stratified CV
(one repeat) and in-sample accuracy are printed beside it, and each learner's LOBO decisions
are paired with the shipped model's (items only one gets right, exact McNemar p). Train split
only: test items are dropped as the set loads.
"""

from __future__ import annotations

import multiprocessing
import statistics
import sys
import time
from collections.abc import Callable
from math import comb
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from learned_fit import (  # noqa: E402  (bench/learned_fit.py, run as a script)
    fit,
    folds,
    matrix,
    semantic_basis,
    sentence_encoder,
    train_rows,
    with_ngrams,
)

from lynkr.routing.learned import least_cost_tier  # noqa: E402
from lynkr.routing.ngrams import PREFIX as NGRAM_PREFIX  # noqa: E402
from lynkr.routing.scorer import apply_overrides  # noqa: E402
from lynkr.routing.semantics import load_static_embeddings  # noqa: E402
from lynkr.routing.weights import TIER_ORDER  # noqa: E402

SHIPPED_LAMBDA, UNDER_TWO_COST, CASCADE_AT, SENTENCE_TOKENS = 3e-3, 2.0, 0.5, 128
K = len(TIER_ORDER)
Split = tuple[str, np.ndarray, np.ndarray]  # (name, rows fitted, rows predicted)
Learner = Callable[[np.ndarray, np.ndarray, np.ndarray, float, np.ndarray], np.ndarray]


def design(x: np.ndarray, vectors: list[np.ndarray], keep: np.ndarray) -> np.ndarray:
    """``x`` plus each vector block centred and scaled on the fitted rows only (as the fit
    script does for the embedding)."""
    blocks = [x]
    for v in vectors:
        center, basis = semantic_basis(v[keep], 0)
        blocks.append((v - center) @ basis)
    return np.hstack(blocks)


def softmax(z: np.ndarray) -> np.ndarray:
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


def multinomial(z: np.ndarray, y: np.ndarray, keep: np.ndarray, lam: float,
                held: np.ndarray) -> np.ndarray:
    w, b = fit(z[keep], y[keep], lam)
    return softmax(z[held] @ w + b)


def cuts(z: np.ndarray, y: np.ndarray, keep: np.ndarray, lam: float,
         held: np.ndarray) -> np.ndarray:
    """P(tier > k) by one two-class fit per cut; P(tier = k) from differences (clipped at 0)."""
    above = [np.ones(len(held))]
    for k in range(K - 1):
        w, b = fit(z[keep], (y[keep] > k).astype(int), lam, classes=2)
        above.append(softmax(z[held] @ w + b)[:, 1])
    above.append(np.zeros(len(held)))
    a = np.column_stack(above)
    p = np.maximum(a[:, :-1] - a[:, 1:], 0.0)
    return p / np.maximum(p.sum(axis=1, keepdims=True), 1e-12)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * v))


def ordinal(z: np.ndarray, y: np.ndarray, keep: np.ndarray, lam: float,
            held: np.ndarray, steps: int = 3_000, rate: float = 0.5,
            momentum: float = 0.9) -> np.ndarray:
    """Proportional odds: P(tier <= k) = sigmoid(theta_k - z.w), the cut points kept ordered
    by writing them as theta_0 + cumulative exp; gradient descent with momentum on mean
    negative log-likelihood + lam |w|^2, from w = 0 and cut points at the class frequencies."""
    x, t = z[keep], y[keep]
    n = len(t)
    cum = np.cumsum(np.bincount(t, minlength=K))[:-1] / n
    start = np.log(cum / (1 - cum))
    params = [np.zeros(x.shape[1]), np.array([start[0]]), np.log(np.diff(start))]
    velocity = [np.zeros_like(p) for p in params]
    upper, lower = t < K - 1, t > 0
    for _ in range(steps):
        w, a, gaps = params
        theta = a[0] + np.concatenate([[0.0], np.cumsum(np.exp(gaps))])
        eta = x @ w
        hi = _sigmoid(np.where(upper, theta[np.minimum(t, K - 2)] - eta, np.inf))
        lo = _sigmoid(np.where(lower, theta[np.maximum(t - 1, 0)] - eta, -np.inf))
        p = np.maximum(hi - lo, 1e-12)
        d_hi, d_lo = hi * (1 - hi) / p, lo * (1 - lo) / p  # d log p / d(upper, lower cut)
        g_theta = np.zeros(K - 1)
        np.add.at(g_theta, np.minimum(t, K - 2)[upper], -d_hi[upper] / n)
        np.add.at(g_theta, np.maximum(t - 1, 0)[lower], d_lo[lower] / n)
        grads = [x.T @ ((d_hi - d_lo) / n) + 2 * lam * w, np.array([g_theta.sum()]),
                 np.exp(gaps) * np.cumsum(g_theta[::-1])[::-1][1:]]
        velocity = [momentum * v - rate * g for v, g in zip(velocity, grads, strict=True)]
        params = [p_ + v for p_, v in zip(params, velocity, strict=True)]
    w, a, gaps = params
    theta = a[0] + np.concatenate([[0.0], np.cumsum(np.exp(gaps))])
    c = _sigmoid(theta[None, :] - (z[held] @ w)[:, None])
    return np.diff(np.hstack([np.zeros((len(held), 1)), c, np.ones((len(held), 1))]), axis=1)


def splits(y: np.ndarray, batches: np.ndarray) -> list[Split]:
    everything = np.arange(len(y))
    out = [(f"cv{i}", np.setdiff1d(everything, held), held) for i, held in enumerate(folds(y, 0))]
    out += [(f"lobo {b}", np.flatnonzero(batches != b), np.flatnonzero(batches == b))
            for b in sorted(set(batches))]
    return [*out, ("inside", everything, everything)]


def decisions(probabilities: np.ndarray, rows: list[dict[str, float]],
              held: np.ndarray) -> np.ndarray:
    """The shipped decision path on each row's tier probabilities."""
    out = []
    for p, i in zip(probabilities, held, strict=True):
        tier = least_cost_tier(dict(zip(TIER_ORDER, p, strict=True)), UNDER_TWO_COST)
        out.append(TIER_ORDER.index(apply_overrides(tier, rows[i], reasoning_rule=False)[0]))
    return np.array(out)


def encode_all(texts: list[str]) -> tuple[np.ndarray, float]:
    """MiniLM sentence vectors of ``texts`` and the median cost of one, encoded alone."""
    encode = sentence_encoder(SENTENCE_TOKENS)
    vectors, costs = [], []
    for text in texts:
        start = time.perf_counter()
        vectors.append(encode(text))
        costs.append(time.perf_counter() - start)
    return np.stack(vectors).astype(np.float64), statistics.median(costs) * 1000


_JOB: dict[str, tuple[Learner, np.ndarray, list[np.ndarray], float]] = {}
_Y: np.ndarray = np.zeros(0, dtype=int)


def _run(job: tuple[str, Split]) -> np.ndarray:
    name, (_, keep, held) = job
    learner, x, vectors, lam = _JOB[name]
    return learner(design(x, vectors, keep), _Y, keep, lam, held)


def main() -> None:
    global _Y
    data = train_rows()
    rows, y, batches = data.rows, np.array(data.labels), np.array(data.batches)
    names = data.dimensions + ["score"] + [f"{NGRAM_PREFIX}{i}" for i in range(1024)]
    x = matrix(with_ngrams(rows, data.texts, 1024), names)
    table = load_static_embeddings()
    if table is None:
        raise SystemExit("the bundled MiniLM word-embedding table cannot be read")
    static = np.stack([table.vector(t, "frequency") for t in data.texts])
    sentence, cost = encode_all(data.texts)
    print(f"train: {len(rows)} items reach the learned stage, {len(set(batches))} batches; "
          f"MiniLM sentence encoder: median {cost:.1f} ms per text ({SENTENCE_TOKENS} tokens)")
    _JOB.update({
        "shipped": (multinomial, x, [static], SHIPPED_LAMBDA),
        "shipped, λ 1e-3": (multinomial, x, [static], 1e-3),
        "+minilm128": (multinomial, x, [static, sentence], SHIPPED_LAMBDA),
        "+minilm128, λ 1e-3": (multinomial, x, [static, sentence], 1e-3),
        "ordinal, λ 1e-3": (ordinal, x, [static], 1e-3),
        "cuts, λ 1e-3": (cuts, x, [static], 1e-3),
    })
    _Y = y
    plan = splits(y, batches)
    jobs = [(name, split) for name in _JOB for split in plan]
    with multiprocessing.get_context("fork").Pool(2) as pool:
        done = pool.map(_run, jobs)
    probs = {(name, split[0]): p for (name, split), p in zip(jobs, done, strict=True)}
    held = {name: h for name, _, h in plan}
    results = {name: {s: probs[(name, s)] for s, _, _ in plan} for name in _JOB}
    base = results["shipped"]
    results[f"cascade at {CASCADE_AT}"] = {
        s: np.where((p.max(axis=1) >= CASCADE_AT)[:, None], p, results["+minilm128"][s])
        for s, p in base.items()}
    encoder_share = float(np.mean(np.concatenate(
        [p.max(axis=1) < CASCADE_AT for s, p in base.items() if s.startswith("lobo")])))
    report(results, rows, y, held, encoder_share)


def report(results: dict[str, dict[str, np.ndarray]], rows: list[dict[str, float]],
           y: np.ndarray, held: dict[str, np.ndarray], encoder_share: float) -> None:
    def score(name: str, prefix: str) -> tuple[float, float, np.ndarray]:
        gold = np.concatenate([y[held[s]] for s in results[name] if s.startswith(prefix)])
        got = np.concatenate([decisions(p, rows, held[s]) for s, p in results[name].items()
                              if s.startswith(prefix)])
        return float(np.mean(gold == got)), float(np.mean(gold - got >= 2)), gold == got

    print(f"\n{'learner':<22} {'LOBO':>6} {'u>=2':>5} {'CV':>6} {'u>=2':>5} {'inside':>7} "
          f"{'LOBO vs shipped (+ only it right / - only shipped right)':>58}")
    _, _, shipped_right = score("shipped", "lobo")
    for name in results:
        lobo, lobo_under, right = score(name, "lobo")
        cv, cv_under, _ = score(name, "cv")
        inside, _, _ = score(name, "inside")
        win, lose = int(np.sum(right & ~shipped_right)), int(np.sum(shipped_right & ~right))
        paired = "" if name == "shipped" else f"+{win} -{lose}, McNemar p {mcnemar(win, lose):.3f}"
        print(f"{name:<22} {lobo:>6.1%} {lobo_under:>5.1%} {cv:>6.1%} {cv_under:>5.1%} "
              f"{inside:>7.1%} {paired:>58}")
    print(f"\ncascade: {encoder_share:.0%} of LOBO decisions pay the sentence encoder")


def mcnemar(win: int, lose: int) -> float:
    """Exact two-sided McNemar p-value for ``win`` against ``lose`` discordant pairs."""
    n = win + lose
    return min(1.0, 2 * sum(comb(n, i) for i in range(min(win, lose) + 1)) / 2 ** n) if n else 1.0


if __name__ == "__main__":
    main()
