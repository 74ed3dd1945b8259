"""Codex's namespaced MCP tools and its client tool search, through lynkr to upstreams that
speak another format, with the official OpenAI SDK as the Responses client."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.conftest import ProxyFactory
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

GREP = {"type": "function", "name": "grep", "description": "Search file contents.",
        "strict": False, "parameters": {"type": "object", "properties": {
            "pattern": {"type": "string"}}, "required": ["pattern"]}}
LYNKR_MCP = {"type": "namespace", "name": "mcp__lynkr", "description": "Code tools.",
             "tools": [GREP]}
TOOL_SEARCH = {"type": "tool_search", "execution": "client",
               "description": "Searches over deferred tool metadata.",
               "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                              "required": ["query"]}}
ASK = {"type": "message", "role": "user",
       "content": [{"type": "input_text", "text": "Find the TODOs with grep"}]}


@pytest.fixture(params=["anthropic", "openai_chat"])
def upstream_format(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sdk(upstream: FakeUpstream, proxy_factory: ProxyFactory,
        upstream_format: str) -> Iterator[openai.OpenAI]:
    settings = (
        {"MODEL_PROVIDER": "anthropic", "ANTHROPIC_API_KEY": "sk-ant",
         "ANTHROPIC_ENDPOINT": upstream.url, "ANTHROPIC_MODEL": "claude-fake"}
        if upstream_format == "anthropic" else
        {"MODEL_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test",
         "OPENAI_ENDPOINT": f"{upstream.url}/v1", "OPENAI_MODEL": "gpt-fake"})
    with proxy_factory(**settings) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)


def offered(body: dict[str, Any]) -> list[str]:
    return [t.get("name") or t["function"]["name"] for t in body.get("tools", [])]


def tool_results(body: dict[str, Any]) -> list[str]:
    """The text of every tool result the upstream was sent, whichever format it speaks."""
    texts = [m["content"] for m in body["messages"] if m["role"] == "tool"]
    for message in body["messages"]:
        if message["role"] == "user" and isinstance(message["content"], list):
            texts += ["".join(part.get("text", "") for part in block.get("content", []))
                      for block in message["content"] if block["type"] == "tool_result"]
    return texts


def answer(sdk: openai.OpenAI, stream: bool, **fields: Any) -> list[dict[str, Any]]:
    """The output items of a Responses call, taken from the stream's done items (checked
    against the final response) when streamed."""
    if not stream:
        return [item.model_dump(exclude_none=True)
                for item in sdk.responses.create(model="gpt-fake", **fields).output]
    events = list(sdk.responses.create(model="gpt-fake", stream=True, **fields))
    done = [e.item.model_dump(exclude_none=True) for e in events
            if e.type == "response.output_item.done"]
    assert events[-1].type == "response.completed"
    assert [i.model_dump(exclude_none=True) for i in events[-1].response.output] == done
    return done


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_namespaced_mcp_tool_is_offered_upstream_and_its_call_returns_in_its_namespace(
        sdk: openai.OpenAI, upstream: FakeUpstream, stream: bool) -> None:
    upstream.queue(Reply(text="", tool_calls=[ToolCall("mcp__lynkr__grep", {"pattern": "TODO"},
                                                       id="call_g")]))
    [call] = answer(sdk, stream, input=[ASK], tools=[LYNKR_MCP])
    assert "mcp__lynkr__grep" in offered(upstream.last.body)
    assert {k: call[k] for k in ("type", "namespace", "name", "call_id", "arguments")} == {
        "type": "function_call", "namespace": "mcp__lynkr", "name": "grep",
        "call_id": "call_g", "arguments": '{"pattern":"TODO"}'}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_client_tool_search_finds_an_mcp_tool_that_is_then_offered_and_called(
        sdk: openai.OpenAI, upstream: FakeUpstream, stream: bool) -> None:
    upstream.queue(Reply(text="", tool_calls=[ToolCall("tool_search", {"query": "grep"},
                                                       id="call_s")]),
                   Reply(text="", tool_calls=[ToolCall("mcp__lynkr__grep", {"pattern": "TODO"},
                                                       id="call_g")]))
    [search] = answer(sdk, stream, input=[ASK], tools=[TOOL_SEARCH])
    before = offered(upstream.last.body)
    assert "tool_search" in before and "mcp__lynkr__grep" not in before
    assert {k: search[k] for k in ("type", "execution", "call_id", "arguments")} == {
        "type": "tool_search_call", "execution": "client", "call_id": "call_s",
        "arguments": {"query": "grep"}}
    found = {"type": "tool_search_output", "call_id": "call_s", "execution": "client",
             "status": "completed", "tools": [{**LYNKR_MCP, "tools": [
                 {**GREP, "defer_loading": True}]}]}
    [call] = answer(sdk, stream, input=[ASK, search, found], tools=[TOOL_SEARCH])
    assert {"tool_search", "mcp__lynkr__grep"} <= set(offered(upstream.last.body))
    assert tool_results(upstream.last.body) == [
        "[tool mcp__lynkr__grep loaded: it can be called now]"]
    assert (call["type"], call["namespace"], call["name"]) == ("function_call", "mcp__lynkr",
                                                              "grep")


JS = 'text("hi")'
CODE_MODE = {"type": "additional_tools", "role": "developer", "tools": [
    {"type": "namespace", "name": "functions", "description": "", "tools": [
        {"type": "custom", "name": "exec", "description": "Run JavaScript.",
         "format": {"type": "grammar", "syntax": "lark", "definition": "start: /[\\s\\S]+/"}},
        {**GREP, "name": "wait", "description": "Wait on an exec cell."}]}]}


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_codes_additional_tools_are_offered_and_an_exec_call_returns_as_a_custom_tool_call(
        sdk: openai.OpenAI, upstream: FakeUpstream, stream: bool) -> None:
    upstream.queue(Reply(text="", tool_calls=[ToolCall("exec", {"input": JS}, id="call_js")]))
    [call] = answer(sdk, stream, input=[CODE_MODE, ASK], tools=[])
    assert {"exec", "wait"} <= set(offered(upstream.last.body))
    assert {k: call[k] for k in ("type", "namespace", "name", "call_id", "input")} == {
        "type": "custom_tool_call", "namespace": "functions", "name": "exec",
        "call_id": "call_js", "input": JS}
    upstream.queue(Reply(text="It printed hi."))
    output = {"type": "custom_tool_call_output", "call_id": "call_js", "output": "hi"}
    [said] = answer(sdk, stream, input=[CODE_MODE, ASK, call, output], tools=[])
    assert said["type"] == "message" and tool_results(upstream.last.body) == ["hi"]
