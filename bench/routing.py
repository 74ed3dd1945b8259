"""Routing benchmark: accuracy of the complexity scorer on a hand-labelled set, and its cost.

    uv run python bench/routing.py [--errors train] [--rounds 20]

Reads ``bench/data/routing_set.jsonl`` (Anthropic request bodies labelled per
``bench/data/ROUTING_RUBRIC.md``), parses each with ``lynkr.wire.anthropic.parse_request``,
and reports per split (train / held-out test): accuracy, confusion matrix, share of traffic per
tier, under-routing (label higher than the tier chosen) in total and by two tiers or more, for
the scorer and for a length-only baseline whose bounds are fitted on train (so the baseline
gets the same chance to tune as the scorer). Weights were tuned on train only; the test split
is the honest number. Then decision latency p50/p99, with no graph and with a fake graph
signals function, token-count cache cleared before every decision (a cold, pessimistic
measure). Writes ``bench/results/routing.json``.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import json
import os
import statistics
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lynkr.config import RoutingSettings
from lynkr.model import Request
from lynkr.routing.scorer import Scorer, length_baseline
from lynkr.routing.weights import TIER_ORDER
from lynkr.tokens import count_tokens
from lynkr.wire.anthropic import parse_request

ROOT = Path(__file__).parent
DATA = ROOT / "data" / "routing_set.jsonl"
RESULTS = ROOT / "results" / "routing.json"
TARGET_ACCURACY = 0.90
TARGET_UNDER_BY_TWO = 0.02


@dataclass(frozen=True)
class Item:
    id: str
    split: str
    tier: str
    request: Request
    note: str


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
                          raw.get("note", "")))
    return items


def evaluate(labels: list[str], predicted: list[str]) -> dict[str, Any]:
    rank = {t: i for i, t in enumerate(TIER_ORDER)}
    n = len(labels)
    gaps = [rank[gold] - rank[got] for gold, got in zip(labels, predicted, strict=True)]
    confusion = {gold: {got: 0 for got in TIER_ORDER} for gold in TIER_ORDER}
    for gold, got in zip(labels, predicted, strict=True):
        confusion[gold][got] += 1
    share = Counter(predicted)
    return {
        "n": n,
        "accuracy": sum(g == 0 for g in gaps) / n,
        "under_routed": sum(g > 0 for g in gaps) / n,
        "under_routed_by_two_plus": sum(g >= 2 for g in gaps) / n,
        "over_routed": sum(g < 0 for g in gaps) / n,
        "traffic_share": {t: share[t] / n for t in TIER_ORDER},
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

    candidates = [b for b in itertools.combinations(grid, 3)]
    return max(candidates, key=quality)


def latency(scorer: Scorer, requests: list[Request], rounds: int) -> dict[str, float]:
    """Per-decision wall time; GC paused while timing (as timeit does) so collector pauses of
    the benchmark's own garbage are not charged to the scorer."""
    for request in requests:  # warm-up: first use loads the tokenizer and compiles patterns
        scorer.score(request)
    gc.collect()
    gc.disable()
    try:
        samples = _timed(scorer, requests, rounds)
    finally:
        gc.enable()
    samples.sort()
    return {"p50_ms": statistics.median(samples),
            "p99_ms": samples[min(len(samples) - 1, int(len(samples) * 0.99))],
            "max_ms": samples[-1], "n": len(samples)}


def _timed(scorer: Scorer, requests: list[Request], rounds: int) -> list[float]:
    samples = []
    for _ in range(rounds):
        for request in requests:
            count_tokens.cache_clear()
            start = time.perf_counter()
            scorer.score(request)
            samples.append((time.perf_counter() - start) * 1000)
    return samples


