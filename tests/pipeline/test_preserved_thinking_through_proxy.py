"""Preserved thinking through the proxy: a Claude-Code-like tool loop (thinking on, several
tools, big tool results, a second prompt with a new intent, memory and cache on), driven with
the official Anthropic SDK, reaches an Anthropic upstream as an append-only conversation;
an OpenAI upstream still gets tool selection and compression."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import pytest

from lynkr.optimize.memory import MEMORY_HEADER
from tests.fakes.upstream import Fail, FakeUpstream, Reply, ToolCall
from tests.pipeline.prefix_check import prefix_break

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "compression"
TOOLS: list[dict[str, Any]] = json.loads((DATA / "claude_code_14_tools.json").read_text())["tools"]
GREP = json.dumps(json.loads((DATA / "l2_grep_results.json").read_text()), indent=2)
TEST_LOG = "\n".join([*(f"tests/test_mod{i}.py::test_case_{i} PASSED" for i in range(300)),
                      "tests/test_mod7.py::test_install FAILED",
                      "=== 1 failed, 300 passed in 4.20s ==="])
SYSTEM = [{"type": "text", "text": "You are Claude Code, a coding agent.\nWorking directory: "
                                   "/repo", "cache_control": {"type": "ephemeral"}}]
THINKING = {"type": "enabled", "budget_tokens": 2048}
FIRST = "The project uses uv for packaging. What does the README say about installation?"
SECOND = "Now add a section on running the tests to README.md and run them."
# What the model does, step by step: (thinking, text, tool call), and what the tool gives back.
SCRIPT: list[tuple[Reply, str | None]] = [
    (Reply(thinking="Search for install notes.", text="",
           tool_calls=[ToolCall("Grep", {"pattern": "install"}, id="toolu_1")]), GREP),
    # Bash is not among the tools a read-only question needs: a call to it is a dropped tool.
    (Reply(thinking="Check the test suite.", text="",
           tool_calls=[ToolCall("Bash", {"command": "pytest"}, id="toolu_2")]), TEST_LOG),
    (Reply(thinking="Enough to answer.", text="Install with `uv sync`."), None),
    (Reply(thinking="Edit the README.", text="",
           tool_calls=[ToolCall("Edit", {"file_path": "README.md", "old_string": "a",
                                         "new_string": "b"}, id="toolu_3")]), "Edited."),
    (Reply(thinking="Done.", text="Added a Tests section."), None),
]


def claude_code_loop(url: str, stream: bool) -> list[anthropic.types.Message]:
    """Run :data:`SCRIPT` as Claude Code would: every request carries the whole conversation
    (with a role:"system" note per step), tools and system, the cache breakpoint moved to the
    newest message."""
    client = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    messages: list[dict[str, Any]] = [{"role": "user", "content": FIRST}]
    answers = []
    for step, (_, tool_output) in enumerate(SCRIPT):
        # Claude Code 2.x appends a role:"system" note to the conversation on most steps.
        messages.append({"role": "system", "content": f"<budget>{900 - step} turns</budget>"})
        request = {"model": "claude-fable-5-2", "max_tokens": 8192, "system": SYSTEM,
                   "tools": TOOLS, "thinking": THINKING, "messages": _breakpoint_last(messages)}
        if stream:
            with client.messages.stream(**request) as events:
                answer = events.get_final_message()
        else:
            answer = client.messages.create(**request)
        answers.append(answer)
        if step == 0:
            time.sleep(0.5)  # the first prompt's fact is learned in the background
        messages.append({"role": "assistant",
                         "content": [b.model_dump(exclude_none=True) for b in answer.content]})
        call = next((b for b in answer.content if b.type == "tool_use"), None)
        if call is not None:
            messages.append({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": call.id, "content": tool_output}]})
        elif step < len(SCRIPT) - 1:
            messages.append({"role": "user", "content": SECOND})
    return answers


def _breakpoint_last(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation with the cache breakpoint on the newest user turn (before its note)."""
    *earlier, user, note = messages
    return [*earlier, {**user, "content": _marked(user["content"])}, note]


