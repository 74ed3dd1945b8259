"""Anthropic SDK clients (as Claude Code would be) served through lynkr by each upstream
family: OpenAI-compatible chat, Ollama native, and Anthropic itself."""

from __future__ import annotations

import anthropic
import pytest

from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                     "required": ["city"]},
}


@pytest.fixture(params=["openai", "ollama", "anthropic"])
def family_proxy(request, upstream: FakeUpstream, proxy_factory):  # type: ignore[no-untyped-def]
    env = {
        "openai": dict(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk-test",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", OPENAI_MODEL="gpt-fake"),
        "ollama": dict(MODEL_PROVIDER="ollama", OLLAMA_ENDPOINT=upstream.url,
                       OLLAMA_MODEL="qwen2.5-coder:7b"),
        "anthropic": dict(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="sk-ant-test",
                          ANTHROPIC_ENDPOINT=upstream.url, ANTHROPIC_MODEL="claude-fake"),
    }[request.param]
    with proxy_factory(**env) as url:
        yield request.param, url


def client(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)


def test_plain_text_answer(family_proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    family, url = family_proxy
    upstream.queue(Reply(text="Paris is the capital of France."))
    message = client(url).messages.create(
        model="claude-sonnet-4-6", max_tokens=100,
        messages=[{"role": "user", "content": "Capital of France?"}])
    assert message.content[0].text == "Paris is the capital of France."
    assert message.stop_reason == "end_turn"
    assert message.usage.input_tokens == 11 and message.usage.output_tokens == 7


def test_the_answer_names_the_model_asked_for_and_the_header_the_one_that_served(
        family_proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    """Claude Code strips the signed thinking from an answer whose model is not the one it
    asked for, which breaks thinking across tool turns."""
    family, url = family_proxy
    upstream.queue(Reply(text="a"), Reply(text="b"))
    raw = client(url).messages.with_raw_response.create(
        model="claude-sonnet-4-6", max_tokens=100, messages=[{"role": "user", "content": "hi"}])
    assert raw.parse().model == "claude-sonnet-4-6"
    assert raw.headers["x-lynkr-model"] in ("gpt-fake", "qwen2.5-coder:7b", "claude-fake")
    with client(url).messages.stream(
            model="claude-sonnet-4-6", max_tokens=100,
            messages=[{"role": "user", "content": "hi"}]) as stream:
        assert stream.get_final_message().model == "claude-sonnet-4-6"


def test_streamed_text_arrives_in_order(family_proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    family, url = family_proxy
    upstream.queue(Reply(text="one two three four five six seven", chunk_size=4))
    with client(url).messages.stream(
        model="claude-sonnet-4-6", max_tokens=100,
        messages=[{"role": "user", "content": "count"}]) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert len(pieces) > 1
    assert "".join(pieces) == "one two three four five six seven"
    assert final.stop_reason == "end_turn"


def test_tool_use_round_trip(family_proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    family, url = family_proxy
    upstream.queue(Reply(text="", tool_calls=[ToolCall("get_weather", {"city": "Oslo"},
                                                       id="call_abc")]),
                   Reply(text="It is 3°C in Oslo."))
    sdk = client(url)
    first = sdk.messages.create(
        model="claude-sonnet-4-6", max_tokens=100, tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "Weather in Oslo?"}])
    assert first.stop_reason == "tool_use"
    call = next(b for b in first.content if b.type == "tool_use")
    assert call.name == "get_weather" and call.input == {"city": "Oslo"}

    second = sdk.messages.create(
        model="claude-sonnet-4-6", max_tokens=100, tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "Weather in Oslo?"},
                  {"role": "assistant", "content": [b.model_dump() for b in first.content]},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call.id,
                                                "content": "3°C, light snow"}]}])
    assert second.content[0].text == "It is 3°C in Oslo."
    sent = upstream.last.body
    assert "3°C, light snow" in str(sent), "the tool result must reach the upstream"


def test_streamed_tool_call_arguments_are_reassembled(family_proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    family, url = family_proxy
    args = {"city": "Reykjavík", "units": "metric", "days": [1, 2, 3]}
    upstream.queue(Reply(text="Checking.", tool_calls=[ToolCall("get_weather", args)]))
    with client(url).messages.stream(
        model="claude-sonnet-4-6", max_tokens=100, tools=[WEATHER_TOOL],
        messages=[{"role": "user", "content": "Weather?"}]) as stream:
        final = stream.get_final_message()
    call = next(b for b in final.content if b.type == "tool_use")
    assert call.input == args
    assert final.stop_reason == "tool_use"


def test_claude_code_shaped_request_is_accepted(family_proxy, upstream: FakeUpstream) -> None:  # type: ignore[no-untyped-def]
    """Claude Code sends ?beta=true, system blocks with cache_control, a role:system entry
    inside messages, thinking config and fields we do not model."""
    family, url = family_proxy
    import httpx

    body = {
        "model": "claude-sonnet-4-6", "max_tokens": 32000, "stream": False,
        "system": [{"type": "text", "text": "You are Claude Code.",
                    "cache_control": {"type": "ephemeral"}}],
        "messages": [{"role": "system", "content": "Extra system note."},
                     {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "tools": [WEATHER_TOOL], "thinking": {"type": "enabled", "budget_tokens": 1024},
        "context_management": {"edits": []}, "output_config": {"effort": "medium"},
        "metadata": {"user_id": "u1"},
    }
    response = httpx.post(f"{url}/v1/messages?beta=true", json=body,
                          headers={"anthropic-version": "2023-06-01"})
    assert response.status_code == 200, response.text
    assert response.json()["content"][0]["type"] == "text"
    sent = upstream.last.body
    if family == "anthropic":  # same format upstream: unmodelled fields are passed through
        assert sent["context_management"] == {"edits": []}
    assert "Extra system note." in str(sent)
