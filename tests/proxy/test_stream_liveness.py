"""Streams are live: each upstream read reaches the client as it arrives, never held back
until the upstream finishes."""

from __future__ import annotations

import time

import anthropic
import openai
import pytest

from tests.fakes.upstream import FakeUpstream, Reply

SLOW = Reply(text="one two three four five", chunk_size=4, frame_delay=0.25)


@pytest.mark.parametrize("family", ["openai", "ollama", "anthropic"])
def test_first_token_arrives_before_the_upstream_finishes(family: str, upstream: FakeUpstream,
                                                          proxy_factory) -> None:  # type: ignore[no-untyped-def]
    env = {"openai": dict(MODEL_PROVIDER="openai", OPENAI_API_KEY="k",
                          OPENAI_ENDPOINT=f"{upstream.url}/v1"),
           "ollama": dict(MODEL_PROVIDER="ollama", OLLAMA_ENDPOINT=upstream.url),
           "anthropic": dict(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                             ANTHROPIC_ENDPOINT=upstream.url)}[family]
    upstream.queue(SLOW)
    with proxy_factory(**env) as url:
        sdk = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        started = time.monotonic()
        with sdk.messages.stream(model="m", max_tokens=50,
                                 messages=[{"role": "user", "content": "count"}]) as stream:
            first = next(iter(stream.text_stream))
            first_at = time.monotonic() - started
            rest = "".join(stream.text_stream)
        total = time.monotonic() - started
    assert first + rest == "one two three four five"
    # The upstream needs ~8 frames x 0.25 s; the first token must not wait for all of them.
    assert first_at < total - 0.75


def test_openai_client_sees_live_chunks_too(upstream: FakeUpstream, proxy: str) -> None:
    upstream.queue(SLOW)
    sdk = openai.OpenAI(base_url=f"{proxy}/v1", api_key="x", max_retries=0)
    started = time.monotonic()
    arrivals = [time.monotonic() - started
                for chunk in sdk.chat.completions.create(
                    model="m", stream=True, messages=[{"role": "user", "content": "go"}])
                if chunk.choices and chunk.choices[0].delta.content]
    assert arrivals[-1] - arrivals[0] > 0.75
