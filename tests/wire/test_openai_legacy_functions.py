"""Legacy OpenAI function calling (``functions``, ``function_call``, ``role: "function"``) is
accepted as OpenAI still accepts it, carried as tools, and answered in the shape the client
used: ``message.function_call`` and ``finish_reason: "function_call"``, also when streamed
(``delta.function_call``), as OpenAI's API reference documents for these deprecated fields.
"""

from __future__ import annotations

from typing import Any

import openai
import orjson
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from lynkr.errors import InvalidRequest
from lynkr.model import Response, TextBlock, Tool, ToolChoice, ToolResultBlock, ToolUseBlock
from lynkr.streams import ResponseBuilder, replay
from lynkr.wire import anthropic, openai_chat
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

WEATHER = {"name": "weather", "description": "Weather in a city.",
           "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}


def legacy_body(**fields: Any) -> dict[str, Any]:
    """A conversation in the legacy shape: two calls of one function, each answered."""
    return {"model": "gpt-4o", "functions": [WEATHER], "messages": [
        {"role": "user", "content": "Weather in Paris, then Oslo?"},
        {"role": "assistant", "content": None,
         "function_call": {"name": "weather", "arguments": '{"city": "Paris"}'}},
        {"role": "function", "name": "weather", "content": "sunny"},
        {"role": "assistant", "content": None,
         "function_call": {"name": "weather", "arguments": '{"city": "Oslo"}'}},
        {"role": "function", "name": "weather", "content": "snow"},
    ], **fields}


def test_functions_become_tools_and_function_call_the_tool_choice() -> None:
    request = openai_chat.parse_request(legacy_body(function_call={"name": "weather"}))
    assert request.tools == [Tool("weather", "Weather in a city.", WEATHER["parameters"])]
    # A legacy answer holds one call, so the upstream is asked for one at a time.
    assert request.tool_choice == ToolChoice("tool", "weather", disable_parallel=True)


@pytest.mark.parametrize(("value", "expected"), [
    ("auto", ToolChoice("auto", disable_parallel=True)),
    ("none", ToolChoice("none", disable_parallel=True)),
    (None, ToolChoice("auto", disable_parallel=True)),
])
def test_function_call_modes(value: Any, expected: ToolChoice) -> None:
    body = legacy_body() if value is None else legacy_body(function_call=value)
    assert openai_chat.parse_request(body).tool_choice == expected


def test_each_function_result_is_paired_with_its_call_by_a_generated_id() -> None:
    messages = openai_chat.parse_request(legacy_body()).messages
    calls = [b for m in messages for b in m.content if isinstance(b, ToolUseBlock)]
    results = [b for m in messages for b in m.content if isinstance(b, ToolResultBlock)]
    assert [c.input for c in calls] == [{"city": "Paris"}, {"city": "Oslo"}]
    assert [r.tool_use_id for r in results] == [c.id for c in calls]
    assert [r.content for r in results] == [[TextBlock("sunny")], [TextBlock("snow")]]
    assert calls[0].id != calls[1].id


def test_generated_ids_are_the_same_every_time_the_history_is_resent() -> None:
    """Upstream prompt caches match on the exact prefix, ids included."""
    first = openai_chat.parse_request(legacy_body()).messages
    again = openai_chat.parse_request(legacy_body()).messages
    assert first == again


def test_a_result_goes_to_the_latest_unanswered_call_of_its_name() -> None:
    body = {"model": "m", "functions": [WEATHER, {"name": "time"}], "messages": [
        {"role": "user", "content": "go"},
        {"role": "assistant", "function_call": {"name": "time", "arguments": "{}"}},
        {"role": "function", "name": "time", "content": "noon"},
        {"role": "assistant", "function_call": {"name": "weather", "arguments": "{}"}},
        {"role": "function", "name": "weather", "content": "rain"}]}
    messages = openai_chat.parse_request(body).messages
    pairs = {b.name: b.id for m in messages for b in m.content if isinstance(b, ToolUseBlock)}
    results = {b.text: b.tool_use_id for m in messages for b in m.content
               if isinstance(b, ToolResultBlock)}
    assert results == {"noon": pairs["time"], "rain": pairs["weather"]}


def test_a_function_result_without_a_call_to_answer_is_refused_naming_it() -> None:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"},
                                       {"role": "function", "name": "weather", "content": "x"}]}
    with pytest.raises(InvalidRequest) as caught:
        openai_chat.parse_request(body)
    assert caught.value.param == "messages[1].name" and "weather" in caught.value.message


def test_an_openai_upstream_gets_tools_and_tool_messages_never_the_legacy_fields() -> None:
    request = openai_chat.parse_request(legacy_body(function_call="auto"))
    body = openai_chat.build_request(request, "m", stream=False, passthrough_extra=True)
    assert "functions" not in body and "function_call" not in body
    assert body["tools"][0]["function"]["name"] == "weather"
    assert body["parallel_tool_calls"] is False
    calls = [c for m in body["messages"] for c in m.get("tool_calls", [])]
    answers = [m["tool_call_id"] for m in body["messages"] if m["role"] == "tool"]
    assert answers == [c["id"] for c in calls] and len(answers) == 2


def test_an_anthropic_upstream_gets_matching_tool_use_and_tool_result() -> None:
    request = openai_chat.parse_request(legacy_body())
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=False)
    uses = [b["id"] for m in body["messages"] for b in m["content"] if b["type"] == "tool_use"]
    results = [b["tool_use_id"] for m in body["messages"] for b in m["content"]
               if b["type"] == "tool_result"]
    assert uses == results and len(uses) == 2


