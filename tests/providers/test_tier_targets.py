"""TIER_* / FALLBACK_PROVIDER parsing and the order of the fallback chain, plus the
x-lynkr-* headers that say who answered."""

from __future__ import annotations

import httpx

from lynkr.config import TierTarget, parse_target, settings_from_env
from lynkr.routing.tiers import target_chain
from tests.fakes.server import free_port
from tests.fakes.upstream import FakeUpstream, Reply


def test_targets_split_at_the_first_colon_only() -> None:
    assert parse_target("ollama:qwen2.5:7b", "openai") == TierTarget("ollama", "qwen2.5:7b")
    assert parse_target("vertex:gemini-2.5-pro", "openai") == TierTarget("gemini",
                                                                          "gemini-2.5-pro")
    assert parse_target("bedrock:anthropic.claude-3-7-sonnet-20250219-v1:0", "ollama") == \
        TierTarget("bedrock", "anthropic.claude-3-7-sonnet-20250219-v1:0")


def test_a_target_without_a_provider_is_a_model_on_model_provider() -> None:
    assert parse_target("gpt-4o", "openai") == TierTarget("openai", "gpt-4o")
    assert parse_target("qwen2.5:7b", "ollama") == TierTarget("ollama", "qwen2.5:7b")


def test_the_chain_climbs_the_configured_tiers_then_the_fallback() -> None:
    settings = settings_from_env({
        "MODEL_PROVIDER": "ollama", "TIER_SIMPLE": "qwen2.5:7b",
        "TIER_COMPLEX": "openai:gpt-4o", "TIER_REASONING": "openai:gpt-4o",
        "FALLBACK_ENABLED": "true", "FALLBACK_PROVIDER": "ollama:llama3.1:8b"})
    assert target_chain(settings, "SIMPLE") == [
        ("SIMPLE", TierTarget("ollama", "qwen2.5:7b")),
        ("COMPLEX", TierTarget("openai", "gpt-4o")),  # REASONING is the same target: once
        ("FALLBACK", TierTarget("ollama", "llama3.1:8b"))]
    assert target_chain(settings, "MEDIUM")[0] == ("COMPLEX", TierTarget("openai", "gpt-4o"))


def test_the_fallback_is_left_out_unless_enabled() -> None:
    settings = settings_from_env({"MODEL_PROVIDER": "openai", "FALLBACK_PROVIDER": "ollama"})
    assert [t for _, t in target_chain(settings, None)] == [TierTarget("openai", "gpt-4o-mini")]


def test_a_fallback_without_a_model_uses_that_providers_model() -> None:
    settings = settings_from_env({"MODEL_PROVIDER": "openai", "FALLBACK_ENABLED": "true",
                                  "FALLBACK_PROVIDER": "bedrock",
                                  "AWS_BEDROCK_MODEL_ID": "amazon.nova-pro-v1:0"})
    assert target_chain(settings, None)[-1] == ("FALLBACK",
                                                TierTarget("bedrock", "amazon.nova-pro-v1:0"))


def test_answers_and_errors_carry_the_routing_headers(upstream: FakeUpstream,
                                                      proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(Reply(text="hi"))
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", OPENAI_MODEL="gpt-x",  # type: ignore[attr-defined]
                       TIER_SIMPLE="openai:gpt-x", TIER_COMPLEX="openai:gpt-x") as url:
        ok = httpx.post(f"{url}/v1/messages", json={
            "model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert ok.status_code == 200
    assert ok.headers["x-lynkr-provider"] == "openai" and ok.headers["x-lynkr-model"] == "gpt-x"
    assert ok.headers["x-lynkr-tier"] in ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")
    dead = f"http://127.0.0.1:{free_port()}"
    with proxy_factory(MODEL_PROVIDER="ollama", OLLAMA_ENDPOINT=dead) as url:
        failed = httpx.post(f"{url}/v1/messages", json={
            "model": "m", "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert failed.status_code == 502
    assert "x-lynkr-cache" in failed.headers