def print_metrics(title: str, metrics: dict[str, Any]) -> None:
    print(f"\n{title}  (n={metrics['n']})")
    print("  gold \\ got  " + "".join(f"{t:>11}" for t in TIER_ORDER))
    for gold in TIER_ORDER:
        row = metrics["confusion"][gold]
        print(f"  {gold:<11}" + "".join(f"{row[t]:>11}" for t in TIER_ORDER))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--errors", choices=("train", "test", "none"), default="none",
                        help="list misrouted items of this split (tune on train only)")
    parser.add_argument("--rounds", type=int, default=20, help="latency rounds over the set")
    args = parser.parse_args()

    items = load_items()
    scorer = Scorer(RoutingSettings())
    decisions = {i.id: scorer.score(i.request) for i in items}
    bounds = fit_length_bounds([i for i in items if i.split == "train"])
    report: dict[str, Any] = {"dataset": str(DATA.relative_to(ROOT.parent)), "n": len(items),
                              "tuned_on": "train split only", "length_baseline_bounds": bounds,
                              "splits": {}}
    rows = []
    for split in ("train", "test", "all"):
        chosen = [i for i in items if split in ("all", i.split)]
        labels = [i.tier for i in chosen]
        ours = evaluate(labels, [decisions[i.id].tier for i in chosen])
        base = evaluate(labels, [length_baseline(i.request, bounds) for i in chosen])
        report["splits"][split] = {"scorer": ours, "length_baseline": base}
        rows.append((split, "scorer", ours))
        rows.append((split, "length-only", base))

    print(f"routing set: {len(items)} requests; weights tuned on train only; "
          f"length baseline bounds fitted on train: {bounds}")
    header = (f"{'split':<6} {'router':<12} {'n':>4} {'accuracy':>9} {'under':>7} "
              f"{'under>=2':>9} {'over':>7}   share S/M/C/R")
    print("\n" + header + "\n" + "-" * len(header))
    for split, name, m in rows:
        share = "/".join(f"{m['traffic_share'][t]:.0%}" for t in TIER_ORDER)
        print(f"{split:<6} {name:<12} {m['n']:>4} {m['accuracy']:>9.1%} {m['under_routed']:>7.1%} "
              f"{m['under_routed_by_two_plus']:>9.1%} {m['over_routed']:>7.1%}   {share}")
    gold_share = Counter(i.tier for i in items)
    print("gold share (all): " + "/".join(f"{gold_share[t] / len(items):.0%}" for t in TIER_ORDER))
    print_metrics("scorer confusion, held-out test", report["splits"]["test"]["scorer"])
    print_metrics("length-only confusion, held-out test",
                  report["splits"]["test"]["length_baseline"])

    test = report["splits"]["test"]["scorer"]
    report["targets"] = {
        "accuracy_test": {"target": TARGET_ACCURACY, "actual": test["accuracy"],
                          "met": test["accuracy"] >= TARGET_ACCURACY},
        "under_by_two_test": {"target": TARGET_UNDER_BY_TWO,
                              "actual": test["under_routed_by_two_plus"],
                              "met": test["under_routed_by_two_plus"] <= TARGET_UNDER_BY_TWO},
    }

    requests = [i.request for i in items]
    lat = {"no_graph": latency(scorer, requests, args.rounds),
           "fake_graph": latency(Scorer(RoutingSettings(), graph_signals=fake_graph), requests,
                                 args.rounds)}
    report["latency"] = lat
    # p99 on a shared machine is mostly scheduler noise; record how busy the machine was.
    report["load_average_1m"] = os.getloadavg()[0]
    print(f"\ndecision latency (cold token cache; load average {os.getloadavg()[0]:.1f})")
    for name, m in lat.items():
        print(f"  {name:<11} p50 {m['p50_ms']:.3f} ms   p99 {m['p99_ms']:.3f} ms   "
              f"max {m['max_ms']:.3f} ms   (n={m['n']})")

    if args.errors != "none":
        print(f"\nmisrouted in {args.errors}:")
        for item in items:
            d = decisions[item.id]
            if item.split == args.errors and d.tier != item.tier:
                print(f"  {item.id:<13} gold {item.tier:<9} got {d.tier:<9} {item.note}\n"
                      f"      {d.reason[:300]}")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {RESULTS.relative_to(ROOT.parent)}")


if __name__ == "__main__":
    main()
