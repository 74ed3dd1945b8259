"""A tool's ``strict`` flag (arguments sampled to match its schema) survives the proxy.

OpenAI-compatible upstreams get it exactly as an OpenAI client sent it; Anthropic upstreams
get ``strict: true`` (the Messages API's strict tool use, documented at
platform.claude.com/docs/agents-and-tools/tool-use/strict-tool-use); other upstreams have no
such switch and never see it.
"""

from __future__ import annotations

from typing import Any

import openai
import pytest

from lynkr.errors import InvalidRequest
from lynkr.model import Request, Response
from lynkr.wire import anthropic, bedrock, gemini, ollama, openai_chat, openai_responses
from tests.fakes.upstream import FakeUpstream, Reply

SCHEMA = {"type": "object", "properties": {"city": {"type": "string"}},
          "required": ["city"], "additionalProperties": False}


def chat_tool(name: str, strict: bool | None) -> dict[str, Any]:
    function: dict[str, Any] = {"name": name, "description": "Weather.", "parameters": SCHEMA}
    if strict is not None:
        function["strict"] = strict
    return {"type": "function", "function": function}


def chat_request(*tools: dict[str, Any]) -> Request:
    return openai_chat.parse_request({"model": "m", "tools": list(tools),
                                      "messages": [{"role": "user", "content": "weather?"}]})


def responses_request(strict: bool) -> Request:
    return openai_responses.parse_request({"model": "m", "input": "weather?", "tools": [
        {"type": "function", "name": "weather", "parameters": SCHEMA, "strict": strict}]})


def openai_tools(request: Request) -> list[dict[str, Any]]:
    body = openai_chat.build_request(request, "m", stream=False,
                                     passthrough_extra=request.client_format == "openai_chat")
    return [t["function"] for t in body["tools"]]


def anthropic_tools(request: Request) -> list[dict[str, Any]]:
    return anthropic.build_request(request, "m", stream=False, passthrough_extra=False)["tools"]


def test_chat_strict_reaches_an_openai_upstream_exactly_as_sent() -> None:
    request = chat_request(chat_tool("a", True), chat_tool("b", False), chat_tool("c", None))
    assert [f.get("strict") for f in openai_tools(request)] == [True, False, None]
    assert "strict" not in openai_tools(request)[2]


def test_chat_strict_true_becomes_anthropic_strict_tool_use() -> None:
    request = chat_request(chat_tool("a", True), chat_tool("b", False), chat_tool("c", None))
    assert [t.get("strict") for t in anthropic_tools(request)] == [True, None, None]


def test_responses_function_strict_gets_the_same_treatment() -> None:
    assert openai_tools(responses_request(True))[0]["strict"] is True
    assert openai_tools(responses_request(False))[0]["strict"] is False
    assert anthropic_tools(responses_request(True))[0]["strict"] is True
    assert "strict" not in anthropic_tools(responses_request(False))[0]


def test_the_responses_object_echoes_each_tool_with_its_strict() -> None:
    body = openai_responses.render_response(Response("r", "m", []), request=responses_request(True),
                                            response_id="resp_1", created_at=1)
    assert body["tools"][0]["strict"] is True


def test_an_anthropic_clients_strict_reaches_anthropic_but_not_openai() -> None:
    """Anthropic's strict mode allows optional properties, OpenAI's rejects such a schema:
    an Anthropic client's flag is only Anthropic's to honour."""
    request = anthropic.parse_request({"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": "hi"}], "tools": [
        {"name": "Read", "strict": True, "input_schema": {
            "type": "object", "properties": {"path": {"type": "string"},
                                             "limit": {"type": "integer"}},
            "required": ["path"]}}]})
    assert anthropic_tools(request)[0]["strict"] is True
    assert "strict" not in openai_tools(request)[0]


def test_upstreams_without_a_strict_switch_never_see_it() -> None:
    request = chat_request(chat_tool("a", True))
    bodies = [ollama.build_request(request, "m", stream=False, keep_alive=None),
              bedrock.build_request(request, "anthropic.claude"), gemini.build_request(request)]
    assert all("strict" not in str(body) for body in bodies)


@pytest.mark.parametrize(("parse", "body", "param"), [
    (openai_chat.parse_request, {"model": "m", "messages": [], "tools": [
        {"type": "function", "function": {"name": "a", "strict": "yes"}}]},
     "tools[0].function.strict"),
    (openai_responses.parse_request, {"model": "m", "input": "x", "tools": [
        {"type": "function", "name": "a", "strict": 1}]}, "tools[0].strict"),
    (anthropic.parse_request, {"model": "m", "max_tokens": 5, "messages": [], "tools": [
        {"name": "a", "strict": "true"}]}, "tools[0].strict"),
])
def test_a_strict_that_is_not_a_boolean_is_refused_naming_it(parse: Any, body: dict[str, Any],
                                                             param: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse(body)
    assert caught.value.param == param


def strict_through_proxy(family: str, upstream: FakeUpstream, proxy_factory: Any,
                         **settings: str) -> Any:
    """The strict flag of the tool the upstream got when the SDK offered a strict one."""
    env = {"anthropic": dict(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                             ANTHROPIC_ENDPOINT=upstream.url),
           "openai": dict(MODEL_PROVIDER="openai", OPENAI_API_KEY="k",
                          OPENAI_ENDPOINT=f"{upstream.url}/v1", OPENAI_MODEL="gpt-fake")}[family]
    upstream.queue(Reply(text="Sunny."))
    with proxy_factory(**env, **settings) as url:
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        sdk.chat.completions.create(model="gpt-4o", tools=[chat_tool("weather", True)],
                                    messages=[{"role": "user", "content": "weather?"}])
    tool = upstream.last.body["tools"][0]
    return (tool["function"] if family == "openai" else tool).get("strict")


@pytest.mark.parametrize("family", ["openai", "anthropic"])
def test_through_the_proxy_with_the_official_sdk(family: str, upstream: FakeUpstream,
                                                 proxy_factory: Any) -> None:
    assert strict_through_proxy(family, upstream, proxy_factory, TOOL_SELECTION="off") is True


def test_through_the_proxy_with_tool_selection_on(upstream: FakeUpstream,
                                                  proxy_factory: Any) -> None:
    assert strict_through_proxy("openai", upstream, proxy_factory) is True
