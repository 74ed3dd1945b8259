"""Benchmark of the semantic cache and long-term memory (a script; pytest never runs it).

    uv run python bench/cache.py [--entries 2000] [--rounds 300] [--sections quality ...]

Sections, one function each (an HTTP end-to-end section can be added next to them):

* ``latency``: in-process ``SemanticCache.lookup()`` p50/p99 over a cache of N entries, for an
  exact hit (read from Chroma by key; there is no in-process answer cache), the same seen from
  another replica (whose in-memory index lacks the key), a semantic hit found in the store's
  in-memory index, a semantic hit seen from a replica sharing a Chroma server (found by the
  Chroma vector query), a miss on the embedded store (embedding + in-memory search) and the
  same miss on a shared store (+ the Chroma vector query). Every semantic and miss lookup
  embeds its query (no embedding LRU).
* ``quality``: the labelled pairs of ``bench/data/cache_pairs.jsonl``. The threshold is tuned
  on the TRAIN split only (lowest threshold with zero false hits, maximising paraphrase
  recall); both splits are then scored with the real SemanticCache at the configured default
  and at the tuned threshold. Each pair lives in its own context (distinct system prompt), so
  pairs cannot serve each other.
* ``http``: end to end over loopback, the way a client sees it: lynkr started as a
  subprocess in front of a fake upstream, an answer cached once, then timed requests that
  hit: exact repeats and distinct paraphrases, non-streaming and streaming.
* ``memory``: remember the facts of ``bench/data/memory_set.jsonl``, then recall@3 and recall
  latency for its queries, plus how many facts the extraction heuristics recognise.

Prints a table and writes ``bench/results/cache.json`` (only when every section ran, so a
partial run never leaves half a result file).

Splits of ``cache_pairs.jsonl``: within each category, rows alternate train / test in the order
they were written (the first row of a category added in a batch goes to train). Rows are
appended, never relabelled or moved between splits.
"""

from __future__ import annotations

import argparse
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lynkr.config import Settings  # noqa: E402
from lynkr.embeddings import Embedder, LocalEmbedder, get_embedder  # noqa: E402
from lynkr.model import Message, Request, Response, TextBlock  # noqa: E402
from lynkr.optimize.cache_keys import question_tags, tags_agree  # noqa: E402
from lynkr.optimize.memory import MemoryStore, classify_fact  # noqa: E402
from lynkr.optimize.semantic_cache import SemanticCache  # noqa: E402
from lynkr.stores import open_store  # noqa: E402

DATA = ROOT / "bench" / "data"
RESULTS = ROOT / "bench" / "results" / "cache.json"
SECTIONS = ("latency", "quality", "http", "memory")


def ask(question: str, system: str = "You are a coding assistant.") -> Request:
    return Request(model="claude-sonnet-4-5", system=[TextBlock(system)],
                   messages=[Message("user", [TextBlock(question)])])


def reply(text: str) -> Response:
    return Response(id="msg_bench", model="claude-sonnet-4-5", content=[TextBlock(text)])


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    ordered = sorted(samples_ms)
    return {"p50_ms": round(statistics.median(ordered), 3),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))], 3),
            "n": len(ordered)}


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


# --- (a) lookup latency ---------------------------------------------------------------------


