"""The proxy's metadata endpoints: what tools and people probe before sending work."""

import anthropic
import httpx
import openai


def test_root_reports_service_name_version_and_status(proxy: str) -> None:
    body = httpx.get(f"{proxy}/").json()
    assert body["service"] == "lynkr"
    assert body["status"] == "running"
    assert body["version"]


def test_head_root_answers_ok_because_claude_code_probes_it(proxy: str) -> None:
    assert httpx.head(f"{proxy}/").status_code == 200


def test_liveness_and_readiness_probes(proxy: str) -> None:
    assert httpx.get(f"{proxy}/health/live").json() == {"status": "ok"}
    ready = httpx.get(f"{proxy}/health/ready").json()
    assert ready["status"] == "ready"
    assert ready["provider"] == "openai"
    assert ready["providers"] == ["openai"]
    assert ready["warnings"] == []


def test_readiness_lists_the_providers_requests_can_reach_and_what_would_fail_there(
        upstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk-test",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", TIER_SIMPLE="ollama:qwen3",
                       TIER_COMPLEX="anthropic:claude-sonnet-4-5", FALLBACK_ENABLED="true",
                       FALLBACK_PROVIDER="openai") as url:
        ready = httpx.get(f"{url}/health/ready").json()
    assert ready["providers"] == ["openai", "ollama", "anthropic"]
    assert ready["warnings"] == ["TIER_COMPLEX=anthropic:claude-sonnet-4-5: anthropic: no API "
                                 "key (set ANTHROPIC_API_KEY); requests routed there will fail"]


def test_models_lists_tier_aliases_in_both_sdk_shapes(proxy: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{proxy}/v1", api_key="x")
    ids = [m.id for m in client.models.list()]
    assert "lynkr/auto" in ids and "lynkr/simple" in ids
    assert "openai:gpt-fake" in ids


def test_unknown_route_is_a_json_error_not_html(proxy: str) -> None:
    response = httpx.get(f"{proxy}/v1/nope")
    assert response.status_code == 404
    assert response.json()["error"]["message"].startswith("no route")


def test_a_wrong_method_is_405_in_the_callers_format_with_the_allowed_ones(proxy: str) -> None:
    response = httpx.get(f"{proxy}/v1/messages")
    assert response.status_code == 405 and response.headers["allow"] == "POST"
    assert response.json()["type"] == "error"


def test_models_include_what_an_ollama_upstream_has_installed(upstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="ollama", OLLAMA_ENDPOINT=upstream.url) as url:
        ids = [m["id"] for m in httpx.get(f"{url}/v1/models").json()["data"]]
    assert "ollama:llama3.1:8b" in ids  # from the upstream's /api/tags, not from config


def test_any_model_id_can_be_retrieved_with_either_sdk(proxy: str) -> None:
    """Every id is served (an alias, a tier or provider:model), so retrieving one works."""
    got = openai.OpenAI(base_url=f"{proxy}/v1", api_key="x").models.retrieve("ollama:qwen3:8b")
    assert got.id == "ollama:qwen3:8b"
    info = anthropic.Anthropic(base_url=proxy, api_key="x").models.retrieve("claude-sonnet-4-6")
    assert info.id == "claude-sonnet-4-6"
