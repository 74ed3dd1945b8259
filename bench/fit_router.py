"""Fit the tier router's learned second stage on the TRAIN split only.

    uv run python bench/fit_router.py                  # cross-validate and fit, write nothing
    uv run python bench/fit_router.py --out FILE       # ... and write the coefficients to FILE

Nothing is written unless ``--out`` says where, so a rerun never replaces the shipped model
(``lynkr/routing/learned_weights.json``) by accident: a candidate goes to a file of its own,
``bench/routing.py --compare FILE`` scores it beside the shipped one, and it ships only by
being written (or copied) over the shipped file after a logged look. Re-fitting is tuning: the
next ``--report`` is a new look.

A multinomial logistic regression (numpy, full-batch gradient descent with momentum, L2 on the
coefficients, not the intercepts) over the hand scorer's dimension values. Everything is chosen
by repeated stratified k-fold cross-validation on the train split: the L2 strength, the feature
set (dimension values alone; plus the hand-weighted ``score``; plus hashed word n-grams of the
task in 256 or 1024 buckets; plus the task's pooled static MiniLM word embedding, mean or
frequency-weighted, projected on 16 or 64 principal components or kept whole, with or without
the n-grams), whether the scorer's "MEDIUM with strong reasoning markers goes to COMPLEX" rule
stays on top, and the cost of a two-tier under-route in the decision (1 = likeliest tier; 2 or
4 = least expected cost). Two sets are printed but never chosen: the hand path's tier (its
thresholds were tuned on these same labels, so CV over-rates it) and the full MiniLM sentence
embedding of the first 64 or 128 tokens (one encoding costs milliseconds, over the router's
budget). Projections and centres are fitted inside each fold, on its training part only.

Choice: among settings whose CV two-tier under-routing meets the 2 % target, those within one
point of the best CV accuracy count as equally good, and of these the one with the smallest gap
between in-sample and CV accuracy wins (the one that memorises least). Each setting's
leave-one-batch-out accuracy (fit on the other batches of items, predict one ``origin``: new
phrasing, as the held-out split meets it) is printed beside it, not used to choose. Test items
are dropped as soon as the set is loaded. Deterministic: fixed seeds, zero initialisation, a
fixed number of steps (at the smallest L2 strengths the step budget, not L2, is what
regularises).

The CV numbers are optimistic: the dimension rules themselves were developed on this train
split, and random folds share each batch's phrasing. Only ``bench/routing.py --report`` (a
logged look) says how the stage does held-out.

The file written holds the coefficients and the CV numbers.
"""

from __future__ import annotations

import argparse
import functools
import itertools
import json
import multiprocessing
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from learned_fit import (  # noqa: E402  (bench/learned_fit.py, run as a script)
    FOLDS,
    HAND_TIER,
    REPEATS,
    FeatureSet,
    Rule,
    cross_validate,
    decide,
    fit_set,
    matrix,
    metrics,
    sentence_vectors,
    train_rows,
    with_ngrams,
    with_rule,
)

from lynkr.routing.learned import LEARNED_WEIGHTS_PATH  # noqa: E402
from lynkr.routing.ngrams import PREFIX as NGRAM_PREFIX  # noqa: E402
from lynkr.routing.semantics import POOLINGS, load_static_embeddings  # noqa: E402
from lynkr.routing.weights import TIER_ORDER  # noqa: E402