def latency(settings: Settings, embedder: Embedder, entries: int, rounds: int) -> dict[str, Any]:
    """lookup() latency over a cache holding ``entries`` answers in one context."""
    pairs = load_jsonl(DATA / "cache_pairs.jsonl")
    paraphrases = [p for p in pairs if p["should_hit"]]
    subjects = ["a list", "a dict", "a string", "a file", "a socket", "a thread", "a queue",
                "a tree", "a matrix", "a date", "a regex", "a JSON blob", "a CSV", "a cookie"]
    verbs = ["parse", "validate", "serialize", "cache", "compress", "hash", "log", "mock",
             "benchmark", "document", "refactor", "type-check", "paginate", "stream"]
    langs = ["Python", "Go", "Rust", "TypeScript", "Java", "Kotlin", "C#", "Ruby", "PHP",
             "Swift", "Elixir", "Scala"]
    filler = [f"How do I {v} {s} in {lang}?" for v in verbs for s in subjects for lang in langs]
    store = open_store(settings, embedder)
    # The cache's embedder keeps no LRU: a repeated query text must cost its embedding, as a
    # new paraphrase does in production.
    uncached = LocalEmbedder(lru_size=0)
    cache = SemanticCache(settings, store, uncached)
    cache.index_loaded(timeout=60)
    # A replica sharing a Chroma server keeps its own index and must ask Chroma for entries
    # others stored: the same collection opened as a shared store shows that path.
    shared_store = open_store(settings, embedder)
    shared_store.shared = True
    questions = [p["cached"] for p in paraphrases] + filler[:max(0, entries - len(paraphrases))]
    started = time.perf_counter()
    for question in questions:
        cache.store(ask(question), reply(f"answer to: {question}"))
    store_ms = (time.perf_counter() - started) * 1000 / len(questions)

    def measure(make: Any, requests: list[Request], fresh_cache: bool = False) -> dict[str, Any]:
        samples, hits = [], 0
        for i in range(rounds):
            target = SemanticCache(settings, shared_store, uncached) if fresh_cache else cache
            request = requests[i % len(requests)]
            t0 = time.perf_counter()
            hit = make(target, request)
            samples.append((time.perf_counter() - t0) * 1000)
            hits += hit is not None
        return {**percentiles(samples), "hit_rate": round(hits / rounds, 3)}

    exact = [ask(p["cached"]) for p in paraphrases]
    semantic = [ask(p["query"]) for p in paraphrases]
    misses = [ask(f"How do I {v} {s} in Haskell, version {i}?")
              for i, (v, s) in enumerate((v, s) for v in verbs for s in subjects)]
    embed_samples = []
    for i in range(rounds):
        t0 = time.perf_counter()
        embedder.embed([f"How would I write a unit test for function number {i}?"])
        embed_samples.append((time.perf_counter() - t0) * 1000)
    return {
        "entries": store.call("cache", "count", lambda c: c.count()),
        "store_ms_mean": round(store_ms, 3),
        "embed_one_query": percentiles(embed_samples),
        "exact_hit": measure(lambda c, r: c.lookup(r), exact),
        "exact_hit_other_replica": measure(lambda c, r: c.lookup(r), exact, fresh_cache=True),
        "semantic_hit": measure(lambda c, r: c.lookup(r), semantic),
        "semantic_hit_other_replica": measure(lambda c, r: c.lookup(r), semantic,
                                              fresh_cache=True),
        "miss": measure(lambda c, r: c.lookup(r), misses),
        "miss_shared_store": measure(lambda c, r: c.lookup(r), misses, fresh_cache=True),
    }


# --- (b) quality on labelled pairs ---------------------------------------------------------


def pair_scores(embedder: Embedder, pairs: list[dict[str, Any]]) -> list[tuple[float, bool]]:
    """(cosine similarity, salient tokens agree) per pair: enough to sweep thresholds."""
    cached = embedder.embed([p["cached"] for p in pairs])
    queries = embedder.embed([p["query"] for p in pairs])
    sims = np.sum(cached * queries, axis=1)
    return [(float(s), tags_agree(question_tags(p["cached"]), question_tags(p["query"])))
            for s, p in zip(sims, pairs, strict=True)]


