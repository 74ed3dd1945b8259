"""Prompt-cache breakpoints through OpenRouter, judged on the chat body OpenRouter's adapter
builds: a client that sets none (Codex, an OpenAI SDK agent) gets them on a Claude model where
the next turn reads them, placed only where a chat body holds one; a client's own reach
Claude, Gemini and Qwen; OpenAI and every other OpenAI-compatible upstream get none."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import given, settings

from lynkr.config import ProviderConfig
from lynkr.model import Request
from lynkr.optimize.cache_breakpoints import (
    MAX_BREAKPOINTS,
    breakpoints_for_target,
    reads_breakpoints,
    with_cache_breakpoints,
)
from lynkr.providers.openai_compat import (
    OpenAIProvider,
    OpenRouterProvider,
    ReasoningHistoryProvider,
    openrouter_takes_cache_control,
)
from lynkr.wire import anthropic, openai_responses
from tests.optimize.test_cache_breakpoints import codex_turn
from tests.optimize.test_cache_breakpoints_properties import (
    REQUESTS,
    breakpoints,
    marked_bodies,
    to_anthropic,
)

CACHED = {"type": "ephemeral"}
CLAUDE = "anthropic/claude-sonnet-4.5"
_CLIENT = httpx.AsyncClient()
OPENROUTER = OpenRouterProvider(ProviderConfig("openrouter", "http://unused/api/v1", "k"),
                                _CLIENT)


def to_openrouter(request: Request, model: str = CLAUDE, *, placed: bool = True,
                  provider: str = "openrouter") -> dict[str, Any]:
    """The chat body OpenRouter gets for ``request``, after the pipeline's breakpoint step."""
    if placed:
        request = breakpoints_for_target(request, "openai_chat", model, "auto",
                                         provider=provider)
    return OPENROUTER.payload(request, model, False)


def marks(body: dict[str, Any]) -> list[str]:
    """Where a chat body's breakpoints are, as paths."""
    found = [f"tools.{i}" for i, t in enumerate(body.get("tools", [])) if "cache_control" in t]
    found += [f"messages.{i}.content.{j}" for i, m in enumerate(body["messages"])
              if isinstance(m["content"], list)
              for j, part in enumerate(m["content"]) if "cache_control" in part]
    return found


def test_a_codex_tool_turn_to_claude_gets_the_tools_the_system_and_both_turns_marked() -> None:
    body = to_openrouter(openai_responses.parse_request(codex_turn(2)))
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant", "tool"]
    # The last tool (apply_patch is native: it goes rebuilt, unmarked), the instructions,
    # the newest tool result and the one the previous turn ended with.
    assert marks(body) == ["tools.1", "messages.0.content.1", "messages.3.content.0",
                           "messages.5.content.0"]
    assert body["messages"][5]["content"] == [
        {"type": "text", "text": "FAILED test_parse (1)", "cache_control": CACHED}]


def test_each_turn_reads_where_the_previous_one_wrote() -> None:
    first = to_openrouter(openai_responses.parse_request(codex_turn(1)))
    second = to_openrouter(openai_responses.parse_request(codex_turn(2)))
    assert marks(first)[-1] == "messages.3.content.0"
    assert "messages.3.content.0" in marks(second)


def test_a_conversation_ending_in_tool_calls_alone_is_marked_before_them() -> None:
    """A tool call has no part to hold a breakpoint in chat: the text before it gets it."""
    request = anthropic.parse_request({
        "model": "m", "max_tokens": 10, "messages": [
            {"role": "user", "content": "Fix it"},
            {"role": "assistant", "content": [
                {"type": "tool_use", "id": "t1", "name": "Bash", "input": {}}]}],
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}}]})
    body = to_openrouter(request)
    assert marks(body) == ["tools.0", "messages.0.content.0"]
    assert "cache_control" not in json.dumps(body["messages"][1])


@pytest.mark.parametrize("model", ["openai/gpt-5", "google/gemini-2.5-pro",
                                   "qwen/qwen3-coder-plus", "deepseek/deepseek-chat",
                                   "meta-llama/llama-3.3-70b-instruct"])
