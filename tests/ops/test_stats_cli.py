"""`lynkr stats` reads a running proxy and prints what it saved."""

from __future__ import annotations

import httpx
import pytest

from lynkr.cli import main
from lynkr.stats_cli import format_summary


def test_stats_prints_requests_tokens_and_cache_of_the_running_proxy(
        proxy: str, capsys) -> None:  # type: ignore[no-untyped-def]
    for _ in range(2):
        httpx.post(f"{proxy}/v1/messages", json={
            "model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    with pytest.raises(SystemExit) as done:
        main(["stats", "--url", proxy])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "requests" in out and " 2 " in out
    assert "cache hit rate  n/a (cache off)" in out


def test_stats_reports_an_unreachable_proxy_plainly(capsys) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(SystemExit) as done:
        main(["stats", "--url", "http://127.0.0.1:9", "--api-key", "k"])
    assert done.value.code == 1
    assert "cannot reach http://127.0.0.1:9" in capsys.readouterr().err


def test_summary_lists_savings_by_optimizer_and_tier() -> None:
    text = format_summary({
        "version": "0.1.0", "provider": "openai", "uptime_seconds": 3725, "requests": 10,
        "errors": 1, "tokens": {"in": 900, "out": 50, "saved": 100,
                                "saved_by": {"tool_selection": 80, "tool_results": 20}},
        "cost_saved_usd": {"total": 0.0003, "by_tier": {"COMPLEX": 0.0003}},
        "cache": {"hits": 1, "misses": 3, "hit_rate": 0.25},
        "latency_ms": {"p50": 12.0, "p90": 40.0, "p99": None},
        "requests_by_tier": {"COMPLEX": 7, "SIMPLE": 3}})
    assert "up 1h02m" in text
    assert "(10.0% of input)" in text
    assert "25.0% (1 hits, 3 misses)" in text
    assert "tool_selection" in text and "COMPLEX" in text and "$0.0003" in text
    assert "p99 -" in text
