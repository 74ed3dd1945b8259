"""Through the proxy, with the anthropic SDK: Claude Code's ``role: "system"`` entries reach a
llama.cpp or Ollama server in the user turns next to them, so the system prompt it gets, and
the KV cache it keeps for it, are the same on every turn of a session although an entry
changes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from tests.conftest import ProxyFactory
from tests.fakes.upstream import FakeUpstream, Reply

SYSTEM = [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}},
          {"type": "text", "text": "Use the tools to help the user."}]
ENVIRONMENT = "# Environment\n - Primary working directory: /repo\n - Platform: linux"


@pytest.fixture
def llamacpp_proxy(upstream: FakeUpstream, proxy_factory: ProxyFactory) -> Iterator[str]:
    with proxy_factory(MODEL_PROVIDER="llamacpp", LLAMACPP_ENDPOINT=upstream.url) as url:
        yield url


@pytest.fixture
def ollama_proxy(upstream: FakeUpstream, proxy_factory: ProxyFactory) -> Iterator[str]:
    with proxy_factory(MODEL_PROVIDER="ollama", OLLAMA_ENDPOINT=upstream.url) as url:
        yield url


def session(url: str) -> None:
    """Two turns of one session, the second adding a prompt and an entry after it."""
    client = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    history: list[dict[str, Any]] = [
        {"role": "user", "content": "what's in pay.py?"},
        {"role": "system", "content": ENVIRONMENT}]
    answer = turn(client, history, 0)
    history += [{"role": "assistant", "content": answer},
                {"role": "user", "content": "Plan a migration. ultrathink"},
                {"role": "system", "content": "The user asked for deeper reasoning."}]
    turn(client, history, 1)


def turn(client: anthropic.Anthropic, messages: list[dict[str, Any]], n: int) -> str:
    """One request as Claude Code sends it (streamed), closing with an entry whose text is
    new on every turn; the answer's text."""
    closing = {"role": "system", "content": f"<total_tokens>{n}</total_tokens>"}
    with client.messages.stream(
            model="claude-sonnet-4-6", max_tokens=1000, system=SYSTEM,  # type: ignore[arg-type]
            messages=[*messages, closing],  # type: ignore[list-item]
    ) as stream:
        return stream.get_final_message().content[0].text  # type: ignore[union-attr]


def test_two_turns_with_a_changing_late_system_entry_give_one_leading_system_message(
        llamacpp_proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="pay.py holds pay()."), Reply(text="Here is the plan."))
    session(llamacpp_proxy)

    first, second = (r.body["messages"] for r in upstream.received[-2:])
    assert json.dumps(first[0]) == json.dumps(second[0]) == json.dumps(
        {"role": "system", "content": "You are Claude Code.\n\nUse the tools to help the user."})
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
    assert second[1] == {"role": "user", "content": [
        {"type": "text", "text": "what's in pay.py?"},
        {"type": "text", "text": f"<system-reminder>\n{ENVIRONMENT}\n</system-reminder>"}]}
    assert second[-1]["content"][1:] == [
        {"type": "text", "text": "<system-reminder>\nThe user asked for deeper reasoning.\n"
                                 "</system-reminder>"},
        {"type": "text", "text": "<system-reminder>\n<total_tokens>1</total_tokens>\n"
                                 "</system-reminder>"}]


def test_ollama_gets_one_system_message_on_both_turns_and_the_entries_in_user_messages(
        ollama_proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="pay.py holds pay()."), Reply(text="Here is the plan."))
    session(ollama_proxy)
    first, second = (r.body["messages"] for r in upstream.received[-2:])
    assert first[0] == second[0] == {
        "role": "system", "content": "You are Claude Code.\n\nUse the tools to help the user."}
    assert first[1] == {"role": "user", "content": (
        f"what's in pay.py?\n<system-reminder>\n{ENVIRONMENT}\n</system-reminder>\n"
        "<system-reminder>\n<total_tokens>0</total_tokens>\n</system-reminder>")}
    assert second[1]["content"].startswith(
        f"what's in pay.py?\n<system-reminder>\n{ENVIRONMENT}\n</system-reminder>")
    assert [m["role"] for m in second] == ["system", "user", "assistant", "user"]
