"""Who may call what: the client API key, the admin token, rate limits, load shedding,
body limits and secret redaction, each answered in the caller's wire format."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from lynkr.ops.shedding import SheddingLimits
from tests.fakes.upstream import Fail, FakeUpstream
from tests.ops.helpers import base_env, running

ASK = {"model": "claude-sonnet-4-6", "max_tokens": 20,
       "messages": [{"role": "user", "content": "hi"}]}
CHAT = {"model": "x", "messages": [{"role": "user", "content": "hi"}]}
KEY = "lk-correct-horse-battery"


@pytest.fixture
def keyed(upstream: FakeUpstream, tmp_path):  # type: ignore[no-untyped-def]
    with running(base_env(upstream.url, tmp_path, LYNKR_API_KEY=KEY)) as (url, _app):
        yield url


def test_api_routes_require_the_key_in_the_callers_format(keyed: str) -> None:
    response = httpx.post(f"{keyed}/v1/messages", json=ASK)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "authentication_error"
    assert "LYNKR_API_KEY" in response.json()["error"]["message"]
    response = httpx.post(f"{keyed}/v1/chat/completions", json=CHAT,
                          headers={"authorization": "Bearer wrong"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"
    for path in ("/v1/models", "/metrics", "/v1/stats", "/dashboard", "/v1/nope"):
        assert httpx.get(f"{keyed}{path}").status_code == 401, path


def test_both_sdks_get_through_with_the_key(keyed: str) -> None:
    reply = anthropic.Anthropic(base_url=keyed, api_key=KEY, max_retries=0).messages.create(
        **ASK)
    assert reply.content[0].text
    chat = openai.OpenAI(base_url=f"{keyed}/v1", api_key=KEY, max_retries=0)
    assert chat.chat.completions.create(**CHAT).choices[0].message.content
    with pytest.raises(anthropic.AuthenticationError):
        anthropic.Anthropic(base_url=keyed, api_key="nope", max_retries=0).messages.create(**ASK)


def test_health_probes_stay_open(keyed: str) -> None:
    assert httpx.head(f"{keyed}/").status_code == 200
    for path in ("/", "/health/live", "/health/ready", "/health/providers"):
        assert httpx.get(f"{keyed}{path}").status_code == 200, path


def test_dashboard_key_in_the_url_becomes_a_cookie(keyed: str) -> None:
    with httpx.Client(base_url=keyed, follow_redirects=True) as browser:
        opened = browser.get("/dashboard", params={"key": KEY})
        assert opened.status_code == 200 and b"<svg" in opened.content
        assert opened.history[0].status_code == 303  # the key leaves the address bar
        assert browser.get("/v1/stats").status_code == 200
    # The cookie and ?key= are for the browser pages only, never for API routes.
    response = httpx.post(f"{keyed}/v1/messages", json=ASK, params={"key": KEY},
                          cookies={"lynkr_key": KEY})
    assert response.status_code == 401


def test_admin_routes_are_disabled_without_an_admin_token(proxy: str) -> None:
    for path in ("/v1/admin/reload", "/v1/admin/breakers/reset"):
        response = httpx.post(f"{proxy}{path}", headers={"authorization": "Bearer x"})
        assert response.status_code == 403
        assert "LYNKR_ADMIN_TOKEN" in response.json()["error"]["message"]


def test_admin_routes_need_the_admin_token_even_with_the_api_key(
        upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = base_env(upstream.url, tmp_path, LYNKR_API_KEY=KEY, LYNKR_ADMIN_TOKEN="adm-secret")
    upstream.queue(*[Fail(500)] * 5)
    with running(env) as (url, _app):
        for _ in range(5):
            httpx.post(f"{url}/v1/messages", json=ASK, headers={"x-api-key": KEY})
        assert httpx.get(f"{url}/health/providers").json()["breakers"]["openai:gpt-fake"][
            "state"] == "open"
        reset = f"{url}/v1/admin/breakers/reset"
        assert httpx.post(reset, headers={"x-api-key": KEY}).status_code == 401
        assert httpx.post(reset, headers={"authorization": "Bearer wrong"}).status_code == 401
        done = httpx.post(reset, headers={"authorization": "Bearer adm-secret"})
        assert done.json() == {"status": "reset", "targets": ["openai:gpt-fake"]}
        assert httpx.get(f"{url}/health/providers").json()["breakers"] == {}
        assert httpx.post(f"{url}/v1/messages", json=ASK,
                          headers={"x-api-key": KEY}).status_code == 200


def test_rate_limit_answers_429_with_retry_after_per_key(
        upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with running(base_env(upstream.url, tmp_path, RATE_LIMIT_RPM="3")) as (url, _app):
        codes = [httpx.post(f"{url}/v1/messages", json=ASK,
                            headers={"x-api-key": "agent-a"}).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = httpx.post(f"{url}/v1/chat/completions", json=CHAT,
                             headers={"authorization": "Bearer agent-a"})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) >= 1
        assert limited.json()["error"]["code"] == "rate_limit_exceeded"
        other = httpx.post(f"{url}/v1/messages", json=ASK, headers={"x-api-key": "agent-b"})
        assert other.status_code == 200
        assert httpx.get(f"{url}/health/live").status_code == 200


def test_load_shedding_never_sheds_an_idle_proxy_and_sheds_an_overloaded_one(
        upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with running(base_env(upstream.url, tmp_path, LOAD_SHEDDING_ENABLED="true")) as (url, app):
        time.sleep(0.6)  # a few monitor ticks at idle
        for _ in range(10):
            assert httpx.post(f"{url}/v1/messages", json=ASK).status_code == 200
        app.state.ops.shedder.limits = SheddingLimits(max_in_flight=0, retry_after=3)
        shed = httpx.post(f"{url}/v1/messages", json=ASK)
        assert shed.status_code == 503
        assert shed.headers["retry-after"] == "3"
        assert shed.json()["error"]["type"] == "overloaded_error"
        chat = httpx.post(f"{url}/v1/chat/completions", json=CHAT)
        assert chat.status_code == 503 and chat.json()["error"]["code"] == "overloaded"
        assert httpx.get(f"{url}/health/ready").status_code == 200
        app.state.ops.shedder.limits = SheddingLimits(max_rss_bytes=1)
        time.sleep(0.6)
        assert "memory" in httpx.post(f"{url}/v1/messages", json=ASK).json()["error"]["message"]


def test_body_size_and_json_depth_limits_answer_in_the_callers_format(
        upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = base_env(upstream.url, tmp_path, MAX_REQUEST_BODY_BYTES="2048", MAX_JSON_DEPTH="8")
    with running(env) as (url, _app):
        big = {**ASK, "messages": [{"role": "user", "content": "x" * 4000}]}
        response = httpx.post(f"{url}/v1/messages", json=big)
        assert response.status_code == 413
        assert response.json()["error"]["type"] == "request_too_large"
        response = httpx.post(f"{url}/v1/chat/completions", content=b"x" * 4000)
        assert response.status_code == 413 and response.json()["error"]["code"] == \
            "request_too_large"
        nested: object = "deep"
        for _ in range(10):
            nested = {"a": nested}
        response = httpx.post(f"{url}/v1/messages", json={**ASK, "metadata": nested})
        assert response.status_code == 400
        assert "nested deeper than 8" in response.json()["error"]["message"]


def test_upstream_errors_echoing_a_key_are_redacted_everywhere(
        proxy: str, upstream: FakeUpstream) -> None:
    leaked = "sk-proj-abcdef0123456789"
    upstream.queue(Fail(401, f"Incorrect API key provided: {leaked}. Bearer {leaked}"))
    response = httpx.post(f"{proxy}/v1/messages", json=ASK)
    assert response.status_code >= 400
    assert leaked not in response.text
    stats = httpx.get(f"{proxy}/v1/stats").text
    assert leaked not in stats and "[REDACTED]" in stats
