"""Codex's hosted web search, run by Claude's server web search when lynkr routes Codex to an
Anthropic upstream: the tool offered in its place, the search and its cited answer rendered
back as the Responses API renders its own (every item and event validated against the openai
SDK's types), and the items Codex sends back on the next turn read into a history the
Messages API takes."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from anthropic.types import WebSearchTool20250305Param
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter

from lynkr import model
from lynkr.model import NativeBlock, Request, Response, TextBlock, ThinkingBlock
from lynkr.optimize.cache_breakpoints import with_cache_breakpoints
from lynkr.optimize.tool_selection import select_tools
from lynkr.wire import anthropic
from lynkr.wire.openai_responses import parse_request
from tests.wire.offered_tools import tool_names
from tests.wire.responses_frames import rendered, streamed

WEB_SEARCH = {"type": "web_search", "external_web_access": True,
              "search_content_types": ["text", "image"]}
EXEC = {"type": "function", "name": "exec_command", "description": "Run a command.",
        "strict": False, "parameters": {"type": "object"}}
ASK = {"type": "message", "role": "user",
       "content": [{"type": "input_text", "text": "What is the latest httpx release?"}]}
CLAUDE_SEARCH = {"type": "web_search_20250305", "name": "web_search"}
CALL = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
        "input": {"query": "httpx latest release"}}
RESULT = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [
    {"type": "web_search_result", "url": "https://pypi.org/project/httpx/", "title": "httpx",
     "encrypted_content": "EqgfCioIAhgB", "page_age": "2 days ago"},
    {"type": "web_search_result", "url": "https://github.com/encode/httpx/releases",
     "title": "Releases", "encrypted_content": "EpIBCioIAhgB", "page_age": None}]}
FAILED = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1",
          "content": {"type": "web_search_tool_result_error", "error_code": "max_uses_exceeded"}}
CITE = {"type": "web_search_result_location", "url": "https://pypi.org/project/httpx/",
        "title": "httpx", "encrypted_index": "Eo8BCioIAhgB", "cited_text": "httpx 0.28.1"}
CLAUDE_TOOLS = TypeAdapter(WebSearchTool20250305Param)


def codex(*items: dict[str, Any], tools: list[dict[str, Any]] | None = None) -> Request:
    return parse_request({"model": "gpt-5.5", "input": [ASK, *items], "stream": True,
                          "store": False, "tools": [EXEC, WEB_SEARCH] if tools is None else tools})


def claude_tools(request: Request) -> list[dict[str, Any]]:
    body = anthropic.build_request(request, "claude", stream=False, passthrough_extra=False)
    return list(body.get("tools", []))


def searched(*result: dict[str, Any], text: str = "httpx 0.28.1 is the latest release."
             ) -> Response:
    """Claude's answer: a word, its search (and result), then the text citing it."""
    return Response(id="msg_1", model="claude", content=[
        TextBlock("Let me look that up."), NativeBlock(CALL, format="anthropic"),
        *(NativeBlock(r, format="anthropic") for r in result),
        TextBlock(text, extra={"citations": [CITE]})])


# --- the tool offered -----------------------------------------------------------------------


def test_an_anthropic_upstream_is_offered_claudes_server_web_search_in_its_place() -> None:
    [_, search] = claude_tools(codex())
    assert search == CLAUDE_SEARCH
    CLAUDE_TOOLS.validate_python(search)


def test_the_users_location_and_allowed_domains_go_along() -> None:
    tool = {**WEB_SEARCH, "filters": {"allowed_domains": ["pypi.org", "github.com"]},
            "user_location": {"type": "approximate", "city": "Lyon", "country": "FR",
                              "region": None, "timezone": "Europe/Paris"}}
    [search] = claude_tools(codex(tools=[tool]))
    assert search == {**CLAUDE_SEARCH, "allowed_domains": ["pypi.org", "github.com"],
                      "user_location": {"type": "approximate", "city": "Lyon",
                                        "country": "FR", "timezone": "Europe/Paris"}}
    CLAUDE_TOOLS.validate_python(search)


@pytest.mark.parametrize("kind", ["web_search_preview", "web_search_2025_08_26"])
def test_the_other_web_search_kinds_are_offered_as_claudes_too(kind: str) -> None:
    assert claude_tools(codex(tools=[{"type": kind}])) == [CLAUDE_SEARCH]


