"""Codex's hosted web search through lynkr to an Anthropic upstream, with the official OpenAI
SDK as a Codex-like Responses client and a fake Messages API that runs the search: Claude's
web search is offered in its place, and the search and its cited answer come back as the
Responses API's own web_search_call item and url_citation annotations, whole and streamed;
the next turn, with the items sent back, reaches the upstream as a history it takes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.conftest import ProxyFactory
from tests.fakes.upstream import Blocks, FakeUpstream

WEB_SEARCH = {"type": "web_search", "external_web_access": True,
              "search_content_types": ["text", "image"]}
EXEC = {"type": "function", "name": "exec_command", "description": "Run a command.",
        "strict": False, "parameters": {"type": "object", "properties": {
            "cmd": {"type": "string"}}, "required": ["cmd"]}}
ASK = {"type": "message", "role": "user",
       "content": [{"type": "input_text", "text": "What is the latest httpx release?"}]}
CITE = {"type": "web_search_result_location", "url": "https://pypi.org/project/httpx/",
        "title": "httpx", "encrypted_index": "Eo8BCioIAhgB", "cited_text": "httpx 0.28.1"}
ANSWER = "httpx 0.28.1 is the latest release."
SEARCHED = Blocks(content=[
    {"type": "text", "text": "Let me look that up."},
    {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
     "input": {"query": "httpx latest release"}},
    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [
        {"type": "web_search_result", "url": "https://pypi.org/project/httpx/",
         "title": "httpx", "encrypted_content": "EqgfCioIAhgB", "page_age": "2 days ago"}]},
    {"type": "text", "text": ANSWER, "citations": [CITE]}])


@pytest.fixture
def sdk(upstream: FakeUpstream, proxy_factory: ProxyFactory) -> Iterator[openai.OpenAI]:
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="sk-ant",
                       ANTHROPIC_ENDPOINT=upstream.url, ANTHROPIC_MODEL="claude-fake") as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)


def answer(sdk: openai.OpenAI, stream: bool, **fields: Any) -> tuple[list[Any], list[str]]:
    """The output items of a Responses call (the stream's done items, checked against the
    final response, when streamed) and the stream's event types."""
    if not stream:
        return list(sdk.responses.create(model="gpt-5.5", **fields).output), []
    events = list(sdk.responses.create(model="gpt-5.5", stream=True, **fields))
    done = [e.item for e in events if e.type == "response.output_item.done"]
    assert events[-1].type == "response.completed"
    assert events[-1].response.output == done
    return done, [e.type for e in events]


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_codexs_web_search_runs_on_claude_and_comes_back_as_its_own_items(
        sdk: openai.OpenAI, upstream: FakeUpstream, stream: bool) -> None:
    upstream.queue(SEARCHED)
    output, events = answer(sdk, stream, input=[ASK], tools=[EXEC, WEB_SEARCH], store=False)
    offered = upstream.last.body["tools"]
    # offered as is (no breakpoint on it: lynkr puts the tools' one on a function's)
    assert {"type": "web_search_20250305", "name": "web_search"} in offered
    assert [t.get("type") for t in offered if "cache_control" in t] == [None]
    said, search, cited = output
    assert search.type == "web_search_call" and search.status == "completed"
    assert search.action.type == "search" and search.action.query == "httpx latest release"
    assert [s.url for s in search.action.sources or []] == ["https://pypi.org/project/httpx/"]
    assert cited.content[0].text == ANSWER
    [citation] = cited.content[0].annotations
    assert (citation.type, citation.url, citation.title) == ("url_citation", CITE["url"], "httpx")
    assert (citation.start_index, citation.end_index) == (0, len(ANSWER))
    if stream:
        assert events.count("response.web_search_call.searching") == 1
        assert events.count("response.web_search_call.completed") == 1
        assert events.count("response.output_text.annotation.added") == 1


def test_the_next_turn_with_the_items_sent_back_reaches_claude_as_plain_history(
        sdk: openai.OpenAI, upstream: FakeUpstream) -> None:
    upstream.queue(SEARCHED, Blocks(content=[{"type": "text", "text": "0.28.0."}]))
    output, _ = answer(sdk, True, input=[ASK], tools=[EXEC, WEB_SEARCH], store=False)
    sent_back = [item.model_dump(exclude_none=True) for item in output]
    follow_up = {"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": "And the one before?"}]}
    answer(sdk, True, input=[ASK, *sent_back, follow_up], tools=[EXEC, WEB_SEARCH],
           store=False)
    [_, assistant, _] = upstream.last.body["messages"]
    assert [b["type"] for b in assistant["content"]] == ["text", "text"]
    assert [b["text"] for b in assistant["content"]] == ["Let me look that up.", ANSWER]
    assert all("citations" not in b for b in assistant["content"])
