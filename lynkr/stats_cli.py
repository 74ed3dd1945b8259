"""``lynkr stats``: what the running proxy has done, read from its ``/v1/stats`` endpoint."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import httpx

from lynkr.config import load_settings


def add_stats_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register ``lynkr stats``."""
    stats = subparsers.add_parser(
        "stats", help="summarise what the running proxy has done",
        description="Requests, tokens and money saved (by tier and optimizer), cache hit "
        "rate and latency of a running proxy. The URL and key default to HOST, PORT and "
        "LYNKR_API_KEY from the env file.")
    stats.add_argument("--url", help="proxy base URL (default http://HOST:PORT)")
    stats.add_argument("--api-key", help="key for a proxy with LYNKR_API_KEY set")
    stats.add_argument("--env-file", default=".env", help="settings file (default: ./.env)")
    stats.set_defaults(func=cmd_stats)


def cmd_stats(args: argparse.Namespace) -> int:
    url, key = args.url, args.api_key
    if url is None or key is None:
        settings = load_settings(Path(args.env_file))
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        url = url or f"http://{host}:{settings.port}"
        key = key or settings.ops.api_key
    headers = {"x-api-key": key} if key else {}
    try:
        response = httpx.get(f"{url.rstrip('/')}/v1/stats", headers=headers, timeout=10)
    except httpx.HTTPError as exc:
        print(f"lynkr stats: cannot reach {url}: {exc}", file=sys.stderr)
        return 1
    if response.status_code != 200:
        print(f"lynkr stats: {url} answered {response.status_code}: {response.text[:200]}",
              file=sys.stderr)
        return 1
    print(format_summary(response.json()))
    return 0


def format_summary(stats: dict[str, Any]) -> str:
    """The readable summary ``lynkr stats`` prints (pure, for tests)."""
    tokens, cache, latency = stats["tokens"], stats["cache"], stats["latency_ms"]
    cost = stats["cost_saved_usd"]
    hit_rate = "n/a (cache off)" if cache["hit_rate"] is None else (
        f"{cache['hit_rate'] * 100:.1f}% ({cache['hits']} hits, {cache['misses']} misses)")
    saved_pct = (tokens["saved"] / (tokens["saved"] + tokens["in"]) * 100
                 if tokens["saved"] + tokens["in"] else 0.0)
    lines = [
        f"lynkr {stats.get('version', '')} · provider {stats.get('provider', '?')} · "
        f"up {_duration(stats['uptime_seconds'])}",
        "",
        f"requests        {stats['requests']:>12,}   errors {stats['errors']:,}",
        f"tokens in       {tokens['in']:>12,}",
        f"tokens out      {tokens['out']:>12,}",
        f"tokens saved    {tokens['saved']:>12,}   ({saved_pct:.1f}% of input)",
        f"cost saved      {'$' + format(cost['total'], '.4f'):>12}",
        f"cache hit rate  {hit_rate}",
        "latency         " + "  ".join(
            f"{k} {'-' if v is None else f'{v:.0f} ms'}" for k, v in latency.items()),
    ]
    if tokens["saved_by"]:
        lines += ["", "saved by optimizer"]
        lines += [f"  {name:<22}{n:>12,}" for name, n in
                  sorted(tokens["saved_by"].items(), key=lambda kv: -kv[1])]
    if stats["requests_by_tier"]:
        lines += ["", "by tier                 requests    cost saved"]
        for tier, count in sorted(stats["requests_by_tier"].items(), key=lambda kv: -kv[1]):
            usd = cost["by_tier"].get(tier, 0.0)
            lines.append(f"  {tier:<20}{count:>10,}    ${usd:.4f}")
    return "\n".join(lines)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"
