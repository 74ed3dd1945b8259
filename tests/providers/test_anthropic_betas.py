"""Claude Code sends beta fields (``context_management``, ``output_config.effort``) with their
betas named in ``anthropic-beta``; the Messages API refuses such a field when its beta is
not named. Through lynkr to an Anthropic upstream that applies the refusal, with the SDK."""

from __future__ import annotations

import anthropic
import pytest

from tests.fakes import quirks
from tests.fakes.paths import PathsUpstream
from tests.fakes.upstream import FakeUpstream

CLAUDE_CODE_BETAS = "claude-code-20250219,context-management-2025-06-27,effort-2025-11-24"
EXTRA = {"context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
         "output_config": {"effort": "high"}}


@pytest.mark.parametrize("stream", [False, True])
def test_claude_codes_beta_fields_reach_anthropic_with_their_betas(
        stream: bool, upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.refusals.append(quirks.anthropic_beta_fields)
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="sk-ant",
                       ANTHROPIC_ENDPOINT=upstream.url) as url:
        claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        kwargs = {"model": "lynkr/auto", "max_tokens": 1000, "extra_body": EXTRA,
                  "extra_headers": {"anthropic-beta": CLAUDE_CODE_BETAS},
                  "messages": [{"role": "user", "content": "hi"}]}
        if stream:
            with claude.messages.stream(**kwargs) as events:  # type: ignore[arg-type]
                text = events.get_final_message().content[0].text
        else:
            text = claude.messages.create(**kwargs).content[0].text  # type: ignore[arg-type]
    assert text == "Hello from the fake upstream."
    sent = upstream.last
    assert sent.body["context_management"] == EXTRA["context_management"]
    assert set(sent.headers["anthropic-beta"].split(",")) >= {
        "context-management-2025-06-27", "effort-2025-11-24"}


def test_no_beta_is_named_when_no_beta_field_is_sent(paths_upstream: PathsUpstream,
                                                     proxy_factory) -> None:  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="azure-anthropic", AZURE_ANTHROPIC_API_KEY="foundry",
                       AZURE_ANTHROPIC_ENDPOINT=f"{paths_upstream.url}/anthropic",
                       AZURE_ANTHROPIC_MODEL="claude-sonnet-4-5") as url:
        claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        claude.messages.create(model="lynkr/auto", max_tokens=100,
                               messages=[{"role": "user", "content": "hi"}])
    assert "anthropic-beta" not in paths_upstream.last.headers