LAMBDAS = (0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01)
NGRAM_BUCKETS = (256, 1024)
# Principal components of the task embedding kept (0 = all 384 dimensions, no projection).
SEMANTIC_COMPONENTS = (16, 64, 0)
# Candidate B, the full MiniLM sentence encoder on the first N tokens: printed, never chosen,
# since one encoding costs several milliseconds against the router's 2 ms budget.
SENTENCE_TOKENS = (64, 128)
UNDER_TWO_TARGET = 0.02  # the bound on two-tier under-routing
# Settings within this much CV accuracy of the best count as equally good (about the CV
# estimate's own noise); among them the smallest in-sample minus CV gap wins.
NEAR_BEST = 0.01


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write the fitted coefficients to this file "
                        f"(the shipped model is {LEARNED_WEIGHTS_PATH.name})")
    parser.add_argument("--jobs", type=int, default=2, help="CV worker processes")
    parser.add_argument("--features", help="comma-separated feature-set names to try (default: "
                        "all; the whole grid takes about two hours on two cores)")
    parser.add_argument("--lambdas", help=f"comma-separated L2 strengths (default {LAMBDAS})")
    args = parser.parse_args()

    data = train_rows()
    rows, texts, labels = data.rows, data.texts, data.labels
    y = np.array(labels)
    dims = data.dimensions
    hand_acc, hand_under = metrics(labels, data.hand_tiers)
    print(f"train: {data.items} items, {data.items - len(rows)} forced (left out), "
          f"{len(rows)} fitted")
    print(f"hand scorer on these (in-sample, it was tuned on them): accuracy {hand_acc:.1%}, "
          f"under>=2 {hand_under:.1%}")

    table = load_static_embeddings()
    if table is None:
        raise SystemExit("the bundled MiniLM word-embedding table cannot be read")
    vectors: dict[str, np.ndarray] = {p: np.stack([table.vector(t, p) for t in texts])
                                      for p in POOLINGS}
    base = dims + ["score"]
    ngram_sets = {f"+ngrams{n}": (base + [f"{NGRAM_PREFIX}{i}" for i in range(n)], n)
                  for n in NGRAM_BUCKETS}
    # The hand tier's thresholds and gate were tuned to maximise accuracy on these very labels,
    # so CV cannot measure it: it is shown for information and never chosen.
    feature_sets: dict[str, FeatureSet] = {
        "dimensions": FeatureSet(dims), "dimensions+score": FeatureSet(base),
        "+hand tier": FeatureSet(base + HAND_TIER, unselectable="tuned on these labels"),
        **{name: FeatureSet(names, n) for name, (names, n) in ngram_sets.items()}}
    for pooling, k in itertools.product(POOLINGS, SEMANTIC_COMPONENTS):
        sem = f"+sem-{pooling}-{k or 'all'}"
        feature_sets[sem] = FeatureSet(base, semantic=pooling, components=k)
        for name, (names, n) in ngram_sets.items():
            feature_sets[sem + name] = FeatureSet(names, n, pooling, k)
    for n, k in itertools.product(SENTENCE_TOKENS, (64, 0)):
        feature_sets[f"+minilm{n}-{k or 'all'}"] = FeatureSet(
            base, semantic=f"minilm{n}", components=k, unselectable="over the latency budget")
    results: list[dict[str, Any]] = []
    print(f"\n{FOLDS}-fold x {REPEATS} stratified CV on train; 'train' is the same setting "
          "fitted on all of train, scored in-sample")
    print(f"{'features':<30} {'lambda':>8} {'rule':<6} {'cost':>5} {'accuracy':>9} "
          f"{'under>=2':>9} {'train':>7} {'gap':>6} {'batch':>6}")
    if args.features:
        wanted = args.features.split(",")
        if unknown := set(wanted) - set(feature_sets):
            raise SystemExit(f"unknown feature sets {sorted(unknown)}; known: {list(feature_sets)}")
        feature_sets = {name: feature_sets[name] for name in wanted}
    # The sentence encoder costs seconds over the set: only run it for a set that reads it.
    vectors |= {f"minilm{n}": sentence_vectors(texts, n) for n in SENTENCE_TOKENS
                if any(fs.semantic == f"minilm{n}" for fs in feature_sets.values())}
    lambdas = tuple(map(float, args.lambdas.split(","))) if args.lambdas else LAMBDAS
    jobs = list(itertools.product(feature_sets, lambdas))
    work = functools.partial(_cross_validate_job, rows, texts, y, np.array(data.batches),
                             feature_sets, vectors)
    # fork: the workers inherit the rows and vectors instead of pickling them per job
    with multiprocessing.get_context("fork").Pool(args.jobs) as pool:
        for (name, lam), scores in zip(jobs, pool.imap(work, jobs), strict=True):
            for (rule, cost), (acc, under, inside, batch) in scores.items():
                results.append({"features": name, "reasoning_rule": rule,
                                "under_two_cost": cost, "lambda": lam, "cv_accuracy": acc,
                                "cv_under_by_two": under, "train_accuracy": inside,
                                "batch_accuracy": batch})
                print(f"{name:<30} {lam:>8} {rule!s:<6} {cost:>5} {acc:>9.1%} {under:>9.1%} "
                      f"{inside:>7.1%} {inside - acc:>6.1%} {batch:>6.1%}", flush=True)
    best = choose([r for r in results if not feature_sets[r["features"]].unselectable],
                  feature_sets)
    print("\nchoice within each family (the same rule):")
    families = {"no embedding": lambda fs: not fs.semantic,
                "static embedding": lambda fs: fs.semantic in POOLINGS,
                "MiniLM sentence": lambda fs: fs.semantic.startswith("minilm")}
    for family, member in families.items():
        tried = [r for r in results if member(feature_sets[r["features"]])
                 and "hand" not in r["features"]]
        if not tried:
            continue
        family_best = choose(tried, feature_sets)
        print(f"  {family:<17} {family_best['features']:<30} CV {family_best['cv_accuracy']:.1%}"
              f"  under>=2 {family_best['cv_under_by_two']:.1%}"
              f"  train {family_best['train_accuracy']:.1%}"
              f"  batch {family_best['batch_accuracy']:.1%}")
    fs = feature_sets[best["features"]]
    fs_rows = with_ngrams(rows, texts, fs.buckets)
    model = with_rule(fit_set(matrix(fs_rows, fs.names), vectors.get(fs.semantic), fs,
                              np.arange(len(y)), y, best["lambda"]),
                      best["reasoning_rule"], best["under_two_cost"])
    fitted = [TIER_ORDER.index(decide(model, r, vectors[fs.semantic][i] if fs.semantic else None))
              for i, r in enumerate(fs_rows)]
    train_acc, train_under = metrics(labels, fitted)
    print(f"\nchosen: {best}\nrefit on all train: accuracy {train_acc:.1%} (in-sample), "
          f"under>=2 {train_under:.1%}")
    out = {
        "about": "fitted by bench/fit_router.py on the train split only; do not edit by hand",
        "lambda": best["lambda"], "reasoning_rule": best["reasoning_rule"],
        "ngram_buckets": fs.buckets, "under_two_cost": best["under_two_cost"],
        "cv": {"folds": FOLDS, "repeats": REPEATS, "accuracy": round(best["cv_accuracy"], 4),
               "under_by_two": round(best["cv_under_by_two"], 4)},
        "train_accuracy": round(train_acc, 4),
        "features": list(model.features),
        **({"semantics": {"pooling": model.semantics, "components": fs.components,
                          "center": list(model.semantic_center)}} if model.semantics else {}),
        "intercepts": dict(model.intercepts),
        "coefficients": {t: dict(model.coefficients[t]) for t in TIER_ORDER},
    }
    if args.out:
        args.out.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


