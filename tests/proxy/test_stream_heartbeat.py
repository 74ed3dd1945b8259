"""A stream that goes quiet (a slow model writing one long tool call, which lynkr holds until
its arguments are whole) gets heartbeats in the client's format, so clients that drop a silent
stream (Claude Code: 180 s without a byte) keep it; the answer is unchanged."""

from __future__ import annotations

import json
import time

import anthropic
import httpx
import openai

from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

# Frames 0.03 s apart: every gap is longer than the 0.01 s heartbeat below.
SLOW_CALL = Reply(text="", tool_calls=[ToolCall("Write", {"file_path": "a.py",
                                                          "content": "print(1)\n" * 4})],
                  finish="tool_calls", chunk_size=32, frame_delay=0.03)
WRITE = {"name": "Write", "input_schema": {"type": "object"}}
ASK = [{"role": "user", "content": "write a.py"}]


def lynkr(proxy_factory, upstream: FakeUpstream, heartbeat: str):  # type: ignore[no-untyped-def]
    return proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k",
                         OPENAI_ENDPOINT=f"{upstream.url}/v1", STREAM_HEARTBEAT_SECONDS=heartbeat)


def test_an_anthropic_client_gets_ping_events_after_message_start(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(SLOW_CALL, SLOW_CALL)
    with lynkr(proxy_factory, upstream, "0.01") as url:
        raw = httpx.post(f"{url}/v1/messages", timeout=30, json={
            "model": "m", "max_tokens": 200, "stream": True, "tools": [WRITE],
            "messages": ASK}).text
        sdk = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        with sdk.messages.stream(model="m", max_tokens=200, tools=[WRITE],  # type: ignore[list-item]
                                 messages=ASK) as stream:  # type: ignore[arg-type]
            message = stream.get_final_message()
    events = [line.removeprefix("event: ") for line in raw.splitlines()
              if line.startswith("event: ")]
    assert "ping" in events and events.index("ping") > events.index("message_start")
    call = message.content[-1]
    assert call.type == "tool_use" and call.input == SLOW_CALL.tool_calls[0].arguments


def test_openai_clients_get_comment_lines_their_parsers_skip(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(SLOW_CALL, SLOW_CALL)
    with lynkr(proxy_factory, upstream, "0.01") as url:
        raw = httpx.post(f"{url}/v1/chat/completions", timeout=30, json={
            "model": "m", "stream": True, "messages": ASK,
            "tools": [{"type": "function", "function": {"name": "Write", "parameters": {}}}]}).text
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        chunks = list(sdk.chat.completions.create(
            model="m", stream=True, messages=ASK,  # type: ignore[arg-type]
            tools=[{"type": "function", "function": {"name": "Write", "parameters": {}}}]))
    assert ": keep-alive" in raw.splitlines()
    arguments = "".join(c.choices[0].delta.tool_calls[0].function.arguments or ""
                        for c in chunks if c.choices and c.choices[0].delta.tool_calls)
    assert json.loads(arguments) == SLOW_CALL.tool_calls[0].arguments


def test_responses_clients_get_numbered_keepalive_events_as_openai_sends(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    """Codex times a stream out on its events and ignores comment lines."""
    upstream.queue(SLOW_CALL, SLOW_CALL)
    tools = [{"type": "function", "name": "Write", "parameters": {"type": "object"}}]
    with lynkr(proxy_factory, upstream, "0.01") as url:
        raw = httpx.post(f"{url}/v1/responses", timeout=30, json={
            "model": "m", "stream": True, "input": "write a.py", "tools": tools}).text
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        with sdk.responses.stream(model="m", input="write a.py",
                                  tools=tools) as stream:  # type: ignore[arg-type]
            final = stream.get_final_response()
    events = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    kinds = [e["type"] for e in events]
    assert "keepalive" in kinds and kinds[0] == "response.created"
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    call = final.output[-1]
    assert call.type == "function_call"
    assert json.loads(call.arguments) == SLOW_CALL.tool_calls[0].arguments


def test_zero_turns_heartbeats_off(upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(SLOW_CALL)
    with lynkr(proxy_factory, upstream, "0") as url:
        raw = httpx.post(f"{url}/v1/messages", timeout=30, json={
            "model": "m", "max_tokens": 200, "stream": True, "messages": ASK}).text
    assert "ping" not in raw and "keep-alive" not in raw


def test_a_client_hanging_up_between_heartbeats_still_cancels_the_upstream(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(Reply(text="x" * 2000, chunk_size=1, frame_delay=0.03))
    with lynkr(proxy_factory, upstream, "0.01") as url:
        with httpx.stream("POST", f"{url}/v1/messages", timeout=30, json={
                "model": "m", "max_tokens": 50, "stream": True, "messages": ASK}) as response:
            for line in response.iter_lines():
                if line == "event: ping":
                    break  # hang up while the upstream is still writing
        deadline = time.monotonic() + 5
        while upstream.cancelled == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert upstream.cancelled == 1
