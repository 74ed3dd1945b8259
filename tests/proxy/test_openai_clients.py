"""OpenAI SDK clients (chat completions and the Responses API, as Codex uses) through lynkr."""

from __future__ import annotations

import json

import openai
import pytest

from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

TOOLS = [{"type": "function", "function": {
    "name": "read_file", "description": "Read a file.",
    "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                   "required": ["path"]}}}]


@pytest.fixture
def sdk(proxy: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy}/v1", api_key="unused", max_retries=0)


def test_chat_completion_plain_text(sdk: openai.OpenAI, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="4"))
    completion = sdk.chat.completions.create(
        model="gpt-4o", messages=[{"role": "system", "content": "Be terse."},
                                  {"role": "user", "content": "2+2?"}])
    assert completion.choices[0].message.content == "4"
    assert completion.choices[0].finish_reason == "stop"
    assert completion.usage is not None and completion.usage.prompt_tokens == 11


def test_chat_stream_with_usage(sdk: openai.OpenAI, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="streaming works fine", chunk_size=3))
    stream = sdk.chat.completions.create(
        model="gpt-4o", messages=[{"role": "user", "content": "go"}], stream=True,
        stream_options={"include_usage": True})
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "streaming works fine"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 7


def test_chat_tool_call_round_trip(sdk: openai.OpenAI, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="", tool_calls=[ToolCall("read_file", {"path": "README.md"},
                                                       id="call_1")]),
                   Reply(text="The README says hi."))
    first = sdk.chat.completions.create(
        model="gpt-4o", tools=TOOLS, messages=[{"role": "user", "content": "Read the README"}])
    choice = first.choices[0]
    assert choice.finish_reason == "tool_calls"
    call = choice.message.tool_calls[0]
    assert call.function.name == "read_file"
    assert json.loads(call.function.arguments) == {"path": "README.md"}
    second = sdk.chat.completions.create(model="gpt-4o", tools=TOOLS, messages=[
        {"role": "user", "content": "Read the README"},
        choice.message.model_dump(exclude_none=True),
        {"role": "tool", "tool_call_id": call.id, "content": "# Hi"}])
    assert second.choices[0].message.content == "The README says hi."
    tool_message = upstream.last.body["messages"][-1]
    assert tool_message["role"] == "tool" and tool_message["tool_call_id"] == call.id


def test_chat_stream_tool_call_fragments_reassembled(sdk: openai.OpenAI,
                                                     upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="", tool_calls=[
        ToolCall("read_file", {"path": "a.py"}, id="c1"),
        ToolCall("read_file", {"path": "b.py"}, id="c2")]))
    stream = sdk.chat.completions.create(model="gpt-4o", tools=TOOLS, stream=True,
                                         messages=[{"role": "user", "content": "read both"}])
    calls: dict[int, dict[str, str]] = {}
    finish = None
    for chunk in stream:
        for choice in chunk.choices:
            finish = choice.finish_reason or finish
            for delta in choice.delta.tool_calls or []:
                slot = calls.setdefault(delta.index, {"name": "", "args": ""})
                slot["name"] += delta.function.name or ""
                slot["args"] += delta.function.arguments or ""
    assert finish == "tool_calls"
    assert [json.loads(c["args"]) for _, c in sorted(calls.items())] == [
        {"path": "a.py"}, {"path": "b.py"}]


def test_responses_api_text_and_previous_response_id(sdk: openai.OpenAI,
                                                     upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Hello, Ada."), Reply(text="Your name is Ada."))
    first = sdk.responses.create(model="gpt-4o", instructions="Be nice.",
                                 input="My name is Ada.")
    assert first.output_text == "Hello, Ada."
    second = sdk.responses.create(model="gpt-4o", input="What is my name?",
                                  previous_response_id=first.id)
    assert second.output_text == "Your name is Ada."
    sent = upstream.last.body["messages"]
    assert [m["role"] for m in sent] == ["system", "user", "assistant", "user"]


def test_responses_api_streams_function_calls(sdk: openai.OpenAI,
                                              upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="", tool_calls=[ToolCall("shell", {"command": ["ls"]},
                                                       id="call_9")]))
    tools = [{"type": "function", "name": "shell", "description": "Run a command.",
              "parameters": {"type": "object", "properties": {
                  "command": {"type": "array", "items": {"type": "string"}}}}}]
    with sdk.responses.stream(model="gpt-4o", input="list files", tools=tools) as stream:
        final = stream.get_final_response()
    call = next(item for item in final.output if item.type == "function_call")
    assert call.name == "shell" and json.loads(call.arguments) == {"command": ["ls"]}
    assert call.call_id == "call_9"


def test_unknown_previous_response_id_is_an_openai_error(sdk: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        sdk.responses.create(model="gpt-4o", input="hi", previous_response_id="resp_missing")
    assert "not found" in str(info.value)


def test_responses_input_file_pdf_is_named_for_a_chat_upstream(sdk: openai.OpenAI,
                                                               upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="I cannot read that PDF here."))
    pdf = "data:application/pdf;base64,JVBERi0xLjQKJSVFT0Y="
    response = sdk.responses.create(model="gpt-4o", input=[{"role": "user", "content": [
        {"type": "input_text", "text": "Summarise it."},
        {"type": "input_file", "file_data": pdf, "filename": "spec.pdf"}]}])
    assert response.output_text == "I cannot read that PDF here."
    assert "document 'spec.pdf' (application/pdf) left out" in str(upstream.last.body["messages"])


def test_chat_legacy_function_conversation_streams(sdk: openai.OpenAI,
                                                   upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="It is sunny in Paris.", chunk_size=4))
    functions = [{"name": "weather", "parameters": {"type": "object", "properties": {}}}]
    stream = sdk.chat.completions.create(model="gpt-4o", stream=True, functions=functions,
                                         messages=[
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None,
         "function_call": {"name": "weather", "arguments": "{}"}},
        {"role": "function", "name": "weather", "content": "sunny"}])
    text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text == "It is sunny in Paris."
    call, result = upstream.last.body["messages"][1:3]
    assert result == {"role": "tool", "tool_call_id": call["tool_calls"][0]["id"],
                      "content": "sunny"}