def test_openrouter_models_other_than_claude_get_none_placed(model: str) -> None:
    body = to_openrouter(openai_responses.parse_request(codex_turn(2)), model)
    assert "cache_control" not in json.dumps(body)


@pytest.mark.parametrize(("family", "model", "provider", "reads"), [
    ("openai_chat", CLAUDE, "openrouter", True),
    ("openai_chat", "anthropic/claude-opus-4.6:nitro", "openrouter", True),
    ("openai_chat", "google/gemini-2.5-pro", "openrouter", False),
    ("openai_chat", "openai/gpt-5", "openrouter", False),
    ("openai_chat", CLAUDE, "openai", False),  # a gateway's name for it is not OpenRouter's
    ("openai_chat", "claude-sonnet-4-5", "llamacpp", False),
    ("anthropic", "claude-sonnet-4-5", "anthropic", True),
])
def test_only_openrouter_claude_reads_breakpoints_among_chat_upstreams(
        family: str, model: str, provider: str, reads: bool) -> None:
    assert reads_breakpoints(family, model, provider) is reads


@pytest.mark.parametrize("model", [CLAUDE, "anthropic/claude-3.5-haiku",
                                   "anthropic/claude-opus-4.6:nitro"])
def test_every_model_lynkr_places_breakpoints_for_carries_them(model: str) -> None:
    assert reads_breakpoints("openai_chat", model, "openrouter")
    assert openrouter_takes_cache_control(model)


@pytest.mark.parametrize(("model", "takes"), [
    (CLAUDE, True), ("google/gemini-2.5-flash", True), ("google/gemini-3-pro-preview", True),
    ("qwen/qwen3-coder-plus", True), ("qwen/qwen3-max", True), ("deepseek/deepseek-v3.2", True),
    ("qwen/qwen3.5-plus-02-15", False),  # a dated snapshot: no explicit caching
    ("google/gemma-3-27b-it", False), ("openai/gpt-5", False), ("x-ai/grok-4", False),
    ("deepseek/deepseek-chat", False), ("moonshotai/kimi-k2", False),
])
def test_the_models_openrouter_caches_only_at_breakpoints(model: str, takes: bool) -> None:
    assert openrouter_takes_cache_control(model) is takes


@settings(max_examples=200, deadline=None)
@given(REQUESTS)
def test_every_breakpoint_placed_for_openrouter_claude_reaches_its_body(
        request: Request) -> None:
    """As many as an Anthropic upstream gets for the same request, never on empty text."""
    placed = with_cache_breakpoints(request, chat=True)
    body = to_openrouter(placed, placed=False)
    sent = breakpoints(body)
    assert len(sent) == len(breakpoints(to_anthropic(placed))) <= MAX_BREAKPOINTS
    assert all(part.get("type") != "text" or part["text"].strip() for part in sent)


@settings(max_examples=200, deadline=None)
@given(marked_bodies())
def test_claude_codes_own_breakpoints_never_reach_an_openai_upstream(
        body: dict[str, Any]) -> None:
    request = anthropic.parse_request(body)
    for adapter, model, name in [(OpenAIProvider, "gpt-5", "openai"),
                                 (ReasoningHistoryProvider, "deepseek-chat", "deepseek"),
                                 (OpenRouterProvider, "openai/gpt-5", "openrouter")]:
        provider = adapter(ProviderConfig(name, "http://unused/v1", "k"), _CLIENT)
        routed = breakpoints_for_target(request, provider.family, model, "auto",
                                        provider=name)
        assert "cache_control" not in json.dumps(provider.payload(routed, model, True))


@settings(max_examples=200, deadline=None)
@given(marked_bodies())
def test_claude_codes_own_breakpoints_reach_openrouter_claude_at_most_four(
        body: dict[str, Any]) -> None:
    request = anthropic.parse_request(body)
    assert len(breakpoints(to_openrouter(request))) <= MAX_BREAKPOINTS