def answer(*calls: ToolUseBlock) -> Response:
    return Response("chatcmpl-1", "gpt-4o", [TextBlock("Checking."), *calls], "tool_use")


def test_a_legacy_client_gets_its_call_as_message_function_call() -> None:
    body = openai_chat.render_response(
        answer(ToolUseBlock("toolu_1", "weather", {"city": "Rome"})), legacy_functions=True)
    choice = ChatCompletion.model_validate(body).choices[0]
    assert choice.finish_reason == "function_call"
    assert choice.message.tool_calls is None
    assert choice.message.function_call is not None
    assert choice.message.function_call.name == "weather"
    assert orjson.loads(choice.message.function_call.arguments) == {"city": "Rome"}


def test_legacy_functions_is_said_by_the_request_only_when_functions_came_alone() -> None:
    assert openai_chat.legacy_functions(openai_chat.parse_request(legacy_body()))
    modern = legacy_body(tools=[{"type": "function", "function": {"name": "time"}}])
    assert not openai_chat.legacy_functions(openai_chat.parse_request(modern))
    assert [t.name for t in openai_chat.parse_request(modern).tools] == ["time", "weather"]


def legacy_stream(response: Response) -> list[ChatCompletionChunk]:
    encoder = openai_chat.StreamEncoder("gpt-4o", "chatcmpl-1", False, created=1,
                                        legacy_functions=True)
    frames = [f for e in replay(response, chunk_size=4) for f in encoder.encode(e)]
    payloads = [f.removeprefix(b"data: ").strip() for f in frames]
    return [ChatCompletionChunk.model_validate_json(p) for p in payloads if p != b"[DONE]"]


def test_a_legacy_stream_sends_delta_function_call_and_leaves_later_calls_out() -> None:
    chunks = legacy_stream(answer(ToolUseBlock("toolu_1", "weather", {"city": "Rome"}),
                                  ToolUseBlock("toolu_2", "weather", {"city": "Bonn"})))
    deltas = [c.choices[0].delta for c in chunks]
    assert all(d.tool_calls is None for d in deltas)
    calls = [d.function_call for d in deltas if d.function_call is not None]
    assert calls[0].name == "weather"
    assert orjson.loads("".join(c.arguments or "" for c in calls)) == {"city": "Rome"}
    assert chunks[-1].choices[0].finish_reason == "function_call"


def test_an_upstream_answering_in_the_legacy_shape_is_understood() -> None:
    body = {"id": "x", "model": "m", "choices": [{"index": 0, "finish_reason": "function_call",
            "message": {"role": "assistant", "content": None,
                        "function_call": {"name": "weather", "arguments": '{"city": "Rome"}'}}}]}
    response = openai_chat.parse_response(body)
    assert response.stop_reason == "tool_use"
    assert [(c.name, c.input) for c in response.tool_uses] == [("weather", {"city": "Rome"})]


def test_an_upstream_streaming_in_the_legacy_shape_is_understood() -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {"id": "x", "model": "m", "choices": [{"index": 0, "delta": delta,
                                                      "finish_reason": finish}]}

    decoder = openai_chat.StreamDecoder()
    chunks = [chunk({"role": "assistant", "function_call": {"name": "weather",
                                                            "arguments": ""}}),
              chunk({"function_call": {"arguments": '{"city":'}}),
              chunk({"function_call": {"arguments": ' "Rome"}'}}), chunk({}, "function_call")]
    builder = ResponseBuilder()
    for event in [e for c in chunks for e in decoder.feed(c)] + decoder.finish():
        builder.add(event)
    response = builder.build()
    assert response.stop_reason == "tool_use"
    assert [(c.name, c.input) for c in response.tool_uses] == [("weather", {"city": "Rome"})]


def test_through_the_proxy_a_legacy_conversation_is_accepted(proxy: str,
                                                            upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Paris is sunny, Oslo snowy."))
    sdk = openai.OpenAI(base_url=f"{proxy}/v1", api_key="unused", max_retries=0)
    body = legacy_body()
    completion = sdk.chat.completions.create(model="gpt-4o", messages=body["messages"],
                                             functions=body["functions"])
    assert completion.choices[0].message.content == "Paris is sunny, Oslo snowy."
    sent = upstream.last.body
    assert "functions" not in sent and sent["tools"][0]["function"]["name"] == "weather"
    assert [m["role"] for m in sent["messages"]] == [
        "user", "assistant", "tool", "assistant", "tool"]


@pytest.mark.parametrize("stream", [False, True])
def test_through_the_proxy_a_legacy_client_is_answered_with_function_call(
        proxy: str, upstream: FakeUpstream, stream: bool) -> None:
    upstream.queue(Reply(text="", tool_calls=[ToolCall("weather", {"city": "Rome"})]))
    sdk = openai.OpenAI(base_url=f"{proxy}/v1", api_key="unused", max_retries=0)
    messages: Any = [{"role": "user", "content": "Weather in Rome?"}]
    if not stream:
        choice = sdk.chat.completions.create(model="gpt-4o", messages=messages,
                                             functions=[WEATHER]).choices[0]
        assert choice.finish_reason == "function_call"
        assert choice.message.function_call is not None
        return
    chunks = list(sdk.chat.completions.create(model="gpt-4o", messages=messages,
                                              functions=[WEATHER], stream=True))
    assert any(c.choices and c.choices[0].delta.function_call for c in chunks)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "function_call"
