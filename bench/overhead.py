"""Added latency and throughput of lynkr vs calling the upstream directly vs LiteLLM's proxy.

All three sit in front of the same fake OpenAI upstream (a separate process answering a canned
completion) and are driven by the same keep-alive load generator, side by side in one run:
non-streaming and streaming, concurrency 1 and 16, one worker process each. lynkr runs twice:
with one upstream (no tier routing, the default) and with TIER_* set, so every request is
also scored by the complexity router.

    uv run --extra bench python bench/overhead.py [--seconds 5] [--no-litellm]

Prints a table and writes bench/results/overhead.json. Run on an otherwise idle machine; the
numbers are ratios between targets measured in the same run, not absolute claims.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loopback import load, run_upstream  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "overhead.json"
BODY = json.dumps({"model": "gpt-fake", "max_tokens": 64,
                   "messages": [{"role": "user", "content": "What is the answer?"}]}).encode()
STREAM_BODY = json.dumps({"model": "gpt-fake", "max_tokens": 64, "stream": True,
                          "messages": [{"role": "user", "content": "What is the answer?"}]}
                         ).encode()


MASTER_KEY = "sk-bench-master-key"
# Every target gets the same headers; only LiteLLM checks the key (as a real deployment does).
HEADERS = {"authorization": f"Bearer {MASTER_KEY}"}


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, seconds: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{url}: process exited with {proc.returncode}")
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up in {seconds}s")


def start_lynkr(upstream: int, workdir: Path, *, cache: bool = False, tiers: bool = False
                ) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "MODEL_PROVIDER": "openai", "OPENAI_API_KEY": "sk-bench",
           "OPENAI_ENDPOINT": f"http://127.0.0.1:{upstream}/v1", "OPENAI_MODEL": "gpt-fake",
           "PORT": str(port), "LOG_LEVEL": "warning", "LYNKR_DATA_DIR": str(workdir / "data"),
           # identical requests would all be cache hits: measure the forwarding path
           "SEMANTIC_CACHE_ENABLED": "true" if cache else "false"}
    if tiers:  # every request is scored; all tiers share the one fake upstream
        env.update({f"TIER_{t}": "openai:gpt-fake"
                    for t in ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")})
    proc = subprocess.Popen([sys.executable, "-m", "lynkr", "start", "--env-file",
                             str(workdir / "lynkr.env")], env=env, cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/", 30, proc)
    return proc, port


def start_litellm(upstream: int, workdir: Path) -> tuple[subprocess.Popen, int] | None:
    exe = shutil.which("litellm", path=str(Path(sys.executable).parent))
    if exe is None:
        return None
    port = free_port()
    config = workdir / "litellm.yaml"
    config.write_text(
        "model_list:\n  - model_name: gpt-fake\n    litellm_params:\n"
        f"      model: openai/gpt-fake\n      api_base: http://127.0.0.1:{upstream}/v1\n"
        "      api_key: sk-bench\nlitellm_settings:\n  telemetry: false\n")
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR",
           "LITELLM_MASTER_KEY": MASTER_KEY}  # LiteLLM refuses to start without one
    proc = subprocess.Popen([exe, "--config", str(config), "--port", str(port),
                             "--num_workers", "1"], env=env, cwd=workdir,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(f"http://127.0.0.1:{port}/health/liveliness", 120, proc)
    return proc, port


def measure(port: int, path: str, body: bytes, concurrency: int, seconds: float) -> dict:
    result = asyncio.run(load("127.0.0.1", port, path, body, concurrency=concurrency,
                              seconds=seconds, headers=HEADERS))
    return {"p50_ms": round(result.percentile(50), 3), "p99_ms": round(result.percentile(99), 3),
            "rps": round(result.rps, 1), "requests": len(result.latencies),
            "errors": result.errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--no-litellm", action="store_true")
    args = parser.parse_args()

    upstream_port = free_port()
    upstream = multiprocessing.Process(target=run_upstream, args=(upstream_port,), daemon=True)
    upstream.start()
    time.sleep(0.5)
    procs: list[subprocess.Popen] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        (workdir / "lynkr.env").write_text("")
        lynkr, lynkr_port = start_lynkr(upstream_port, workdir)
        procs.append(lynkr)
        tiered, tiered_port = start_lynkr(upstream_port, workdir, tiers=True)
        procs.append(tiered)
        targets = {"direct": upstream_port, "lynkr": lynkr_port, "lynkr+tiers": tiered_port}
        litellm = None if args.no_litellm else start_litellm(upstream_port, workdir)
        if litellm:
            procs.append(litellm[0])
            targets["litellm"] = litellm[1]
        try:
            rows = run_matrix(targets, args.seconds)
        finally:
            for proc in procs:
                proc.terminate()
            upstream.terminate()
    summary = summarize(rows)
    print_table(rows, summary, litellm_missing=litellm is None)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"rows": rows, "summary": summary,
                                   "seconds_per_cell": args.seconds}, indent=2) + "\n")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


def run_matrix(targets: dict[str, int], seconds: float) -> list[dict]:
    rows = []
    for stream in (False, True):
        body = STREAM_BODY if stream else BODY
        for concurrency in (1, 16):
            for name, port in targets.items():
                cell = measure(port, "/v1/chat/completions", body, concurrency, seconds)
                rows.append({"target": name, "stream": stream, "concurrency": concurrency,
                             **cell})
                print(f"  {name:11} stream={stream!s:5} c={concurrency:<3} {cell}", flush=True)
    return rows


def summarize(rows: list[dict]) -> dict:
    def cell(target: str, stream: bool, c: int) -> dict | None:
        return next((r for r in rows if r["target"] == target and r["stream"] == stream
                     and r["concurrency"] == c), None)

    summary = {}
    for stream in (False, True):
        key = "streaming" if stream else "non_streaming"
        direct, lynkr, litellm = (cell(t, stream, 1) for t in ("direct", "lynkr", "litellm"))
        tiered = cell("lynkr+tiers", stream, 1)
        entry = {"lynkr_added_p50_ms_c1": round(lynkr["p50_ms"] - direct["p50_ms"], 3),
                 "lynkr_tiers_added_p50_ms_c1": round(tiered["p50_ms"] - direct["p50_ms"], 3)}
        if litellm:
            entry["litellm_added_p50_ms_c1"] = round(litellm["p50_ms"] - direct["p50_ms"], 3)
            l16, ll16 = cell("lynkr", stream, 16), cell("litellm", stream, 16)
            entry["throughput_ratio_c16"] = round(l16["rps"] / ll16["rps"], 1) \
                if ll16["rps"] else None
        summary[key] = entry
    return summary


def print_table(rows: list[dict], summary: dict, *, litellm_missing: bool) -> None:
    print("\n| target | stream | c | p50 ms | p99 ms | req/s | errors |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['target']} | {'yes' if r['stream'] else 'no'} | {r['concurrency']} | "
              f"{r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['rps']:.0f} | {r['errors']} |")
    print("\n| mode | lynkr added p50 (c=1) | with tier scoring | LiteLLM added p50 (c=1) "
          "| lynkr/LiteLLM req/s (c=16) |")
    print("|---|---|---|---|---|")
    for mode, s in summary.items():
        print(f"| {mode} | {s['lynkr_added_p50_ms_c1']:.2f} ms | "
              f"{s['lynkr_tiers_added_p50_ms_c1']:.2f} ms | "
              f"{s.get('litellm_added_p50_ms_c1', float('nan')):.2f} ms | "
              f"{s.get('throughput_ratio_c16', 'n/a')}x |")
    if litellm_missing:
        print("\nLiteLLM not installed: run with `uv run --extra bench python bench/overhead.py`.")
    print("Targets: lynkr added p50 <= 1 ms at c=1; >= 10x LiteLLM req/s at c=16.")


if __name__ == "__main__":
    main()