def test_a_cache_only_search_is_offered_nowhere_and_said_once(
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(model, "_told", set())
    cached = codex(tools=[EXEC, {**WEB_SEARCH, "external_web_access": False}])
    with caplog.at_level(logging.WARNING, logger="lynkr.tools"):
        assert tool_names("anthropic", cached) == ["exec_command"]
        assert tool_names("anthropic", cached) == ["exec_command"]
    [record] = caplog.records
    assert "not offered web search" in record.getMessage()


def test_the_client_is_told_its_own_tool_back() -> None:
    body = rendered(codex(), searched(RESULT))
    assert body["tools"][1] == WEB_SEARCH


def test_tool_selection_keeps_the_search_and_no_breakpoint_lands_on_it() -> None:
    request = codex(tools=[EXEC, WEB_SEARCH, {**EXEC, "name": "view_image",
                                              "description": "Show an image file."}])
    kept = select_tools(request, "aggressive").request
    assert "web_search" in [t.name for t in kept.tools]
    tools = claude_tools(with_cache_breakpoints(kept))
    assert CLAUDE_SEARCH in tools
    assert [t["name"] for t in tools if "cache_control" in t] == [
        t.name for t in kept.tools if t.raw is None][-1:]


# --- the answer -----------------------------------------------------------------------------


def test_a_search_and_its_result_are_one_web_search_call_item() -> None:
    [said, search, answer] = rendered(codex(), searched(RESULT))["output"]
    assert said["content"][0]["text"] == "Let me look that up."
    assert search == {"id": "ws_1_1", "type": "web_search_call", "status": "completed",
                      "action": {"type": "search", "query": "httpx latest release", "sources": [
                          {"type": "url", "url": "https://pypi.org/project/httpx/"},
                          {"type": "url", "url": "https://github.com/encode/httpx/releases"}]}}
    assert answer["content"][0]["text"] == "httpx 0.28.1 is the latest release."


def test_web_search_citations_are_url_citations_over_the_cited_text() -> None:
    answer = rendered(codex(), searched(RESULT))["output"][2]
    assert answer["content"][0]["annotations"] == [
        {"type": "url_citation", "url": "https://pypi.org/project/httpx/", "title": "httpx",
         "start_index": 0, "end_index": len("httpx 0.28.1 is the latest release.")}]


def test_a_search_that_failed_is_a_failed_item_and_one_cut_short_is_incomplete() -> None:
    assert rendered(codex(), searched(FAILED))["output"][1]["status"] == "failed"
    assert "sources" not in rendered(codex(), searched(FAILED))["output"][1]["action"]
    assert rendered(codex(), searched())["output"][1]["status"] == "incomplete"


def test_a_client_that_offered_no_web_search_is_told_of_none() -> None:
    output = rendered(codex(tools=[EXEC]), searched(RESULT))["output"]
    assert [item["type"] for item in output] == ["message", "message"]


def test_the_streamed_search_opens_with_its_call_and_is_done_with_its_result() -> None:
    events = streamed(codex(), searched(RESULT))
    search = [e["type"] for e in events if e.get("output_index") == 1]
    assert search == ["response.output_item.added", "response.web_search_call.in_progress",
                      "response.web_search_call.searching", "response.web_search_call.completed",
                      "response.output_item.done"]
    added = next(e["item"] for e in events if e["type"] == "response.output_item.added"
                 and e["output_index"] == 1)
    assert added["status"] == "in_progress" and added["action"]["query"] == CALL["input"]["query"]
    done = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert done == events[-1]["response"]["output"] == rendered(codex(),
                                                                searched(RESULT))["output"]


def test_streamed_citations_are_annotations_added_before_the_text_is_done() -> None:
    events = streamed(codex(), searched(RESULT))
    answer = [e for e in events if e.get("output_index") == 2]
    kinds = [e["type"] for e in answer]
    added = kinds.index("response.output_text.annotation.added")
    assert added < kinds.index("response.output_text.done")
    assert answer[added]["annotation"]["url"] == CITE["url"]
    [part] = [e["part"] for e in answer if e["type"] == "response.content_part.done"]
    assert part["annotations"] == [answer[added]["annotation"]]


def test_a_streamed_failed_search_has_no_completed_event() -> None:
    events = streamed(codex(), searched(FAILED))
    assert "response.web_search_call.completed" not in [e["type"] for e in events]
    assert events[-1]["response"]["output"][1]["status"] == "failed"


_TEXTS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1,
                 max_size=30)
_TURN = st.one_of(
    st.tuples(st.just("text"), _TEXTS, st.booleans()),
    st.tuples(st.just("search"), _TEXTS, st.sampled_from(["found", "failed", "none"])))


@settings(max_examples=60, deadline=None)
@given(turns=st.lists(_TURN, max_size=6), chunk=st.integers(1, 8))
def test_any_answer_of_searches_and_cited_text_streams_as_it_renders(
        turns: list[tuple[str, str, Any]], chunk: int) -> None:
    content: list[Any] = []
    for n, (kind, words, how) in enumerate(turns):
        if kind == "text":
            content.append(TextBlock(words, extra={"citations": [CITE]} if how else {}))
            continue
        call = {**CALL, "id": f"srvtoolu_{n}", "input": {"query": words}}
        content.append(NativeBlock(call, format="anthropic"))
        if how != "none":
            result = RESULT if how == "found" else FAILED
            content.append(NativeBlock({**result, "tool_use_id": call["id"]}, format="anthropic"))
    answer = Response(id="msg_1", model="claude", content=content)
    whole = rendered(codex(), answer)["output"]
    events = streamed(codex(), answer, chunk_size=chunk)
    done = sorted((e for e in events if e["type"] == "response.output_item.done"),
                  key=lambda e: e["output_index"])
    assert [e["item"] for e in done] == whole == events[-1]["response"]["output"]
    assert len([i for i in whole if i["type"] == "web_search_call"]) == \
        len([t for t in turns if t[0] == "search"])


# --- the next turn --------------------------------------------------------------------------


def test_the_search_codex_sends_back_leaves_the_upstream_plain_text() -> None:
    """Codex sends the items back as it got them; the search is dropped, and the cited text
    goes without its citations (their search result is not there to point into)."""
    answer = Response(id="msg_1", model="claude", content=[
        ThinkingBlock("Search it.", "sig"), *searched(RESULT).content])
    output = rendered(codex(), answer)["output"]
    follow_up = {"type": "message", "role": "user",
                 "content": [{"type": "input_text", "text": "And the one before?"}]}
    body = anthropic.build_request(codex(*output, follow_up), "claude", stream=False,
                                   passthrough_extra=False)
    [_, assistant, user] = body["messages"]
    assert [b["type"] for b in assistant["content"]] == ["thinking", "text", "text"]
    assert all("citations" not in b for b in assistant["content"])
    assert assistant["content"][0]["signature"] == "sig"
    assert user["content"] == [{"type": "text", "text": "And the one before?"}]
