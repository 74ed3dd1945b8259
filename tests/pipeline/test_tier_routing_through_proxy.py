"""TIER_* point at four different upstream models; each kind of request lands on its tier's
model, read from what the fake upstream received."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.upstream import FakeUpstream


@pytest.fixture
def tiered_proxy(upstream: FakeUpstream, proxy_factory):  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1",
                       TIER_SIMPLE="openai:small-model", TIER_MEDIUM="openai:medium-model",
                       TIER_COMPLEX="openai:large-model",
                       TIER_REASONING="openai:reasoning-model") as url:
        yield url


def send(url: str, text: str, model: str = "claude-sonnet-4-6", **extra: object
         ) -> httpx.Response:
    return httpx.post(f"{url}/v1/messages", timeout=30, json={
        "model": model, "max_tokens": 100, **extra,
        "messages": [{"role": "user", "content": text}]})


def test_a_quick_question_goes_to_the_simple_model(tiered_proxy: str,
                                                    upstream: FakeUpstream) -> None:
    response = send(tiered_proxy, "quick question: what does `ls -a` show?")
    assert upstream.last.body["model"] == "small-model"
    assert response.headers["x-lynkr-tier"] == "SIMPLE"
    assert response.headers["x-lynkr-model"] == "small-model"
    assert float(response.headers["x-lynkr-score"]) >= 0


def test_a_design_question_with_trade_offs_goes_to_reasoning(tiered_proxy: str,
                                                             upstream: FakeUpstream) -> None:
    send(tiered_proxy, "ultrathink: design a migration plan to move our payments service from "
         "a single Postgres to a sharded cluster with zero downtime. Prove the ordering "
         "guarantees hold, and weigh the trade-offs of dual writes versus CDC.")
    assert upstream.last.body["model"] == "reasoning-model"


def test_a_claude_code_title_request_is_simple(tiered_proxy: str,
                                               upstream: FakeUpstream) -> None:
    send(tiered_proxy, "Please write a 5-10 word title for the following conversation: ...",
         model="claude-haiku-4-5",
         system="Summarize this coding conversation in under 50 characters.")
    assert upstream.last.body["model"] == "small-model"


def test_a_tier_alias_in_model_picks_that_tier(tiered_proxy: str,
                                               upstream: FakeUpstream) -> None:
    send(tiered_proxy, "hi", model="lynkr/complex")
    assert upstream.last.body["model"] == "large-model"


def test_provider_colon_model_pins_the_upstream(tiered_proxy: str,
                                                upstream: FakeUpstream) -> None:
    send(tiered_proxy, "hi", model="openai:pinned-model")
    assert upstream.last.body["model"] == "pinned-model"


def test_analyze_explains_the_decision_dimension_by_dimension(tiered_proxy: str,
                                                             upstream: FakeUpstream) -> None:
    body = {"model": "m", "messages": [{"role": "user", "content":
            "Refactor the auth middleware across all services and prove it stays secure"}]}
    analysis = httpx.post(f"{tiered_proxy}/routing/analyze", json=body).json()
    assert analysis["tier"] in ("COMPLEX", "REASONING")
    assert analysis["target"] in ("openai:large-model", "openai:reasoning-model")
    contributions = {d["name"]: d["contribution"] for d in analysis["dimensions"]}
    assert contributions["domain_risk"] > 0
    assert abs(sum(contributions.values()) - analysis["score"]) < 0.05 or analysis["forced"]
    assert isinstance(analysis["learned"], list)  # the learned stage's pushes, when it decides
    assert upstream.received == []  # analysis never reaches the upstream


def test_routing_stats_count_decisions_per_tier(tiered_proxy: str) -> None:
    send(tiered_proxy, "quick question: what does `ls -a` show?")
    stats = httpx.get(f"{tiered_proxy}/routing/stats").json()
    assert stats["decisions"] == 1 and stats["by_tier"]["SIMPLE"] == 1
    assert stats["tiers"]["SIMPLE"] == "openai:small-model"


def test_a_request_naming_its_tier_is_not_scored_or_counted_as_another(
        tiered_proxy: str) -> None:
    response = httpx.post(f"{tiered_proxy}/v1/messages", json={
        "model": "lynkr/complex", "max_tokens": 50,
        "messages": [{"role": "user", "content": "hi"}]})
    assert response.headers["x-lynkr-tier"] == "COMPLEX"
    assert httpx.get(f"{tiered_proxy}/routing/stats").json()["decisions"] == 0


def test_analyze_reads_a_short_prompt_as_a_prompt_not_a_quota_probe(tiered_proxy: str) -> None:
    analysis = httpx.post(f"{tiered_proxy}/routing/analyze", json={
        "model": "m", "messages": [{"role": "user", "content": "hi"}]}).json()
    assert "quota" not in analysis["reason"]


def test_analyze_refuses_a_format_it_does_not_speak(tiered_proxy: str) -> None:
    response = httpx.post(f"{tiered_proxy}/routing/analyze?format=gemini", json={
        "model": "m", "messages": []})
    assert response.status_code == 400 and "format" in response.json()["error"]["message"]


def test_without_tiers_no_scoring_happens_and_no_tier_header(proxy: str) -> None:
    response = send(proxy, "hi")
    assert "x-lynkr-tier" not in response.headers
    assert response.headers["x-lynkr-cache"] == "off"  # not "miss": no cache was asked
    assert httpx.get(f"{proxy}/routing/stats").json()["decisions"] == 0