def tune_threshold(pairs: list[dict[str, Any]], scores: list[tuple[float, bool]]) -> dict[str, Any]:
    """Lowest threshold with zero false hits on these pairs (highest paraphrase recall)."""
    sweep = []
    for threshold in np.round(np.arange(0.70, 0.991, 0.01), 2):
        false_hits = sum(1 for p, (s, ok) in zip(pairs, scores, strict=True)
                         if not p["should_hit"] and s >= threshold and ok)
        recall = (sum(1 for p, (s, ok) in zip(pairs, scores, strict=True)
                      if p["should_hit"] and s >= threshold and ok)
                  / max(1, sum(p["should_hit"] for p in pairs)))
        sweep.append({"threshold": float(threshold), "false_hits": false_hits,
                      "paraphrase_recall": round(recall, 3)})
    safe = [row for row in sweep if row["false_hits"] == 0]
    best = max(safe, key=lambda r: (r["paraphrase_recall"], r["threshold"])) if safe else sweep[-1]
    # Among thresholds with that recall, take the highest: the widest margin from misses.
    best = max((r for r in safe if r["paraphrase_recall"] == best["paraphrase_recall"]),
               key=lambda r: r["threshold"], default=best)
    return {"chosen": best["threshold"], "sweep": sweep}


def score_with_cache(settings: Settings, embedder: Embedder, pairs: list[dict[str, Any]],
                     threshold: float) -> dict[str, Any]:
    """Store each pair's question, look the query up through the real SemanticCache."""
    tuned = replace(settings, cache=replace(settings.cache, threshold=threshold),
                    namespace=f"bench-quality-{threshold:.2f}")
    cache = SemanticCache(tuned, open_store(tuned, embedder), embedder)
    cache.clear()
    by_category: dict[str, dict[str, int]] = {}
    false_hit_examples = []
    for i, pair in enumerate(pairs):
        system = f"pair {i}"
        cache.store(ask(pair["cached"], system), reply(pair["cached"]))
        hit = cache.lookup(ask(pair["query"], system))
        row = by_category.setdefault(pair["category"], {"pairs": 0, "hits": 0})
        row["pairs"] += 1
        row["hits"] += hit is not None
        if hit is not None and not pair["should_hit"]:
            false_hit_examples.append({**pair, "similarity": round(hit.similarity, 4)})
    paraphrases = by_category.get("paraphrase", {"pairs": 0, "hits": 0})
    false_hits = sum(v["hits"] for k, v in by_category.items() if k != "paraphrase")
    return {
        "threshold": threshold,
        "pairs": len(pairs),
        "false_hits": false_hits,
        "paraphrase_recall": round(paraphrases["hits"] / max(1, paraphrases["pairs"]), 3),
        "by_category": by_category,
        "false_hit_examples": false_hit_examples,
    }


def quality(settings: Settings, embedder: Embedder) -> dict[str, Any]:
    pairs = load_jsonl(DATA / "cache_pairs.jsonl")
    train = [p for p in pairs if p["split"] == "train"]
    test = [p for p in pairs if p["split"] == "test"]
    tuning = tune_threshold(train, pair_scores(embedder, train))
    no_guard = {}
    for name, subset in (("train", train), ("test", test)):
        scores = pair_scores(embedder, subset)
        t = settings.cache.threshold
        no_guard[name] = sum(1 for p, (s, _) in zip(subset, scores, strict=True)
                             if not p["should_hit"] and s >= t)
    return {
        "tuning_on_train": tuning,
        "false_hits_without_guard_at_default": no_guard,
        "default": {name: score_with_cache(settings, embedder, subset, settings.cache.threshold)
                    for name, subset in (("train", train), ("test", test))},
        "tuned": {name: score_with_cache(settings, embedder, subset, tuning["chosen"])
                  for name, subset in (("train", train), ("test", test))},
    }


# --- (c) memory retrieval ------------------------------------------------------------------


