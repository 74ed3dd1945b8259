"""Cache breakpoints in the OpenAI chat encoding (OpenRouter's dialect) and the cache usage an
OpenAI-style upstream reports: what a Claude Code request keeps on its way to OpenRouter, what
every other chat upstream never sees, and how cached and written tokens come back."""

from __future__ import annotations

import json
from typing import Any

import orjson

from lynkr.model import Usage
from lynkr.providers.openai_compat import MAX_BREAKPOINTS, within_breakpoint_limit
from lynkr.stream_events import MessageDelta
from lynkr.wire import anthropic, openai_chat
from lynkr.wire.anthropic_stream import StreamEncoder
from lynkr.wire.openai_chat_stream import parse_usage

CACHED = {"type": "ephemeral"}
HOUR = {"type": "ephemeral", "ttl": "1h"}


def claude_code_body() -> dict[str, Any]:
    """Claude Code's shape: breakpoints on its system blocks, a tool, the newest tool result
    and the text after it."""
    return {
        "model": "claude-sonnet-4-5", "max_tokens": 100,
        "system": [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1"},
                   {"type": "text", "text": "You are Claude Code.", "cache_control": HOUR}],
        "tools": [{"name": "Bash", "input_schema": {"type": "object"}},
                  {"name": "Read", "input_schema": {"type": "object"}, "cache_control": CACHED}],
        "messages": [
            {"role": "user", "content": "Fix the test"},
            {"role": "assistant", "content": [
                {"type": "text", "text": "Running it."},
                {"type": "tool_use", "id": "t1", "name": "Bash", "input": {"command": "pytest"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "t1", "content": "1 failed",
                 "cache_control": CACHED},
                {"type": "text", "text": "Go on.", "cache_control": CACHED}]}]}


def chat_body(body: dict[str, Any], *, keep: bool) -> dict[str, Any]:
    return openai_chat.build_request(anthropic.parse_request(body), "anthropic/claude-sonnet-4.5",
                                     stream=True, passthrough_extra=False,
                                     keep_cache_control=keep)


def test_claude_codes_breakpoints_are_kept_where_openrouter_reads_them() -> None:
    body = chat_body(claude_code_body(), keep=True)
    system, _, _, tool, user = body["messages"]
    assert system["content"] == [
        {"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1"},
        {"type": "text", "text": "You are Claude Code.", "cache_control": HOUR}]
    assert body["tools"][1] == {"type": "function", "cache_control": CACHED, "function": {
        "name": "Read", "parameters": {"type": "object"}}}
    assert "cache_control" not in body["tools"][0]
    assert tool["content"] == [{"type": "text", "text": "1 failed", "cache_control": CACHED}]
    assert user["content"] == [{"type": "text", "text": "Go on.", "cache_control": CACHED}]


def test_a_body_for_any_other_chat_upstream_has_no_cache_control() -> None:
    body = chat_body(claude_code_body(), keep=False)
    assert "cache_control" not in json.dumps(body)
    assert body["messages"][0]["content"] == \
        "x-anthropic-billing-header: cc_version=2.1\n\nYou are Claude Code."


def test_a_breakpoint_on_an_answers_tool_call_goes_on_its_text() -> None:
    sent = claude_code_body()
    sent["messages"][1]["content"][1]["cache_control"] = CACHED
    answer = chat_body(sent, keep=True)["messages"][2]
    assert answer["content"] == [{"type": "text", "text": "Running it.",
                                  "cache_control": CACHED}]
    assert answer["tool_calls"][0]["function"]["name"] == "Bash"


def test_an_answer_of_tool_calls_alone_drops_its_breakpoint() -> None:
    sent = claude_code_body()
    sent["messages"][1]["content"] = [{"type": "tool_use", "id": "t1", "name": "Bash",
                                       "input": {}, "cache_control": CACHED}]
    answer = chat_body(sent, keep=True)["messages"][2]
    assert answer["content"] is None and "cache_control" not in json.dumps(answer)


def test_a_tool_result_marked_on_its_part_keeps_the_mark_and_an_empty_one_drops_it() -> None:
    sent = claude_code_body()
    sent["messages"][2]["content"] = [
        {"type": "tool_result", "tool_use_id": "t1",
         "content": [{"type": "text", "text": "1 failed", "cache_control": CACHED}]}]
    assert chat_body(sent, keep=True)["messages"][3]["content"] == [
        {"type": "text", "text": "1 failed", "cache_control": CACHED}]
    sent["messages"][2]["content"] = [
        {"type": "tool_result", "tool_use_id": "t1", "content": "", "cache_control": CACHED}]
    assert chat_body(sent, keep=True)["messages"][3]["content"] == ""


def test_an_openai_chat_clients_tool_breakpoint_is_read_and_written_back() -> None:
    request = openai_chat.parse_request({
        "model": "m", "messages": [{"role": "user", "content": "hi"}],
        "tools": [{"type": "function", "function": {"name": "ls"}, "cache_control": CACHED}]})
    assert request.tools[0].extra == {"cache_control": CACHED}
    kept = openai_chat.build_request(request, "m", stream=False, passthrough_extra=True,
                                     keep_cache_control=True)
    dropped = openai_chat.build_request(request, "m", stream=False, passthrough_extra=True)
    assert kept["tools"][0]["cache_control"] == CACHED
    assert "cache_control" not in json.dumps(dropped)


def test_only_the_newest_four_breakpoints_are_kept() -> None:
    payload: dict[str, Any] = {
        "tools": [{"type": "function", "function": {"name": "a"}, "cache_control": CACHED}],
        "messages": [{"role": "user", "content": [
            {"type": "text", "text": f"part {i}", "cache_control": CACHED}
            for i in range(5)]}]}
    within_breakpoint_limit(payload)
    kept = [p["text"] for p in payload["messages"][0]["content"] if "cache_control" in p]
    assert kept == ["part 1", "part 2", "part 3", "part 4"] and len(kept) == MAX_BREAKPOINTS
    assert "cache_control" not in payload["tools"][0]


def test_openrouters_cached_and_written_tokens_become_cache_read_and_creation() -> None:
    usage = parse_usage({"prompt_tokens": 10_339, "completion_tokens": 60,
                         "prompt_tokens_details": {"cached_tokens": 9_000,
                                                   "cache_write_tokens": 1_200}})
    assert usage == Usage(input_tokens=139, output_tokens=60, cache_read_input_tokens=9_000,
                          cache_creation_input_tokens=1_200)


def test_openai_and_deepseek_usage_read_as_before() -> None:
    assert parse_usage({"prompt_tokens": 100, "completion_tokens": 5,
                        "prompt_tokens_details": {"cached_tokens": 64}}) == Usage(36, 5, 64, 0)
    assert parse_usage({"prompt_tokens": 100, "completion_tokens": 5,
                        "prompt_cache_hit_tokens": 80}) == Usage(20, 5, 80, 0)


def test_a_streamed_answers_final_usage_tells_an_anthropic_client_its_cache_use() -> None:
    frame = StreamEncoder().encode(MessageDelta(stop_reason="end_turn", usage=Usage(
        input_tokens=139, output_tokens=60, cache_read_input_tokens=9_000,
        cache_creation_input_tokens=1_200)))
    data = orjson.loads(frame.split(b"data: ", 1)[1])
    assert data["usage"] == {"output_tokens": 60, "input_tokens": 139,
                             "cache_creation_input_tokens": 1_200,
                             "cache_read_input_tokens": 9_000}
