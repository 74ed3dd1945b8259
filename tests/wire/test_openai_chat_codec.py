"""OpenAI Chat Completions codec: client requests, upstream bodies, responses and streams."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.chat import ChatCompletion

from lynkr.errors import InvalidRequest, UpstreamError
from lynkr.model import (
    ImageBlock,
    Message,
    Request,
    TextBlock,
    ThinkingBlock,
    Tool,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)
from lynkr.wire import openai_chat
from tests.wire.openai_chat_samples import tool_call_answer

CURSOR_REQUEST: dict[str, Any] = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "You are a coding assistant."},
        {"role": "developer", "content": [{"type": "text", "text": "Prefer small diffs."}]},
        {"role": "user", "content": [
            {"type": "text", "text": "What is in this screenshot and in main.py?"},
            {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD",
                                                "detail": "high"}},
        ]},
        {"role": "assistant", "content": None, "reasoning_content": "Read the file first.",
         "tool_calls": [
             {"id": "call_a", "type": "function",
              "function": {"name": "read_file", "arguments": '{"path": "main.py"}'}},
             {"id": "call_b", "type": "function",
              "function": {"name": "list_dir", "arguments": ""}},
         ]},
        {"role": "tool", "tool_call_id": "call_a", "content": "print('hi')"},
        {"role": "tool", "tool_call_id": "call_b",
         "content": [{"type": "text", "text": "main.py\nREADME.md"}]},
        {"role": "user", "content": "Thanks, now explain it."},
    ],
    "tools": [
        {"type": "function", "function": {
            "name": "read_file", "description": "Read a file",
            "parameters": {"type": "object", "properties": {"path": {"type": "string"}},
                           "required": ["path"]}}},
        {"type": "function", "function": {"name": "list_dir"}},
    ],
    "tool_choice": "auto",
    "parallel_tool_calls": False,
    "max_completion_tokens": 2048,
    "stop": "###",
    "temperature": 0.2,
    "stream": True,
    "stream_options": {"include_usage": True},
    "user": "u-42",
    "seed": 7,
    "response_format": {"type": "text"},
}


# --- parse_request --------------------------------------------------------------------------


def test_a_realistic_client_request_maps_onto_the_internal_model() -> None:
    request = openai_chat.parse_request(CURSOR_REQUEST)
    assert request.client_format == "openai_chat"
    assert [b.text for b in request.system] == ["You are a coding assistant.",
                                                "Prefer small diffs."]
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    assert request.messages[0].content[1] == ImageBlock(media_type="image/jpeg", data="QUJD")
    assert request.messages[1].content == [
        ThinkingBlock("Read the file first."),
        ToolUseBlock("call_a", "read_file", {"path": "main.py"}),
        ToolUseBlock("call_b", "list_dir", {}),
    ]
    assert request.tools[1] == Tool("list_dir", "", {"type": "object"})
    assert request.tool_choice == ToolChoice("auto", disable_parallel=True)
    assert (request.max_tokens, request.stop, request.temperature) == (2048, ["###"], 0.2)
    assert request.stream and openai_chat.include_usage(request)
    assert request.metadata == {"user_id": "u-42"}
    assert request.extra == {"stream_options": {"include_usage": True}, "seed": 7,
                             "response_format": {"type": "text"}}


def test_consecutive_tool_messages_and_the_next_user_text_form_one_user_turn() -> None:
    turn = openai_chat.parse_request(CURSOR_REQUEST).messages[2]
    assert turn.content == [
        ToolResultBlock("call_a", [TextBlock("print('hi')")]),
        ToolResultBlock("call_b", [TextBlock("main.py\nREADME.md")]),
        TextBlock("Thanks, now explain it."),
    ]


def test_a_second_user_message_after_the_tool_turn_stays_separate() -> None:
    body = {"messages": [
        {"role": "tool", "tool_call_id": "c", "content": "ok"},
        {"role": "user", "content": "a"},
        {"role": "user", "content": "b"},
    ]}
    assert [m.text for m in openai_chat.parse_request(body).messages] == ["a", "b"]


def test_http_image_urls_stay_urls_and_max_tokens_is_accepted() -> None:
    body = {"model": "m", "max_tokens": 10, "messages": [{"role": "user", "content": [
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}]}]}
    request = openai_chat.parse_request(body)
    assert request.messages[0].content == [ImageBlock(url="https://example.com/cat.png")]
    assert request.max_tokens == 10


@pytest.mark.parametrize(("tool_choice", "expected"), [
    ("none", ToolChoice("none")),
    ("required", ToolChoice("any")),
    ({"type": "function", "function": {"name": "read_file"}}, ToolChoice("tool", "read_file")),
])
def test_tool_choice_forms_map_to_the_internal_choice(tool_choice, expected) -> None:
    body = {"messages": [], "tool_choice": tool_choice}
    assert openai_chat.parse_request(body).tool_choice == expected


@pytest.mark.parametrize(("body", "param"), [
    ([], None),
    ({"model": "m"}, "messages"),
    ({"messages": {}}, "messages"),
    ({"messages": ["hi"]}, "messages[0]"),
    ({"messages": [{"role": "bot", "content": "x"}]}, "messages[0].role"),
    ({"messages": [{"role": "user", "content": 3}]}, "messages[0].content"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": 1}]}]},
     "messages[0].content[0].text"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id"),
    ({"messages": [{"role": "assistant", "tool_calls": [{"id": "c"}]}]},
     "messages[0].tool_calls[0]"),
    ({"messages": [], "max_tokens": "10"}, "max_tokens"),
    ({"messages": [], "max_completion_tokens": True}, "max_completion_tokens"),
    ({"messages": [], "temperature": "hot"}, "temperature"),
    ({"messages": [], "stop": [1]}, "stop"),
    ({"messages": [], "tools": [{"type": "function", "function": {}}]},
     "tools[0].function.name"),
    ({"messages": [], "tool_choice": "sometimes"}, "tool_choice"),
    ({"messages": [], "stream": "yes"}, "stream"),
])
def test_invalid_shapes_are_rejected_with_the_offending_param(body, param) -> None:
    with pytest.raises(InvalidRequest) as caught:
        openai_chat.parse_request(body)
    assert caught.value.param == param
    assert caught.value.status == 400


# --- build_request --------------------------------------------------------------------------


def _conversation() -> Request:
    return Request(
        model="claude",
        system=[TextBlock("sys one", {"type": "ephemeral"}), TextBlock("sys two")],
        messages=[
            Message("user", [TextBlock("look"), ImageBlock("image/png", data="iVBO")]),
            Message("assistant", [ThinkingBlock("hmm", "sig"), TextBlock("Reading."),
                                  ToolUseBlock("toolu_1", "Read", {"file_path": "a.py"})]),
            Message("user", [ToolResultBlock("toolu_1", [TextBlock("x = 1"),
                                                         ImageBlock("image/gif", data="R0lG")]),
                             TextBlock("go on")]),
        ],
        tools=[Tool("Read", "Read a file", {"type": "object"}),
               Tool("web_search", raw={"type": "web_search_20250305", "name": "web_search"})],
        tool_choice=ToolChoice("any", disable_parallel=True),
        max_tokens=512, stop=["END"], metadata={"user_id": "u1"},
        extra={"context_management": {"edits": []}},
    )


def test_build_request_places_tool_results_right_after_the_assistant_turn() -> None:
    body = openai_chat.build_request(_conversation(), "gpt-4o", stream=False,
                                     passthrough_extra=False)
    assert [m["role"] for m in body["messages"]] == [
        "system", "user", "assistant", "tool", "user"]
    assert body["messages"][0]["content"] == "sys one\n\nsys two"
    assert body["messages"][2] == {
        "role": "assistant", "content": "Reading.",
        "tool_calls": [{"id": "toolu_1", "type": "function",
                        "function": {"name": "Read", "arguments": '{"file_path":"a.py"}'}}]}
    assert body["messages"][3] == {"role": "tool", "tool_call_id": "toolu_1", "content": "x = 1"}
    assert body["messages"][4]["content"] == [
        {"type": "image_url", "image_url": {"url": "data:image/gif;base64,R0lG"}},
        {"type": "text", "text": "go on"}]


def test_build_request_maps_options_and_leaves_out_what_openai_cannot_take() -> None:
    body = openai_chat.build_request(_conversation(), "gpt-4o", stream=True,
                                     passthrough_extra=False)
    assert body["model"] == "gpt-4o" and body["max_tokens"] == 512 and body["stop"] == ["END"]
    assert [t["function"]["name"] for t in body["tools"]] == ["Read"]
    assert body["tool_choice"] == "required" and body["parallel_tool_calls"] is False
    assert body["user"] == "u1"
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert "context_management" not in body
    assert "reasoning_content" not in body["messages"][2]


def test_passthrough_keeps_client_extras_but_never_stream_options_without_stream() -> None:
    request = openai_chat.parse_request(CURSOR_REQUEST)
    body = openai_chat.build_request(request, "gpt-4o", stream=False, passthrough_extra=True,
                                     max_tokens_field="max_completion_tokens")
    assert body["seed"] == 7 and "stream_options" not in body and body["stream"] is False
    assert body["max_completion_tokens"] == 2048 and "max_tokens" not in body


def test_an_assistant_turn_with_only_tool_calls_has_null_content() -> None:
    request = Request("m", [Message("assistant", [ToolUseBlock("c", "f", {"a": [1]})])])
    message = openai_chat.build_request(request, "m", stream=False,
                                        passthrough_extra=False)["messages"][0]
    assert message["content"] is None and len(message["tool_calls"]) == 1


# --- responses ------------------------------------------------------------------------------


def test_render_response_is_a_chat_completion_the_sdk_accepts() -> None:
    body = openai_chat.render_response(tool_call_answer(), created=1700000000)
    completion = ChatCompletion.model_validate(body)
    assert completion.choices[0].finish_reason == "tool_calls"
    assert completion.choices[0].message.content == "Let me look."
    assert completion.choices[0].message.tool_calls[0].function.arguments == \
        '{"pattern":"TODO","path":"."}'
    assert body["choices"][0]["message"]["reasoning_content"] == "plan"
    assert body["usage"] == {"prompt_tokens": 1050, "completion_tokens": 20,
                             "total_tokens": 1070, "prompt_tokens_details": {"cached_tokens": 900}}


@pytest.mark.parametrize(("stop_reason", "finish"), [
    ("end_turn", "stop"), ("stop_sequence", "stop"), ("tool_use", "tool_calls"),
    ("max_tokens", "length"), ("refusal", "content_filter"), (None, "stop"),
])
def test_stop_reasons_map_to_finish_reasons(stop_reason, finish) -> None:
    body = openai_chat.render_response(tool_call_answer(stop_reason=stop_reason), created=0)
    assert body["choices"][0]["finish_reason"] == finish


def test_parse_response_reads_reasoning_tool_calls_and_cached_usage() -> None:
    body = {"id": "chatcmpl-1", "model": "deepseek-reasoner", "choices": [{
        "index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "", "reasoning_content": "think",
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "f", "arguments": '{"x": 1}'}}]}}],
        "usage": {"prompt_tokens": 30, "completion_tokens": 4,
                  "prompt_tokens_details": {"cached_tokens": 10}}}
    response = openai_chat.parse_response(body)
    assert response.content == [ThinkingBlock("think"), ToolUseBlock("call_1", "f", {"x": 1})]
    assert response.stop_reason == "tool_use"
    assert response.usage == Usage(input_tokens=20, output_tokens=4, cache_read_input_tokens=10)


def test_parse_response_gives_ids_to_tool_calls_without_one_and_keeps_bad_json() -> None:
    body = {"choices": [{"finish_reason": "length", "message": {"tool_calls": [
        {"function": {"name": "f", "arguments": '{"x": '}}]}}]}
    response = openai_chat.parse_response(body)
    call = response.content[0]
    assert isinstance(call, ToolUseBlock) and call.id.startswith("call_")
    assert call.input == {"_raw": '{"x": '} and response.stop_reason == "max_tokens"


@pytest.mark.parametrize("body", [[], {}, {"choices": []}, {"error": {"message": "quota"}},
                                  {"choices": [{"message": {"tool_calls": "x"}}]}])
def test_malformed_upstream_responses_raise_upstream_errors(body) -> None:
    with pytest.raises(UpstreamError):
        openai_chat.parse_response(body)
