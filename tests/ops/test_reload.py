"""Hot reload: a valid new .env takes over atomically, a bad one changes nothing, and no
request in flight is lost while it happens."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest

from tests.fakes.upstream import Fail, FakeUpstream, Reply, Stall
from tests.ops.helpers import base_env, running_from_file, write_env

ASK = {"model": "claude-sonnet-4-6", "max_tokens": 20,
       "messages": [{"role": "user", "content": "hi"}]}
ADMIN = {"authorization": "Bearer adm"}


@pytest.fixture
def env(upstream: FakeUpstream, tmp_path):  # type: ignore[no-untyped-def]
    return base_env(upstream.url, tmp_path / "data", LYNKR_ADMIN_TOKEN="adm")


def served_model(url: str) -> str:
    return httpx.post(f"{url}/v1/messages", json=ASK).headers["x-lynkr-model"]


def test_admin_reload_applies_the_new_env_file(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / ".env"
    write_env(path, env)
    with running_from_file(path) as (url, _app):
        assert served_model(url) == "gpt-fake"
        write_env(path, {**env, "OPENAI_MODEL": "gpt-next"})
        response = httpx.post(f"{url}/v1/admin/reload", headers=ADMIN)
        assert response.status_code == 200 and response.json()["provider"] == "openai"
        assert served_model(url) == "gpt-next"


def test_a_bad_env_file_is_rejected_with_the_reason_and_the_old_one_keeps_serving(
        env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / ".env"
    write_env(path, env)
    with running_from_file(path) as (url, _app):
        write_env(path, {**env, "OPENAI_MODEL": "gpt-next", "PORT": "not-a-port"})
        response = httpx.post(f"{url}/v1/admin/reload", headers=ADMIN)
        assert response.status_code == 400
        assert "PORT='not-a-port' is not a whole number" in response.json()["error"]["message"]
        assert served_model(url) == "gpt-fake"
        metrics = httpx.get(f"{url}/metrics").text
        assert 'lynkr_config_reloads_total{result="rejected"} 1.0' in metrics


def test_reload_without_an_env_file_says_there_is_nothing_to_reload(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_ENDPOINT=f"{upstream.url}/v1",
                       LYNKR_ADMIN_TOKEN="adm") as url:
        response = httpx.post(f"{url}/v1/admin/reload", headers=ADMIN)
        assert response.status_code == 400
        assert "without an env file" in response.json()["error"]["message"]


def wait_for(predicate, seconds: float = 8.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_the_env_file_watcher_applies_good_edits_and_logs_bad_ones(
        env, tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / ".env"
    write_env(path, env)
    with running_from_file(path) as (url, _app), caplog.at_level(logging.WARNING):
        write_env(path, {**env, "OPENAI_MODEL": "gpt-watched"})
        assert wait_for(lambda: served_model(url) == "gpt-watched")
        write_env(path, {**env, "OPENAI_MODEL": "gpt-broken", "MODEL_PROVIDER": "nonsense"})
        assert wait_for(lambda: "was not applied" in caplog.text)
        assert "MODEL_PROVIDER='nonsense'" in caplog.text
        assert served_model(url) == "gpt-watched"


def test_reloading_under_traffic_loses_no_request(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / ".env"
    write_env(path, env)

    async def traffic(url: str) -> list[int]:
        async with httpx.AsyncClient(timeout=30) as client:
            async def one(i: int) -> int:
                body = {**ASK, "stream": i % 2 == 0}
                async with client.stream("POST", f"{url}/v1/messages", json=body) as response:
                    payload = await response.aread()
                    if body["stream"] and b"message_stop" not in payload:
                        return -1
                    return response.status_code

            async def reloads() -> list[int]:
                codes = []
                for n in range(6):
                    write_env(path, {**env, "OPENAI_MODEL": f"gpt-{n}"})
                    reply = await client.post(f"{url}/v1/admin/reload", headers=ADMIN)
                    codes.append(reply.status_code)
                    await asyncio.sleep(0.02)
                return codes

            results = await asyncio.gather(reloads(), *(one(i) for i in range(300)))
            assert results[0] == [200] * 6
            return list(results[1:])

    with running_from_file(path) as (url, _app):
        codes = asyncio.run(traffic(url))
    assert codes == [200] * 300


def test_reload_applies_load_shedding_limits(env, upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / ".env"
    shedding = {**env, "LOAD_SHEDDING_ENABLED": "true", "LOAD_SHEDDING_MAX_IN_FLIGHT": "1"}
    write_env(path, shedding)
    upstream.default = Reply(text="slow reply", chunk_size=1, frame_delay=0.1)

    def second_request_while_one_streams(url: str) -> int:
        with httpx.stream("POST", f"{url}/v1/messages", json={**ASK, "stream": True}) as held:
            chunks = held.iter_bytes()
            next(chunks)  # the first request is in flight (until ``chunks`` is dropped)
            status = httpx.post(f"{url}/v1/messages", json=ASK).status_code
            chunks.close()
            return status

    with running_from_file(path) as (url, _app):
        assert second_request_while_one_streams(url) == 503
        write_env(path, {**shedding, "LOAD_SHEDDING_MAX_IN_FLIGHT": "100"})
        assert httpx.post(f"{url}/v1/admin/reload", headers=ADMIN).status_code == 200
        assert second_request_while_one_streams(url) == 200


def test_reload_applies_the_upstream_timeouts(env, upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / ".env"
    write_env(path, env)
    with running_from_file(path) as (url, _app):
        write_env(path, {**env, "REQUEST_TIMEOUT": "0.3"})
        assert httpx.post(f"{url}/v1/admin/reload", headers=ADMIN).status_code == 200
        upstream.queue(Stall(5))
        assert httpx.post(f"{url}/v1/messages", json=ASK, timeout=4).status_code == 504


def test_reload_applies_a_new_price_table_and_rejects_a_broken_one(env, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, prices = tmp_path / ".env", tmp_path / "prices.json"
    write_env(path, env)
    prices.write_text('{"gpt-fake": 3.5}', encoding="utf-8")
    with running_from_file(path) as (url, app):
        write_env(path, {**env, "PRICING_FILE": str(prices)})
        assert httpx.post(f"{url}/v1/admin/reload", headers=ADMIN).status_code == 200
        assert app.state.ops.stats.pricing[0] == app.state.ops.metrics.pricing[0] == (
            "gpt-fake", 3.5)
        prices.write_text("{not json", encoding="utf-8")
        write_env(path, {**env, "PRICING_FILE": str(prices), "OPENAI_MODEL": "gpt-next"})
        rejected = httpx.post(f"{url}/v1/admin/reload", headers=ADMIN)
        assert rejected.status_code == 400 and "PRICING_FILE=" in rejected.text
        assert served_model(url) == "gpt-fake"
        assert app.state.ops.stats.pricing[0] == ("gpt-fake", 3.5)


def test_reload_applies_new_circuit_breaker_limits(env, upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / ".env"
    write_env(path, env)
    with running_from_file(path) as (url, _app):
        write_env(path, {**env, "CIRCUIT_BREAKER_THRESHOLD": "1"})
        assert httpx.post(f"{url}/v1/admin/reload", headers=ADMIN).status_code == 200
        upstream.queue(Fail(500))
        assert httpx.post(f"{url}/v1/messages", json=ASK).status_code >= 500
        breakers = httpx.get(f"{url}/health/providers").json()["breakers"]
        assert breakers["openai:gpt-fake"]["state"] == "open"


def test_limits_learned_from_upstream_refusals_survive_a_reload(
        env, upstream: FakeUpstream, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path, ask = tmp_path / ".env", {**ASK, "max_tokens": 20000}
    write_env(path, env)
    refusal = ("max_tokens is too large: 20000. This model supports at most 16384 completion "
               "tokens, whereas you provided 20000.")
    upstream.queue(Fail(400, refusal), Reply(text="a"), Reply(text="b"))
    with running_from_file(path) as (url, _app):
        assert httpx.post(f"{url}/v1/messages", json=ask).status_code == 200
        write_env(path, {**env, "LOG_LEVEL": "WARNING"})
        assert httpx.post(f"{url}/v1/admin/reload", headers=ADMIN).status_code == 200
        assert httpx.post(f"{url}/v1/messages", json=ask).status_code == 200
    assert [r.body["max_tokens"] for r in upstream.received] == [20000, 16384, 16384]
