"""Prompt caching through OpenRouter, end to end: lynkr on loopback (MODEL_PROVIDER=openrouter)
in front of a fake OpenRouter, with the official SDKs as clients. Claude Code's own breakpoints
reach a Claude model where it placed them; a client that sets none (an Anthropic SDK agent,
a Codex-like Responses loop) gets lynkr's, moving each turn; the cache use OpenRouter reports
comes back to the client as cache reads and writes; OpenAI, and OpenAI's models on OpenRouter,
receive no cache_control at all."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any

import anthropic
import openai
import pytest

from tests.conftest import ProxyFactory
from tests.fakes.openrouter import Answer, FakeOpenRouter
from tests.fakes.server import serving

CACHED = {"type": "ephemeral"}
CLAUDE = "anthropic/claude-sonnet-4.5"
INSTRUCTIONS = "You are Claude Code, Anthropic's official CLI for Claude. " * 200
BASH = {"name": "Bash", "description": "Run a command",
        "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}
READ = {"name": "Read", "description": "Read a file",
        "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}


@pytest.fixture
def openrouter() -> Iterator[FakeOpenRouter]:
    with serving(FakeOpenRouter()) as fake:
        yield fake


def lynkr(factory: ProxyFactory, fake: FakeOpenRouter,
          model: str = CLAUDE) -> AbstractContextManager[str]:
    """lynkr in front of the fake OpenRouter serving ``model``."""
    return factory(MODEL_PROVIDER="openrouter", OPENROUTER_API_KEY="sk-or",
                   OPENROUTER_ENDPOINT=f"{fake.url}/api/v1", OPENROUTER_MODEL=model,
                   TOOL_RESULT_COMPRESSION="off")


def marks(body: dict[str, Any]) -> list[str]:
    """Where a chat body's breakpoints are, as paths."""
    found = [f"tools.{t['function']['name']}" for t in body.get("tools", [])
             if "cache_control" in t]
    found += [f"messages.{i}.content.{j}" for i, m in enumerate(body["messages"])
              if isinstance(m["content"], list)
              for j, part in enumerate(m["content"]) if "cache_control" in part]
    return found


def test_claude_codes_breakpoints_reach_openrouter_claude_where_it_placed_them(
        openrouter: FakeOpenRouter, proxy_factory: ProxyFactory) -> None:
    with lynkr(proxy_factory, openrouter) as url:
        claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        with claude.messages.stream(
                model="claude-opus-4-6", max_tokens=100,
                system=[{"type": "text", "text": "x-anthropic-billing-header: cc=1"},
                        {"type": "text", "text": INSTRUCTIONS, "cache_control": CACHED}],
                tools=[BASH, {**READ, "cache_control": CACHED}],
                messages=[
                    {"role": "user", "content": "Fix the failing test"},
                    {"role": "assistant", "content": [
                        {"type": "tool_use", "id": "toolu_1", "name": "Bash",
                         "input": {"command": "pytest"}}]},
                    {"role": "user", "content": [
                        {"type": "tool_result", "tool_use_id": "toolu_1",
                         "content": "1 failed", "cache_control": CACHED},
                        {"type": "text", "text": "Go on.", "cache_control": CACHED}]}]) as s:
            s.get_final_message()
    sent = openrouter.bodies[-1]
    assert sent["model"] == CLAUDE
    assert marks(sent) == ["tools.Read", "messages.0.content.1", "messages.3.content.0",
                           "messages.4.content.0"]
    assert sent["messages"][0]["content"][1] == {"type": "text", "text": INSTRUCTIONS,
                                                 "cache_control": CACHED}
    assert sent["messages"][3] == {"role": "tool", "tool_call_id": "toolu_1", "content": [
        {"type": "text", "text": "1 failed", "cache_control": CACHED}]}


