"""Routing benchmark: accuracy of the complexity scorer on a hand-labelled set, and its cost.

    uv run python bench/routing.py [--errors] [--rounds 20]     # develop: train split only
    uv run python bench/routing.py --report                     # held-out numbers (logged)

Reads ``bench/data/routing_set.jsonl`` (Anthropic request bodies labelled per
``bench/data/ROUTING_RUBRIC.md``) and parses each with ``lynkr.wire.anthropic.parse_request``.

Honesty rules (see the rubric's methodology section): features and weights are developed on the
train split only, so the default run never scores the test split at all and ``--errors`` lists
train misses only. ``--report`` scores the held-out split, prints per-tier precision/recall and
the confusion matrix, and writes ``bench/results/routing.json``; every report run is a look at
the test set and is recorded in the rubric's evaluation log. Held-out numbers are given for the
original test split (items without ``origin``), for the enlarged one (plus the items added
later, split by the same seeded stratified rule), and for each added batch alone (``origin``).

The default scorer (the learned stage when its coefficients file exists, see
``bench/fit_router.py``) is shown beside the hand-set path (thresholds and gate) and, with
``--compare FILE``, beside another learned-weights file (e.g. the previous round's, from
``git show REV:lynkr/routing/learned_weights.json``), scored in the same run so a round's
keep-or-revert rule compares like with like. Each split
reports accuracy, under-routing (label above the chosen tier) in total and by two
tiers or more, and a length-only baseline whose bounds are fitted on train (the same chance to
tune as the scorer). Then decision latency p50/p99 with no graph, a fake graph, and a real
graph built from a temporary copy of this repository's packages, token-count cache (and the
word-embedding stage's word-piece cache) cleared before every decision (a cold, pessimistic
measure).
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lynkr.config import RoutingSettings
from lynkr.model import Request
from lynkr.routing.learned import load_learned
from lynkr.routing.scorer import Scorer, length_baseline, make_graph_signals
from lynkr.routing.semantics import load_static_embeddings
from lynkr.routing.weights import TIER_ORDER
from lynkr.tokens import count_tokens
from lynkr.wire.anthropic import parse_request

ROOT = Path(__file__).parent
DATA = ROOT / "data" / "routing_set.jsonl"
RESULTS = ROOT / "results" / "routing.json"
TARGET_ACCURACY = 0.90
TARGET_UNDER_BY_TWO = 0.02
RULES = ("features and weights developed on train only; test items and their errors never "
         "inspected; each --report run is a look at test, logged in ROUTING_RUBRIC.md; labels "
         "fixed, new items labelled by the rubric before scoring")


@dataclass(frozen=True)
class Item:
    id: str
    split: str
    tier: str
    request: Request
    note: str
    origin: str  # "" for the original 214 items, else the batch that added the item


@dataclass(frozen=True)
class FakeSignals:
    files_found: int = 2
    max_cyclomatic: float = 14.0
    mean_cyclomatic: float = 6.0
    max_nesting: float = 4.0
    blast_radius: float = 12.0
    dependency_depth: float = 3.0
    centrality: float = 0.4


def fake_graph(files: list[str], symbols: list[str]) -> FakeSignals:
    """Stands in for ``CodeGraph.signals`` when timing the scorer's own graph handling."""
    return FakeSignals(files_found=len(files))


def load_items(path: Path = DATA) -> list[Item]:
    items = []
    for line in path.read_text(encoding="utf-8").splitlines():
        raw = json.loads(line)
        items.append(Item(raw["id"], raw["split"], raw["tier"], parse_request(raw["request"]),
                          raw.get("note", ""), raw.get("origin", "")))
    return items


def evaluate(labels: list[str], predicted: list[str]) -> dict[str, Any]:
    rank = {t: i for i, t in enumerate(TIER_ORDER)}
    n = len(labels)
    gaps = [rank[gold] - rank[got] for gold, got in zip(labels, predicted, strict=True)]
    confusion = {gold: {got: 0 for got in TIER_ORDER} for gold in TIER_ORDER}
    for gold, got in zip(labels, predicted, strict=True):
        confusion[gold][got] += 1
    share = Counter(predicted)
    per_tier = {}
    for tier in TIER_ORDER:
        hit = confusion[tier][tier]
        chosen = sum(confusion[g][tier] for g in TIER_ORDER)
        gold = sum(confusion[tier].values())
        per_tier[tier] = {"precision": hit / chosen if chosen else None,
                          "recall": hit / gold if gold else None, "support": gold}
    return {
        "n": n,
        "accuracy": sum(g == 0 for g in gaps) / n,
        "under_routed": sum(g > 0 for g in gaps) / n,
        "under_routed_by_two_plus": sum(g >= 2 for g in gaps) / n,
        "over_routed": sum(g < 0 for g in gaps) / n,
        "traffic_share": {t: share[t] / n for t in TIER_ORDER},
        "per_tier": per_tier,
        "confusion": confusion,
    }


