"""Benchmark of long-term memory (a script; pytest never runs it).

    uv run python bench/memory.py

Sections, one function each, over ``bench/data/memory_set.jsonl``:

* ``extraction``: every ``fact`` row alone must be kept as itself; every ``message`` row
  (pasted errors, questions, task payloads, stories, change phrasings) must give exactly its
  labelled facts. Counts messages right, false facts stored and facts missed.
* ``supersession``: each ``change`` pair end to end in its own project of a real
  :class:`MemoryStore` (embedded Chroma): the earlier message's facts remembered, then the
  later one's; is the earlier fact retired as labelled?
* ``recall``: the ``fact`` rows remembered per project, recall@3 for the ``query`` rows (the
  same measure as ``bench/cache.py``).
* ``pinning``: each project's queries asked as the turns of one conversation; how many
  different memory blocks its requests carry when recall follows each newest prompt (as
  before) and with the block pinned per conversation (as now), and the time
  ``Components.memory_inject`` takes per turn.

Prints a table and writes ``bench/results/memory.json``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lynkr.components import Components  # noqa: E402
from lynkr.config import Settings  # noqa: E402
from lynkr.embeddings import Embedder, get_embedder  # noqa: E402
from lynkr.model import Message, Request, TextBlock  # noqa: E402
from lynkr.optimize.memory import MemoryStore, extract_facts  # noqa: E402
from lynkr.stores import open_store  # noqa: E402

DATA = ROOT / "bench" / "data" / "memory_set.jsonl"
RESULTS = ROOT / "bench" / "results" / "memory.json"


def rows(kind: str) -> list[dict[str, Any]]:
    return [r for r in map(json.loads, DATA.read_text().splitlines()) if r["type"] == kind]


def extraction() -> dict[str, Any]:
    cases = [(f["text"], [f["text"]]) for f in rows("fact")] + \
            [(m["text"], m["facts"]) for m in rows("message")]
    right, false_facts, missed, wrong = 0, 0, 0, []
    for text, expected in cases:
        got = extract_facts(text)
        right += got == expected
        false_facts += len([f for f in got if f not in expected])
        missed += len([f for f in expected if f not in got])
        if got != expected:
            wrong.append({"text": text, "got": got, "expected": expected})
    labelled_none = sum(not e for _, e in cases)
    return {"messages": len(cases), "right": right, "messages_without_facts": labelled_none,
            "false_facts": false_facts, "facts": sum(len(e) for _, e in cases),
            "missed_facts": missed, "wrong": wrong}


def supersession(memory: MemoryStore) -> dict[str, Any]:
    right, wrongly_retired, missed, wrong = 0, 0, 0, []
    pairs = rows("change")
    for pair in pairs:
        project = f"/bench/{pair['id']}"
        earlier = memory.remember(extract_facts(pair["earlier"]), project)
        memory.remember(extract_facts(pair["later"]), project)
        kept = {m.text for m in memory.list(project)}
        retired = bool(earlier) and not any(m.text in kept for m in earlier)
        right += retired == pair["replaces"]
        wrongly_retired += retired and not pair["replaces"]
        missed += pair["replaces"] and not retired
        if retired != pair["replaces"]:
            wrong.append(pair)
    return {"pairs": len(pairs), "right": right,
            "labelled_retire": sum(p["replaces"] for p in pairs),
            "wrongly_retired": wrongly_retired, "missed": missed, "wrong": wrong}


def recall(memory: MemoryStore, k: int = 3) -> dict[str, Any]:
    facts, queries = rows("fact"), rows("query")
    for fact in facts:
        memory.remember([fact["text"]], fact["project"])
    text_of = {f["id"]: f["text"] for f in facts}
    found = sum(text_of[q["expected"]] in [m.text for m in memory.recall(
        q["query"], q["project"], k=k, min_similarity=0.0)] for q in queries)
    return {"facts": len(facts), "queries": len(queries),
            f"recall_at_{k}": round(found / len(queries), 3)}


def pinning(memory: MemoryStore) -> dict[str, Any]:
    """Each project's queries as the turns of one conversation (facts from :func:`recall`)."""
    parts = Components(memory=memory)
    by_project: dict[str, list[str]] = {}
    for query in rows("query"):
        by_project.setdefault(query["project"], []).append(query["query"])
    result: dict[str, Any] = {"conversations": [], "turns": 0}
    first_ms: list[float] = []
    later_ms: list[float] = []
    following_ms: list[float] = []
    for project, prompts in by_project.items():
        system = [TextBlock(f"You are a coding agent.\n - Primary working directory: {project}")]
        messages: list[Message] = []
        followed, pinned = set(), set()
        for prompt in prompts:
            if messages:
                messages.append(Message("assistant", [TextBlock("Done.")]))
            messages.append(Message("user", [TextBlock(prompt)]))
            request = Request(model="m", system=system, messages=list(messages))
            started = time.perf_counter()
            sent = parts.memory_inject(request)
            (later_ms if len(messages) > 1 else first_ms).append(
                (time.perf_counter() - started) * 1000)
            pinned.add(sent.system[-1].text if len(sent.system) > 1 else "")
            started = time.perf_counter()
            recalled = memory.inject(request, memory.recall(prompt, project))
            following_ms.append((time.perf_counter() - started) * 1000)
            followed.add(recalled.system[-1].text if len(recalled.system) > 1 else "")
        result["conversations"].append({"project": project, "turns": len(prompts),
                                        "blocks_following_the_prompt": len(followed),
                                        "blocks_pinned": len(pinned)})
        result["turns"] += len(prompts)
    result["inject_ms_p50_first_turns"] = round(statistics.median(first_ms), 2)
    result["inject_ms_p50_later_turns"] = round(statistics.median(later_ms), 2)
    result["recall_per_prompt_ms_p50"] = round(statistics.median(following_ms), 2)
    return result


