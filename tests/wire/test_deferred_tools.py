"""Deferred tools (Anthropic ``defer_loading``). Claude Code 2.1.3xx sends its MCP tools
deferred, with a ToolSearch tool whose results are ``tool_reference`` blocks; the Anthropic API
loads a deferred tool once a reference names it. Other upstreams cannot, so lynkr does it for
them: a deferred tool is offered from the search that found it on, never before."""

from __future__ import annotations

import anthropic

from lynkr.wire import anthropic as anthropic_codec
from lynkr.wire import openai_chat
from tests.fakes.upstream import FakeUpstream, Reply

OBJECT = {"type": "object"}
TOOLS = [{"name": "ToolSearch", "input_schema": OBJECT},
         {"name": "DeferredToolPlaceholder", "input_schema": OBJECT, "defer_loading": True},
         {"name": "mcp__lynkr__grep", "input_schema": OBJECT, "defer_loading": True},
         {"name": "mcp__lynkr__read", "input_schema": OBJECT, "defer_loading": True}]
SEARCHED = [
    {"role": "user", "content": "Find TODOs"},
    {"role": "assistant", "content": [
        {"type": "tool_use", "id": "toolu_1", "name": "ToolSearch", "input": {"query": "grep"}}]},
    {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_1",
         "content": [{"type": "tool_reference", "tool_name": "mcp__lynkr__grep"}]},
        {"type": "text", "text": "Tool loaded."}]},
]


def chat_body(messages: list[dict]) -> dict:
    request = anthropic_codec.parse_request(
        {"model": "m", "max_tokens": 10, "tools": TOOLS, "messages": messages})
    return openai_chat.build_request(request, "gpt", stream=False, passthrough_extra=False)


def test_before_any_search_no_deferred_tool_is_offered_to_another_format() -> None:
    body = chat_body(SEARCHED[:1])
    assert [t["function"]["name"] for t in body["tools"]] == ["ToolSearch"]


def test_a_tool_the_search_found_is_offered_from_then_on_and_its_result_says_so() -> None:
    body = chat_body(SEARCHED)
    assert [t["function"]["name"] for t in body["tools"]] == ["ToolSearch", "mcp__lynkr__grep"]
    assert body["messages"][2]["content"] == "[tool mcp__lynkr__grep loaded: it can be called now]"


def test_an_anthropic_upstream_gets_every_tool_deferred_as_sent() -> None:
    request = anthropic_codec.parse_request(
        {"model": "m", "max_tokens": 10, "tools": TOOLS, "messages": SEARCHED})
    body = anthropic_codec.build_request(request, "claude", stream=False,
                                         passthrough_extra=True)
    assert body["tools"] == TOOLS
    assert body["messages"][2]["content"][0]["content"] == [
        {"type": "tool_reference", "tool_name": "mcp__lynkr__grep"}]


def test_claude_code_searching_its_mcp_tools_through_an_openai_upstream(
        upstream: FakeUpstream, proxy: str) -> None:
    upstream.queue(Reply(text="Searching."), Reply(text="Found one."))
    client = anthropic.Anthropic(base_url=proxy, api_key="x", max_retries=0)
    client.messages.create(model="m", max_tokens=50, tools=TOOLS, messages=SEARCHED[:1])
    before = [t["function"]["name"] for t in upstream.last.body["tools"]]
    client.messages.create(model="m", max_tokens=50, tools=TOOLS, messages=SEARCHED)
    after = [t["function"]["name"] for t in upstream.last.body["tools"]]
    assert "mcp__lynkr__grep" not in before and "DeferredToolPlaceholder" not in before
    assert "mcp__lynkr__grep" in after and "mcp__lynkr__read" not in after
