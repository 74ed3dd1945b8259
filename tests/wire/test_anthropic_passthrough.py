"""An Anthropic client's request reaches an Anthropic upstream as it was sent: newer Claude
models check that system, tools and every earlier message come back unchanged before they
read a thinking block (preserved thinking), so lynkr may not move, drop or reshape anything on
the way. Other upstream formats get what they can take (system messages in the user turns next
to them, see :mod:`lynkr.wire.system_entries`)."""

from __future__ import annotations

import copy
import dataclasses
import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.wire import anthropic as codec
from lynkr.wire import openai_chat

SYSTEM = [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1"},
          {"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}]
TOOLS = [
    {"name": "Read", "description": "Read a file", "input_schema": {"type": "object"},
     "cache_control": {"type": "ephemeral"}},
    {"name": "Grep", "description": "", "input_schema": {"type": "object"},
     "defer_loading": True, "strict": False},
    {"type": "custom", "name": "Bash", "input_schema": {"type": "object"},
     "input_examples": [{"command": "ls"}]},
]


def claude_code_turn() -> dict[str, Any]:
    """The second step of a tool loop as Claude Code sends it: role:system entries in
    ``messages``, signed thinking, fields and keys newer than lynkr."""
    return {
        "model": "claude-fable-5-2", "max_tokens": 32000, "stream": True, "system": SYSTEM,
        "tools": TOOLS,
        "thinking": {"type": "adaptive", "display": "omitted",
                     "block_binding": {"prefix_mismatch_behavior": "drop_block"}},
        "output_config": {"effort": "high"},
        "context_management": {"edits": [{"type": "clear_thinking_20251015", "keep": "all"}]},
        "metadata": {"user_id": '{"session_id":"s1"}'},
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "Read NOTES.md"}]},
            {"role": "system", "content": "# Environment\ncwd: /repo", "clear_at": 3},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "", "signature": "EqQB"},
                {"type": "tool_use", "id": "toolu_1", "name": "Read",
                 "input": {"file_path": "NOTES.md"}, "caller": {"type": "direct"}}]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "",
                 "is_error": False},
                {"type": "text", "text": "cited", "citations": [{"type": "char_location"}]},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                             "data": "iVBORw0KGgo="},
                 "cache_control": {"type": "ephemeral"}}]},
            {"role": "system", "content": [
                {"type": "text", "text": "<total_tokens>9</total_tokens>"},
                {"type": "text", "text": "Keep going."}]},
        ],
    }


def value(body: dict[str, Any]) -> str:
    """A body as the API compares it: JSON values, key order aside, a string content as one
    text block."""
    body = copy.deepcopy(body)
    for message in body.get("messages", []):
        if isinstance(message["content"], str):
            message["content"] = [{"type": "text", "text": message["content"]}]
    return json.dumps(body, sort_keys=True)


def test_a_claude_code_request_reaches_an_anthropic_upstream_as_sent() -> None:
    sent = claude_code_turn()
    built = codec.build_request(codec.parse_request(sent), sent["model"], stream=True,
                                passthrough_extra=True)
    assert value(built) == value(sent)


def test_role_system_messages_stay_in_place_and_out_of_the_system_prompt() -> None:
    built = codec.build_request(codec.parse_request(claude_code_turn()), "m", stream=True,
                                passthrough_extra=True)
    assert built["system"] == SYSTEM
    assert [m["role"] for m in built["messages"]] == [
        "user", "system", "assistant", "user", "system"]


def test_every_other_reader_sees_system_messages_folded_into_the_system_prompt() -> None:
    request = codec.parse_request(claude_code_turn())
    assert [m.role for m in request.messages] == ["user", "assistant", "user"]
    assert request.system_text.endswith("cwd: /repo\n\n<total_tokens>9</total_tokens>\n\n"
                                        "Keep going.")


def test_another_upstream_format_gets_system_messages_in_the_user_turns_next_to_them() -> None:
    request = codec.parse_request(claude_code_turn())
    chat = openai_chat.build_request(request, "gpt", stream=False, passthrough_extra=False)
    assert [m["role"] for m in chat["messages"]][:2] == ["system", "user"]
    assert chat["messages"][0]["content"] == "\n\n".join(b["text"] for b in SYSTEM)
    assert "Keep going." in json.dumps(chat["messages"][-1])
    assert "system" not in [m["role"] for m in chat["messages"][1:]]


def test_an_openai_client_to_an_anthropic_upstream_still_gets_system_folded() -> None:
    request = openai_chat.parse_request({"model": "m", "messages": [
        {"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"},
        {"role": "system", "content": "Mind the budget."}]})
    built = codec.build_request(request, "m", stream=False, passthrough_extra=False)
    assert [m["role"] for m in built["messages"]] == ["user"]
    assert "Mind the budget." in json.dumps(built["system"])


def test_a_rewritten_system_block_is_still_taken_out_of_the_system_prompt() -> None:
    request = codec.parse_request(claude_code_turn())
    request.system = [dataclasses.replace(b) for b in request.system]  # equal, new objects
    built = codec.build_request(request, "m", stream=True, passthrough_extra=True)
    assert built["system"] == SYSTEM


def test_extras_and_placement_stay_home_when_the_client_speaks_another_format() -> None:
    request = codec.parse_request(claude_code_turn())
    built = codec.build_request(request, "m", stream=True, passthrough_extra=False)
    assert "output_config" not in built
    assert [m["role"] for m in built["messages"]] == ["user", "assistant", "user"]


_KEYS = st.sampled_from(["citations", "clear_at", "cache_control", "caller", "x_future"])
_VALUES = st.one_of(st.none(), st.integers(), st.text(max_size=5),
                    st.fixed_dictionaries({"type": st.just("ephemeral")}))
_TEXT = st.builds(lambda text, extra: {"type": "text", "text": text, **extra},
                  st.text(min_size=1, max_size=8), st.dictionaries(_KEYS, _VALUES, max_size=2))
_CONTENT = st.one_of(st.text(min_size=1, max_size=8), st.lists(_TEXT, min_size=1, max_size=3))
_MESSAGE = st.builds(lambda role, content, extra: {"role": role, "content": content, **extra},
                     st.sampled_from(["user", "assistant", "system"]), _CONTENT,
                     st.dictionaries(st.sampled_from(["clear_at", "x_future"]), _VALUES,
                                     max_size=1))


@settings(max_examples=200, deadline=None)
@given(messages=st.lists(_MESSAGE, max_size=8), system=st.lists(_TEXT, max_size=2))
def test_any_messages_and_system_go_back_as_sent(messages: list[dict[str, Any]],
                                                 system: list[dict[str, Any]]) -> None:
    sent = {"model": "m", "max_tokens": 10, "stream": False, "messages": messages}
    if system:
        sent["system"] = system
    built = codec.build_request(codec.parse_request(sent), "m", stream=False,
                                passthrough_extra=True)
    assert value(built) == value(sent)