def fit_length_bounds(items: list[Item]) -> tuple[int, int, int]:
    """Best length cut-offs on the given (train) items: accuracy, ties broken by less
    two-tier under-routing."""
    grid = [50, 100, 150, 200, 300, 400, 600, 800, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000]
    labels = [i.tier for i in items]

    def quality(bounds: tuple[int, int, int]) -> tuple[float, float]:
        metrics = evaluate(labels, [length_baseline(i.request, bounds) for i in items])
        return metrics["accuracy"], -metrics["under_routed_by_two_plus"]

    return max(itertools.combinations(grid, 3), key=quality)


def latency(scorer: Scorer, requests: list[Request], rounds: int) -> dict[str, float]:
    """Per-decision wall time; GC paused while timing (as timeit does) so collector pauses of
    the benchmark's own garbage are not charged to the scorer."""
    for request in requests:  # warm-up: first use loads the tokenizer and compiles patterns
        scorer.score(request)
    table = load_static_embeddings() if scorer.learned and scorer.learned.semantics else None
    gc.collect()
    gc.disable()
    try:
        samples = []
        for _ in range(rounds):
            for request in requests:
                count_tokens.cache_clear()
                if table is not None:
                    table.clear_cache()
                start = time.perf_counter()
                scorer.score(request)
                samples.append((time.perf_counter() - start) * 1000)
    finally:
        gc.enable()
    samples.sort()
    return {"p50_ms": statistics.median(samples),
            "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "max_ms": samples[-1], "n": len(samples)}


def real_graph_latency(requests: list[Request], rounds: int) -> dict[str, Any] | None:
    """Latency with a real code graph: this repository's packages copied to a temporary
    directory and indexed there (the checkout itself is left untouched)."""
    # Run as a script, bench/ is first on sys.path and bench/graph.py would shadow the package.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT.resolve()]
    sys.modules.pop("graph", None)
    try:
        from graph.build import build_graph
    except ImportError:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        for package in ("lynkr", "graph"):
            shutil.copytree(ROOT.parent / package, Path(tmp) / package,
                            ignore=shutil.ignore_patterns("__pycache__", "_vendor"))
        summary = build_graph(tmp, workers=1)
        signals = make_graph_signals(tmp)
        if signals is None:
            return None
        result: dict[str, Any] = latency(Scorer(RoutingSettings(), graph_signals=signals),
                                         requests, rounds)
        result["graph_files"] = summary.files
        return result


def print_metrics(title: str, metrics: dict[str, Any]) -> None:
    print(f"\n{title}  (n={metrics['n']}, accuracy {metrics['accuracy']:.1%})")
    print("  gold \\ got  " + "".join(f"{t:>11}" for t in TIER_ORDER)
          + "   precision  recall")
    for gold in TIER_ORDER:
        row = metrics["confusion"][gold]
        pr = metrics["per_tier"][gold]
        print(f"  {gold:<11}" + "".join(f"{row[t]:>11}" for t in TIER_ORDER)
              + f"   {_percent(pr['precision']):>9} {_percent(pr['recall']):>7}")


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def print_table(rows: list[tuple[str, str, dict[str, Any]]]) -> None:
    header = (f"{'split':<22} {'router':<12} {'n':>4} {'accuracy':>9} {'under':>7} "
              f"{'under>=2':>9} {'over':>7}   share S/M/C/R")
    print("\n" + header + "\n" + "-" * len(header))
    for split, name, m in rows:
        share = "/".join(f"{m['traffic_share'][t]:.0%}" for t in TIER_ORDER)
        print(f"{split:<22} {name:<12} {m['n']:>4} {m['accuracy']:>9.1%} "
              f"{m['under_routed']:>7.1%} {m['under_routed_by_two_plus']:>9.1%} "
              f"{m['over_routed']:>7.1%}   {share}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", action="store_true",
                        help="also score the held-out test split and write results (a logged look)")
    parser.add_argument("--errors", action="store_true", help="list misrouted train items")
    parser.add_argument("--rounds", type=int, default=20, help="latency rounds over the set")
    parser.add_argument("--compare", type=Path, metavar="FILE",
                        help="another learned-weights file to score beside the default")
    args = parser.parse_args()

    items = load_items()
    train = [i for i in items if i.split == "train"]
    # Without --report the test split is not even scored.
    scored = items if args.report else train
    scorer = Scorer(RoutingSettings())
    decisions = {i.id: scorer.score(i.request) for i in scored}
    # The hand-set path (thresholds and gate) side by side with the learned stage.
    hand = Scorer(RoutingSettings(), learned=None)
    hand_tiers = {i.id: hand.score(i.request).tier for i in scored}
    compared_tiers: dict[str, str] = {}
    if args.compare:
        compared = Scorer(RoutingSettings(), learned=load_learned(args.compare))
        compared_tiers = {i.id: compared.score(i.request).tier for i in scored}
    bounds = fit_length_bounds(train)
    splits: dict[str, list[Item]] = {
        "train_original": [i for i in train if not i.origin], "train": train}
    # Each added batch's train items alone: before a refit, the newest batch's row is its
    # first-contact number (phrasing the fitted model has not seen).
    splits |= {f"train_{origin}": [i for i in train if i.origin == origin]
               for origin in sorted({i.origin for i in train if i.origin})}
    if args.report:
        test = [i for i in items if i.split == "test"]
        splits |= {"test_original": [i for i in test if not i.origin], "test": test}
        # Each batch of added items alone: the latest batch is the freshest held-out check.
        splits |= {f"test_{origin}": [i for i in test if i.origin == origin]
                   for origin in sorted({i.origin for i in test if i.origin})}
    report: dict[str, Any] = {"dataset": str(DATA.relative_to(ROOT.parent)), "n": len(items),
                              "rules": RULES, "length_baseline_bounds": bounds, "splits": {}}
    rows = []
    for name, chosen in splits.items():
        labels = [i.tier for i in chosen]
        ours = evaluate(labels, [decisions[i.id].tier for i in chosen])
        base = evaluate(labels, [length_baseline(i.request, bounds) for i in chosen])
        hand_set = evaluate(labels, [hand_tiers[i.id] for i in chosen])
        report["splits"][name] = {"scorer": ours, "hand_set": hand_set, "length_baseline": base}
        rows.append((name, "scorer", ours))
        if compared_tiers:
            other = evaluate(labels, [compared_tiers[i.id] for i in chosen])
            report["splits"][name]["compared_model"] = other
            rows.append((name, "compared", other))
        rows += [(name, "hand-set", hand_set), (name, "length-only", base)]

    print(f"routing set: {len(items)} requests ({len(train)} train); rules: {RULES}")
    path = "learned stage (lynkr/routing/learned_weights.json)" if scorer.learned else "hand-set"
    report["scorer_path"] = path
    print(f"scorer path: {path}; 'hand-set' rows: thresholds and gate of routing/weights.py"
          + (f"; 'compared' rows: {args.compare}" if compared_tiers else ""))
    print(f"length baseline bounds fitted on train: {bounds}")
    print_table(rows)
    print_metrics("scorer, train", report["splits"]["train"]["scorer"])
    if args.report:
        for name in [n for n in splits if n.startswith("test")]:
            print_metrics(f"scorer, held-out {name}", report["splits"][name]["scorer"])
        print_metrics("length-only, held-out test", report["splits"]["test"]["length_baseline"])
        held = report["splits"]["test"]["scorer"]
        original = report["splits"]["test_original"]["scorer"]
        report["targets"] = {
            "accuracy_test_original": {"target": TARGET_ACCURACY,
                                       "actual": original["accuracy"],
                                       "met": original["accuracy"] >= TARGET_ACCURACY},
            "accuracy_test_enlarged": {"target": TARGET_ACCURACY, "actual": held["accuracy"],
                                       "met": held["accuracy"] >= TARGET_ACCURACY},
            "under_by_two_test_enlarged": {
                "target": TARGET_UNDER_BY_TWO, "actual": held["under_routed_by_two_plus"],
                "met": held["under_routed_by_two_plus"] <= TARGET_UNDER_BY_TWO},
        }

    if args.errors:
        print("\nmisrouted in train:")
        for item in train:
            d = decisions[item.id]
            if d.tier != item.tier:
                print(f"  {item.id:<16} gold {item.tier:<9} got {d.tier:<9} {item.note}\n"
                      f"      {d.reason[:300]}")

    requests = [i.request for i in items]
    lat = {"no_graph": latency(scorer, requests, args.rounds),
           "fake_graph": latency(Scorer(RoutingSettings(), graph_signals=fake_graph), requests,
                                 args.rounds)}
    real = real_graph_latency(requests, args.rounds)
    if real is not None:
        lat["real_graph"] = real
    report["latency"] = lat
    # p99 on a shared machine is mostly scheduler noise; record how busy the machine was.
    report["load_average_1m"] = os.getloadavg()[0]
    print(f"\ndecision latency (cold token cache; load average {os.getloadavg()[0]:.1f})")
    for name, m in lat.items():
        print(f"  {name:<11} p50 {m['p50_ms']:.3f} ms   p99 {m['p99_ms']:.3f} ms   "
              f"max {m['max_ms']:.3f} ms   (n={m['n']})")

    if args.report:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {RESULTS.relative_to(ROOT.parent)}; log this look in the rubric's "
              "evaluation log")


if __name__ == "__main__":
    main()
