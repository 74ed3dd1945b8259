"""A client that sets no output limit (Codex sends no ``max_output_tokens``) means "as long as
the model can write"; the Messages API requires one, so Claude gets 32,000 (Claude Code's own
ask), not 4,096, which cut Codex's long patches short. An older model that writes less says
so in its refusal; lynkr asks again within it and remembers."""

from __future__ import annotations

import openai

from tests.fakes import quirks
from tests.fakes.upstream import FakeUpstream, Reply


def codex_turns(url: str, count: int) -> list[str]:
    sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
    return [sdk.responses.create(model="codex", input="write the patch").output_text
            for _ in range(count)]


def test_claude_gets_room_for_a_long_answer(upstream: FakeUpstream,
                                            proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(Reply(text="patch"))
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url, ANTHROPIC_MODEL="claude-sonnet-4-6") as url:
        assert codex_turns(url, 1) == ["patch"]
    assert upstream.last.body["max_tokens"] == 32_000


def test_an_older_claude_is_asked_again_within_its_limit_and_then_at_once(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.refusals.append(quirks.claude_output_limit)
    upstream.queue(Reply(text="one"), Reply(text="two"))
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url,
                       ANTHROPIC_MODEL="claude-3-5-haiku-20241022") as url:
        assert codex_turns(url, 2) == ["one", "two"]
    assert [r.body["max_tokens"] for r in upstream.received] == [32_000, 8192, 8192]