def memory(settings: Settings, embedder: Embedder, k: int = 3) -> dict[str, Any]:
    rows = load_jsonl(DATA / "memory_set.jsonl")
    facts = [r for r in rows if r["type"] == "fact"]
    queries = [r for r in rows if r["type"] == "query"]
    scoped = replace(settings, namespace="bench-memory")
    store = open_store(scoped, embedder)
    memories = MemoryStore(scoped, store, embedder)
    memories.clear()
    text_of = {f["id"]: f["text"] for f in facts}
    started = time.perf_counter()
    for fact in facts:
        memories.remember([fact["text"]], fact["project"])
    remember_ms = (time.perf_counter() - started) * 1000 / len(facts)
    found, samples = 0, []
    misses = []
    for query in queries:
        t0 = time.perf_counter()
        recalled = memories.recall(query["query"], query["project"], k=k, min_similarity=0.0)
        samples.append((time.perf_counter() - t0) * 1000)
        if text_of[query["expected"]] in [m.text for m in recalled]:
            found += 1
        else:
            misses.append(query["query"])
    return {
        "facts": len(facts),
        "stored": len(memories.list(limit=1000)),
        "extractor_recognises": sum(classify_fact(f["text"]) is not None for f in facts),
        "queries": len(queries),
        f"recall_at_{k}": round(found / len(queries), 3),
        "recall_latency": percentiles(samples),
        "remember_ms_mean": round(remember_ms, 3),
        "missed_queries": misses,
    }


# --- report -------------------------------------------------------------------------------


PARAPHRASE_STEMS = [
    "How do I squash my last three git commits into one?",
    "how can I squash the last three git commits into a single one",
    "What's the way to squash my last three git commits into one commit?",
    "squash the last three git commits into one - how?",
    "How would I combine my last three git commits into one?",
]
# Each mode gets its own wordings, so no timed query is already in the embedder's LRU.
PARAPHRASE_PREFIXES = {False: ["", "hey, ", "quick one: ", "hi, ", "ok so ", "help: "],
                       True: ["please tell me: ", "so, ", "question: ", "hello, ", "well, ",
                              "quick question: "]}
PARAPHRASE_SUFFIXES = ["", " thanks", " cheers", " please", " thank you"]


def http_hits(rounds: int) -> dict[str, Any]:
    """Cache hits as a client sees them: request sent -> response complete, over HTTP."""
    import asyncio
    import multiprocessing

    import httpx

    from bench.loopback import run_upstream
    from bench.overhead import free_port, start_lynkr

    upstream_port = free_port()
    upstream = multiprocessing.Process(target=run_upstream, args=(upstream_port,), daemon=True)
    upstream.start()
    variants = {stream: [p + stem + s for stem in PARAPHRASE_STEMS for p in prefixes
                         for s in PARAPHRASE_SUFFIXES if p + stem + s != PARAPHRASE_STEMS[0]]
                for stream, prefixes in PARAPHRASE_PREFIXES.items()}
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="lynkr-bench-http-") as tmp:
        workdir = Path(tmp)
        (workdir / "lynkr.env").write_text("")
        proc, port = start_lynkr(upstream_port, workdir, cache=True)
        url = f"http://127.0.0.1:{port}/v1/messages"

        def body(question: str, stream: bool) -> dict[str, Any]:
            return {"model": "claude-sonnet-4-6", "max_tokens": 64, "stream": stream,
                    "messages": [{"role": "user", "content": question}]}

        async def run() -> None:
            async with httpx.AsyncClient(timeout=30) as client:
                first = await client.post(url, json=body(PARAPHRASE_STEMS[0], False))
                assert first.headers["x-lynkr-cache"] == "miss", first.headers
                await asyncio.sleep(1.0)  # answers are stored in the background
                for stream in (False, True):
                    mode = "streaming" if stream else "non_streaming"
                    for kind, questions in (("exact", [PARAPHRASE_STEMS[0]] * rounds),
                                            ("semantic", variants[stream])):
                        samples, hits = [], 0
                        for question in questions:
                            started = time.perf_counter()
                            response = await client.post(url, json=body(question, stream))
                            await response.aread()
                            samples.append((time.perf_counter() - started) * 1000)
                            hits += response.headers.get("x-lynkr-cache") == "hit"
                        result[f"{kind}_{mode}"] = {**percentiles(samples),
                                                    "hit_rate": hits / len(questions),
                                                    "n": len(questions)}

        try:
            asyncio.run(run())
        finally:
            proc.terminate()
            upstream.terminate()
    return result