def print_table(result: dict[str, Any]) -> None:
    ext, sup, rec, pin = (result[k] for k in ("extraction", "supersession", "recall",
                                              "pinning"))
    print("\nmemory extraction (each message's facts exactly as labelled)")
    print(f"  messages right           {ext['right']}/{ext['messages']}")
    print(f"  false facts stored       {ext['false_facts']} "
          f"({ext['messages_without_facts']} messages hold none)")
    print(f"  facts missed             {ext['missed_facts']}/{ext['facts']}")
    for case in ext["wrong"]:
        print(f"    wrong: {case['text']!r} -> {case['got']}")
    print("\nsupersession end to end (earlier fact retired by the later message as labelled)")
    print(f"  pairs right              {sup['right']}/{sup['pairs']}")
    print(f"  wrongly retired          {sup['wrongly_retired']}/"
          f"{sup['pairs'] - sup['labelled_retire']}")
    print(f"  missed retirements       {sup['missed']}/{sup['labelled_retire']}")
    for case in sup["wrong"]:
        print(f"    wrong: {case['earlier']!r} -> {case['later']!r}")
    print(f"\nrecall: {rec['facts']} facts, {rec['queries']} queries, recall@3 "
          f"{rec['recall_at_3']:.3f}")
    print(f"\npinning: {pin['turns']} turns in {len(pin['conversations'])} conversations")
    print(f"  {'project':<28}{'turns':>6}{'blocks, recall per prompt':>28}{'pinned':>8}")
    for row in pin["conversations"]:
        print(f"  {row['project']:<28}{row['turns']:>6}"
              f"{row['blocks_following_the_prompt']:>28}{row['blocks_pinned']:>8}")
    print(f"  memory_inject p50: first turn {pin['inject_ms_p50_first_turns']:.2f} ms, "
          f"later turns {pin['inject_ms_p50_later_turns']:.2f} ms (recall per prompt "
          f"{pin['recall_per_prompt_ms_p50']:.2f} ms; question embeddings cached, as after "
          "the cache lookup)")


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="lynkr-bench-memory-") as data_dir:
        settings = Settings(data_dir=data_dir)
        embedder: Embedder = get_embedder(settings)
        embedder.embed(["warm up"])

        def fresh(namespace: str) -> MemoryStore:
            scoped = replace(settings, namespace=namespace)
            return MemoryStore(scoped, open_store(scoped, embedder), embedder)

        recalled = fresh("bench-recall")
        result = {
            "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                        "load_avg_at_start": list(os.getloadavg())},
            "extraction": extraction(),
            "supersession": supersession(fresh("bench-supersession")),
            "recall": recall(recalled),
            "pinning": pinning(recalled),
        }
    print_table(result)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