def test_an_anthropic_agent_without_breakpoints_gets_them_moving_each_turn(
        openrouter: FakeOpenRouter, proxy_factory: ProxyFactory) -> None:
    openrouter.queue(Answer(call="toolu_1"), Answer(call="toolu_2"), Answer(text="Fixed."))
    messages: list[dict[str, Any]] = [{"role": "user", "content": "Fix the failing test"}]
    with lynkr(proxy_factory, openrouter) as url:
        claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        for turn in range(3):
            answer = claude.messages.create(model="claude-opus-4-6", max_tokens=100,
                                            system=INSTRUCTIONS, tools=[BASH, READ],
                                            messages=messages)
            messages += [{"role": "assistant", "content": [
                             b.model_dump(exclude_none=True) for b in answer.content]},
                         {"role": "user", "content": [
                             {"type": "tool_result", "tool_use_id": f"toolu_{turn + 1}",
                              "content": f"{turn + 1} failed"}]}]
    first, second, third = (marks(b) for b in openrouter.bodies)
    assert first == ["tools.Read", "messages.0.content.0", "messages.1.content.0"]
    assert second == ["tools.Read", "messages.0.content.0", "messages.1.content.0",
                      "messages.3.content.0"]
    # The previous turn's end (read) and the newest tool result (written).
    assert third == ["tools.Read", "messages.0.content.0", "messages.3.content.0",
                     "messages.5.content.0"]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_codex_tool_loop_reaches_openrouter_claude_with_breakpoints(
        openrouter: FakeOpenRouter, proxy_factory: ProxyFactory, stream: bool) -> None:
    openrouter.queue(Answer(call="call_1"), Answer(text="Fixed."))
    shell = {"type": "function", "name": "Bash", "description": "Run a command",
             "parameters": BASH["input_schema"]}
    items: list[Any] = [{"role": "user", "content": "Why does test_parse fail?"}]
    with lynkr(proxy_factory, openrouter) as url:
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        for _ in range(2):
            fields: dict[str, Any] = {"model": "gpt-5-codex", "instructions": INSTRUCTIONS,
                                      "input": items, "tools": [shell], "store": False}
            output = list(sdk.responses.create(stream=True, **fields))[-1].response.output \
                if stream else sdk.responses.create(**fields).output
            items = [*items, *(o.model_dump(exclude_none=True) for o in output)]
            items += [{"type": "function_call_output", "call_id": o.call_id,
                       "output": "FAILED tests/test_parse.py"}
                      for o in output if o.type == "function_call"]
    first, second = openrouter.bodies
    assert marks(first) == ["tools.Bash", "messages.0.content.0", "messages.1.content.0"]
    assert marks(second) == ["tools.Bash", "messages.0.content.0", "messages.1.content.0",
                             "messages.3.content.0"]
    assert second["messages"][3]["role"] == "tool"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_openrouters_cache_reads_and_writes_reach_the_anthropic_client(
        openrouter: FakeOpenRouter, proxy_factory: ProxyFactory, stream: bool) -> None:
    openrouter.queue(Answer(prompt_tokens=12_000, cached_tokens=10_000,
                            cache_write_tokens=1_500))
    with lynkr(proxy_factory, openrouter) as url:
        claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        fields: dict[str, Any] = {"model": "claude-opus-4-6", "max_tokens": 100,
                                  "system": INSTRUCTIONS,
                                  "messages": [{"role": "user", "content": "Hi"}]}
        if stream:
            with claude.messages.stream(**fields) as s:
                usage = s.get_final_message().usage
        else:
            usage = claude.messages.create(**fields).usage
    assert (usage.input_tokens, usage.cache_read_input_tokens,
            usage.cache_creation_input_tokens, usage.output_tokens) == (500, 10_000, 1_500, 20)


def claude_code_request(url: str) -> None:
    claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    claude.messages.create(
        model="claude-opus-4-6", max_tokens=100,
        system=[{"type": "text", "text": INSTRUCTIONS, "cache_control": CACHED}],
        tools=[{**BASH, "cache_control": CACHED}],
        messages=[{"role": "user", "content": "Fix it"},
                  {"role": "assistant", "content": "Looking."},
                  {"role": "user", "content": [{"type": "text", "text": "Go on.",
                                                "cache_control": CACHED}]}])


def test_an_openai_upstream_receives_no_cache_control(
        openrouter: FakeOpenRouter, proxy_factory: ProxyFactory) -> None:
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk", OPENAI_MODEL="gpt-5",
                       OPENAI_ENDPOINT=f"{openrouter.url}/v1") as url:
        claude_code_request(url)
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        sdk.responses.create(model="gpt-5-codex", instructions=INSTRUCTIONS,
                             input="Fix it", tools=[{"type": "function", "name": "Bash",
                                                     "parameters": BASH["input_schema"]}])
    assert len(openrouter.bodies) == 2
    assert all("cache_control" not in json.dumps(b) for b in openrouter.bodies)


def test_openais_models_on_openrouter_receive_no_cache_control(
        openrouter: FakeOpenRouter, proxy_factory: ProxyFactory) -> None:
    with lynkr(proxy_factory, openrouter, "openai/gpt-5") as url:
        claude_code_request(url)
    assert "cache_control" not in json.dumps(openrouter.bodies[-1])