def print_table(result: dict[str, Any]) -> None:
    if "latency" in result:
        print_latency(result["latency"])
    if "http" in result:
        print_http(result["http"])
    if "quality" in result:
        print_quality(result["quality"])
    if "memory" in result:
        mem = result["memory"]
        print(f"\nmemory: {mem['facts']} facts, {mem['queries']} queries, recall@3 "
              f"{mem['recall_at_3']:.3f}, recall p50 {mem['recall_latency']['p50_ms']:.2f} ms "
              f"p99 {mem['recall_latency']['p99_ms']:.2f} ms, extractor recognises "
              f"{mem['extractor_recognises']}/{mem['facts']} facts")


def print_latency(lat: dict[str, Any]) -> None:
    print(f"\nsemantic cache lookup() in-process, {lat['entries']} entries")
    print(f"  {'case':<28}{'p50 ms':>9}{'p99 ms':>9}{'hit rate':>10}")
    for case in ("exact_hit", "exact_hit_other_replica", "semantic_hit",
                 "semantic_hit_other_replica", "miss", "miss_shared_store"):
        row = lat[case]
        print(f"  {case:<28}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['hit_rate']:>10.2f}")
    emb = lat["embed_one_query"]
    print(f"  {'embed 1 query':<28}{emb['p50_ms']:>9.2f}{emb['p99_ms']:>9.2f}")


def print_http(http: dict[str, Any]) -> None:
    print("\ncache hits end to end over HTTP (request sent -> response complete)")
    print(f"  {'case':<26}{'p50 ms':>9}{'p99 ms':>9}{'hit rate':>10}{'n':>6}")
    for case, row in http.items():
        print(f"  {case:<26}{row['p50_ms']:>9.2f}{row['p99_ms']:>9.2f}{row['hit_rate']:>10.2f}"
              f"{row['n']:>6}")
    print("  target: p50 <= 15 ms")


def print_quality(qual: dict[str, Any]) -> None:
    print(f"\nquality (threshold tuned on train: {qual['tuning_on_train']['chosen']})")
    print(f"  {'threshold':<12}{'split':<7}{'pairs':>6}{'false hits':>12}{'para recall':>13}")
    for label in ("default", "tuned"):
        for split in ("train", "test"):
            row = qual[label][split]
            print(f"  {row['threshold']:<12}{split:<7}{row['pairs']:>6}{row['false_hits']:>12}"
                  f"{row['paraphrase_recall']:>13.3f}")
    print(f"  false hits without the salient-token guard at the default threshold: "
          f"{qual['false_hits_without_guard_at_default']}")
    for label in ("default", "tuned"):
        for split in ("train", "test"):
            for miss in qual[label][split]["false_hit_examples"]:
                print(f"  FALSE HIT ({label}, {split}, {miss['similarity']}): "
                      f"{miss['cached']!r} served {miss['query']!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--sections", nargs="+", choices=SECTIONS, default=list(SECTIONS),
                        help="run only these sections (the result file is then not written)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lynkr-bench-cache-") as data_dir:
        settings = Settings(data_dir=data_dir)
        embedder = get_embedder(settings)
        embedder.embed(["warm up"])
        runs = {
            "latency": lambda: latency(replace(settings, namespace="bench-latency"), embedder,
                                       args.entries, args.rounds),
            "quality": lambda: quality(settings, embedder),
            "http": lambda: http_hits(min(args.rounds, 200)),
            "memory": lambda: memory(settings, embedder),
        }
        result: dict[str, Any] = {
            "machine": {"python": platform.python_version(), "cpu_count": os.cpu_count(),
                        "load_avg_at_start": list(os.getloadavg())},
            **{name: runs[name]() for name in SECTIONS if name in args.sections},
        }
    print_table(result)
    if set(args.sections) != set(SECTIONS):
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
