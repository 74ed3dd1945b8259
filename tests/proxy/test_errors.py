"""Every failure reaches the client as an error in its own wire format: never a traceback,
a hang, or a truncated answer dressed up as a success."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from tests.fakes.server import free_port
from tests.fakes.upstream import Cut, Fail, FakeUpstream, Garbage, Reply, Stall

USER = [{"role": "user", "content": "hi"}]


def anthropic_error(response: httpx.Response) -> dict:
    body = response.json()
    assert body["type"] == "error", body
    assert "Traceback" not in response.text
    return body["error"]


def openai_error(response: httpx.Response) -> dict:
    body = response.json()
    assert set(body) == {"error"}, body
    assert "Traceback" not in response.text
    return body["error"]


def test_malformed_json_is_400_in_anthropic_format(proxy: str) -> None:
    response = httpx.post(f"{proxy}/v1/messages", content=b"{not json",
                          headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert anthropic_error(response)["type"] == "invalid_request_error"


def test_malformed_json_is_400_in_openai_format(proxy: str) -> None:
    for path in ("/v1/chat/completions", "/v1/responses"):
        response = httpx.post(f"{proxy}{path}", content=b"[1, 2")
        assert response.status_code == 400
        assert openai_error(response)["type"] == "invalid_request_error"


def test_missing_messages_names_the_field(proxy: str) -> None:
    response = httpx.post(f"{proxy}/v1/messages", json={"model": "x", "max_tokens": 5})
    assert response.status_code == 400
    assert "messages" in anthropic_error(response)["message"]
    response = httpx.post(f"{proxy}/v1/chat/completions", json={"model": "x"})
    assert response.status_code == 400
    assert "messages" in openai_error(response)["message"]


def test_wrong_types_are_rejected_clearly(proxy: str) -> None:
    response = httpx.post(f"{proxy}/v1/messages",
                          json={"model": "x", "max_tokens": "lots", "messages": USER})
    assert response.status_code == 400
    assert "max_tokens" in anthropic_error(response)["message"]
    response = httpx.post(f"{proxy}/v1/chat/completions",
                          json={"model": "x", "messages": "hello"})
    assert response.status_code == 400
    openai_error(response)


def test_body_that_is_not_an_object(proxy: str) -> None:
    response = httpx.post(f"{proxy}/v1/messages", json=[1, 2, 3])
    assert response.status_code == 400
    anthropic_error(response)


def test_unknown_model_alias_is_404(proxy: str) -> None:
    response = httpx.post(f"{proxy}/v1/messages",
                          json={"model": "lynkr/turbo", "max_tokens": 5, "messages": USER})
    assert response.status_code == 404
    assert "lynkr/turbo" in anthropic_error(response)["message"]


def test_refused_connection_names_the_endpoint(proxy_factory) -> None:  # type: ignore[no-untyped-def]
    dead = f"http://127.0.0.1:{free_port()}"
    with proxy_factory(MODEL_PROVIDER="ollama", OLLAMA_ENDPOINT=dead) as url:
        sdk = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        with pytest.raises(anthropic.APIStatusError) as info:
            sdk.messages.create(model="m", max_tokens=5, messages=USER)
    assert info.value.status_code == 502
    assert dead in str(info.value) and "OLLAMA_ENDPOINT" in str(info.value)


@pytest.mark.parametrize("status", [400, 401, 429, 500, 503])
def test_upstream_status_and_message_are_passed_on(proxy: str, upstream: FakeUpstream,
                                                   status: int) -> None:
    upstream.queue(Fail(status, f"nope {status}"))
    response = httpx.post(f"{proxy}/v1/chat/completions",
                          json={"model": "gpt-4o", "messages": USER})
    assert response.status_code == status
    assert f"nope {status}" in openai_error(response)["message"]


def test_upstream_stall_times_out_cleanly(upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(Stall(10))
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", REQUEST_TIMEOUT="0.5",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1") as url:
        started = time.monotonic()
        response = httpx.post(f"{url}/v1/messages", timeout=10,
                              json={"model": "m", "max_tokens": 5, "messages": USER})
    assert time.monotonic() - started < 5
    assert response.status_code == 504
    assert anthropic_error(response)["type"] == "timeout_error"


def test_stream_cut_midway_ends_with_an_error_event(proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Cut(Reply(text="a long answer that will be cut", chunk_size=3), after=4))
    with httpx.stream("POST", f"{proxy}/v1/messages", json={
            "model": "m", "max_tokens": 50, "stream": True, "messages": USER}) as response:
        text = response.read().decode()
    assert response.status_code == 200
    assert "event: error" in text
    assert "message_stop" not in text


def test_stream_cut_midway_raises_in_the_openai_sdk(proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Cut(Reply(text="a long answer that will be cut", chunk_size=3), after=4))
    sdk = openai.OpenAI(base_url=f"{proxy}/v1", api_key="x", max_retries=0)
    with pytest.raises(openai.APIError):
        for _ in sdk.chat.completions.create(model="m", messages=USER, stream=True):
            pass


def test_garbage_stream_is_an_upstream_error(proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Garbage())
    response = httpx.post(f"{proxy}/v1/messages", json={
        "model": "m", "max_tokens": 5, "stream": True, "messages": USER})
    assert response.status_code == 502
    assert "malformed" in anthropic_error(response)["message"]


def test_client_disconnect_cancels_the_upstream_stream(proxy: str,
                                                       upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="x" * 20000, chunk_size=1))
    with httpx.stream("POST", f"{proxy}/v1/messages", json={
            "model": "m", "max_tokens": 50, "stream": True, "messages": USER}) as response:
        for _ in response.iter_bytes():
            break  # read one chunk, then hang up
    deadline = time.monotonic() + 5
    while upstream.cancelled == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.cancelled == 1


@pytest.mark.parametrize("path", ["/v1/messages", "/v1/chat/completions", "/v1/responses"])
def test_a_client_giving_up_on_a_whole_answer_cancels_the_upstream_request(
        proxy: str, upstream: FakeUpstream, path: str) -> None:
    upstream.queue(Stall(30))
    body = {"model": "m", "max_tokens": 50, "messages": USER} if path != "/v1/responses" \
        else {"model": "m", "input": "hi"}
    with pytest.raises(httpx.TimeoutException):
        httpx.post(f"{proxy}{path}", json=body, timeout=0.5)
    deadline = time.monotonic() + 5
    while upstream.cancelled == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.cancelled == 1
    assert httpx.get(f"{proxy}/").status_code == 200


def test_non_json_answer_from_upstream_is_a_502(proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Garbage())
    response = httpx.post(f"{proxy}/v1/chat/completions",
                          json={"model": "m", "messages": USER})
    assert response.status_code == 502
    assert "malformed JSON" in openai_error(response)["message"]