def _cross_validate_job(rows: list[dict[str, float]], texts: list[str], y: np.ndarray,
                        batches: np.ndarray, feature_sets: dict[str, FeatureSet],
                        vectors: dict[str, np.ndarray], job: tuple[str, float]
                        ) -> dict[Rule, tuple[float, float, float, float]]:
    fs = feature_sets[job[0]]
    return cross_validate(with_ngrams(rows, texts, fs.buckets), y, fs, job[1],
                          vectors.get(fs.semantic), batches)


def choose(results: list[dict[str, Any]], feature_sets: dict[str, FeatureSet]) -> dict[str, Any]:
    """Among settings meeting the under-routing target (all settings if none does), those
    within ``NEAR_BEST`` of the best CV accuracy; of these the smallest in-sample minus CV gap
    (the setting that memorises least), then less under-routing, more L2, fewer inputs, the
    plainer decision rule."""
    safe = [r for r in results if r["cv_under_by_two"] <= UNDER_TWO_TARGET] or results
    top = max(r["cv_accuracy"] for r in safe)
    return min((r for r in safe if r["cv_accuracy"] >= top - NEAR_BEST - 1e-9),
               key=lambda r: (round(r["train_accuracy"] - r["cv_accuracy"], 4),
                              r["cv_under_by_two"], -r["lambda"],
                              feature_sets[r["features"]].size(), r["under_two_cost"]))


if __name__ == "__main__":
    main()