def _marked(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
    return [*blocks[:-1], {**blocks[-1], "cache_control": {"type": "ephemeral"}}]


@pytest.fixture
def claude_upstream(upstream: FakeUpstream, proxy_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    upstream.queue(*(reply for reply, _ in SCRIPT))
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url, SEMANTIC_CACHE_ENABLED="true",
                       MEMORY_ENABLED="true") as url:
        yield url


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
def test_a_claude_code_tool_loop_reaches_an_anthropic_upstream_append_only(
        claude_upstream: str, upstream: FakeUpstream, stream: bool) -> None:
    answers = claude_code_loop(claude_upstream, stream)
    assert answers[-1].content[-1].text == "Added a Tests section."
    bodies = [r.body for r in upstream.received]
    assert len(bodies) == len(SCRIPT) and all(b["thinking"] == THINKING for b in bodies)
    assert sum(m["role"] == "system" for m in bodies[-1]["messages"]) == len(SCRIPT)
    for step, (earlier, later) in enumerate(zip(bodies, bodies[1:], strict=False)):
        assert prefix_break(earlier, later) is None, f"request {step + 1} -> {step + 2}"


def test_an_anthropic_upstream_gets_every_tool_and_no_expand_tool_but_lossless_savings(
        claude_upstream: str, upstream: FakeUpstream) -> None:
    claude_code_loop(claude_upstream, stream=True)
    last = upstream.last.body
    assert [t["name"] for t in last["tools"]] == [t["name"] for t in TOOLS]
    assert "lynkr_expand" not in json.dumps(last)
    assert MEMORY_HEADER not in json.dumps(last["system"])
    grep_result, test_result = (result_text(last, f"toolu_{n}") for n in (1, 2))
    assert len(grep_result) < len(GREP) * 0.6  # JSON rows as TOON: lossless
    assert test_result == TEST_LOG  # only a lossy rewrite would shorten it


def result_text(body: dict[str, Any], tool_use_id: str) -> str:
    """The text of a tool's result in an Anthropic body."""
    content = next(b["content"] for m in body["messages"] if m["role"] == "user"
                   for b in m["content"] if b.get("tool_use_id") == tool_use_id)
    return content if isinstance(content, str) else "".join(b["text"] for b in content)


@pytest.fixture
def openai_upstream(upstream: FakeUpstream, proxy_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    upstream.queue(*(reply for reply, _ in SCRIPT))
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", OPENAI_MODEL="gpt-fake",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", SEMANTIC_CACHE_ENABLED="true",
                       MEMORY_ENABLED="true") as url:
        yield url


def test_the_same_loop_to_an_openai_upstream_still_selects_tools_and_compresses(
        openai_upstream: str, upstream: FakeUpstream) -> None:
    # An earlier session taught the project a fact, so the loop gets a memory block (one
    # learned inside the loop is in its own history; its block stays as its first turn had it).
    upstream.script.appendleft(Reply(text="Noted."))
    anthropic.Anthropic(base_url=openai_upstream, api_key="x", max_retries=0).messages.create(
        model="claude-fable-5-2", max_tokens=100, system=SYSTEM,
        messages=[{"role": "user", "content": "The project uses uv for packaging."}])
    time.sleep(0.5)
    upstream.received.clear()
    claude_code_loop(openai_upstream, stream=True)
    first, later = upstream.received[0].body, upstream.received[2].body
    names = [t["function"]["name"] for t in first["tools"]]
    assert "lynkr_expand" in names and len(names) - 1 < len(TOOLS)
    tool_texts = [m["content"] for m in later["messages"] if m["role"] == "tool"]
    assert len(tool_texts[0]) < len(GREP) / 2
    assert "lynkr_expand id=" in tool_texts[1]  # the passing tests were left out, fetchable
    system = "\n".join(m["content"] for m in later["messages"] if m["role"] == "system")
    assert MEMORY_HEADER in system


def test_fallback_to_an_anthropic_upstream_sends_the_prefix_keeping_form(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(Fail(500), Reply(thinking="Look.", text="It says `uv sync`."))
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", OPENAI_MODEL="gpt-fake",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url, FALLBACK_ENABLED="true",
                       FALLBACK_PROVIDER="anthropic") as url:
        answer = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0).messages.create(
            model="claude-fable-5-2", max_tokens=8192, system=SYSTEM, tools=TOOLS,
            thinking=THINKING, messages=[{"role": "user", "content": FIRST}])
    assert answer.content[-1].text == "It says `uv sync`."
    openai_body, anthropic_body = (r.body for r in upstream.received)
    assert len(openai_body["tools"]) - 1 < len(TOOLS)  # selected, plus lynkr_expand
    assert [t["name"] for t in anthropic_body["tools"]] == [t["name"] for t in TOOLS]


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
def test_a_cache_hit_carries_no_thinking(claude_upstream: str, upstream: FakeUpstream,
                                         stream: bool) -> None:
    upstream.script.clear()
    upstream.queue(Reply(thinking="Recall the docs.", text="A closure captures its scope."))
    client = anthropic.Anthropic(base_url=claude_upstream, api_key="x", max_retries=0)
    request = {"model": "claude-fable-5-2", "max_tokens": 8192, "thinking": THINKING,
               "messages": [{"role": "user", "content": "What is a closure in JavaScript?"}]}
    first = client.messages.create(**request)
    assert [b.type for b in first.content] == ["thinking", "text"]
    time.sleep(0.5)  # answers are stored in the background
    if stream:
        with client.messages.stream(**request) as events:
            hit = events.get_final_message()
    else:
        raw = client.messages.with_raw_response.create(**request)
        assert raw.headers["x-lynkr-cache"] == "hit"
        hit = raw.parse()
    assert [b.type for b in hit.content] == ["text"]
    assert hit.content[0].text == "A closure captures its scope."
    assert len(upstream.received) == 1


def test_an_anthropic_answer_that_reads_like_a_printed_tool_call_reaches_the_client_as_text(
        claude_upstream: str, upstream: FakeUpstream) -> None:
    # A signed answer changed on its way would not be what the client sends back next turn.
    printed = '{"name": "Read", "parameters": {"file_path": "README.md"}}'
    upstream.script.clear()
    upstream.queue(Reply(thinking="They want the JSON.", text=printed))
    answer = anthropic.Anthropic(base_url=claude_upstream, api_key="x",
                                 max_retries=0).messages.create(
        model="claude-fable-5-2", max_tokens=8192, tools=TOOLS, thinking=THINKING,
        messages=[{"role": "user", "content": "Print the JSON of a Read call for README.md"}])
    assert [b.type for b in answer.content] == ["thinking", "text"]
    assert answer.content[1].text == printed and answer.stop_reason == "end_turn"
