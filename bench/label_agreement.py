"""How reliable the routing set's labels are: stored tier vs a blind relabel.

    uv run python bench/label_agreement.py

Reads ``bench/data/routing_set.jsonl`` and ``bench/data/routing_relabel.json`` (the frozen
``{id: tier}`` labels of two blind relabels of 120 items each; procedures in
``bench/data/ROUTING_RUBRIC.md``, "Label agreement") and prints, per study and per batch
theme, raw agreement, Cohen's κ and disagreements of two tiers or more, then the confusion
matrix. Agreement bounds what any router can score against these labels, which is why the
README quotes it beside the router's held-out accuracy.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

DATA = Path(__file__).parent / "data"
TIERS = ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")
FIRST_STUDY = ("", "issue-8", "round3")  # origins of the batches study 1 sampled


def kappa(pairs: list[tuple[str, str]]) -> float:
    """Cohen's κ: agreement beyond what the two label distributions give by chance."""
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    left, right = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    chance = sum(left[t] * right[t] for t in TIERS) / n / n
    return 1.0 if chance == 1 else (observed - chance) / (1 - chance)


THEMES = {"languages": "other languages", "sessions": "long sessions",
          "mixed": "mixed English (round 8)"}  # origin word -> theme of a later batch


def theme(origin: str) -> str:
    if origin in FIRST_STUDY:
        return "first three batches"
    return next((name for word, name in THEMES.items() if word in origin), "English, rounds 4-6")


def row(name: str, pairs: list[tuple[str, str]]) -> str:
    agree = sum(a == b for a, b in pairs)
    far = sum(abs(TIERS.index(a) - TIERS.index(b)) >= 2 for a, b in pairs)
    return (f"{name:<34} {len(pairs):>4} {agree:>6} {agree / len(pairs):>7.1%} "
            f"{kappa(pairs):>7.3f} {far:>9}")


def main() -> None:
    items = {r["id"]: r for r in map(json.loads, (DATA / "routing_set.jsonl").open())}
    relabel: dict[str, str] = json.loads((DATA / "routing_relabel.json").read_text())
    pairs = {i: (items[i]["tier"], tier) for i, tier in relabel.items()}
    groups: dict[str, list[tuple[str, str]]] = {"all": list(pairs.values())}
    for i, pair in pairs.items():
        origin = items[i].get("origin", "")
        study = "study 1" if origin in FIRST_STUDY else "study 2"
        for key in (study, f"{study}: {items[i]['split']}", f"theme: {theme(origin)}"):
            groups.setdefault(key, []).append(pair)
    print(f"{'subset':<34} {'n':>4} {'agree':>6} {'raw':>7} {'kappa':>7} {'off by 2+':>9}")
    for name in sorted(groups, key=lambda g: (g != "all", g)):
        print(row(name, groups[name]))
    print("\nconfusion (rows stored, columns relabel):")
    for stored in TIERS:
        counts = Counter(b for a, b in pairs.values() if a == stored)
        print(f"  {stored:<10}" + "".join(f"{counts[t]:>6}" for t in TIERS))


if __name__ == "__main__":
    main()
