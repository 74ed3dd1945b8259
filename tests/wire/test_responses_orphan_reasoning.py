"""Reasoning left behind by an answer cut off upstream.

What Codex CLI 0.169 really does (captured): when the upstream stream breaks after a finished
thinking block, Codex keeps that reasoning item, retries with it as the last input item, and
keeps it in its history for good, just before the retry's own reasoning and call. Sent on as
it is, Anthropic gets a trailing assistant message of thinking alone (and a thinking block
bound to an answer that never was), OpenAI chat an empty assistant message.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lynkr.model import Message, RedactedThinkingBlock, ThinkingBlock, ToolUseBlock
from lynkr.wire import anthropic, openai_chat
from lynkr.wire.openai_responses import parse_request

CUT, RETRY = "d606a9f7e18240e6bb450f65361af347", "3d841cd876dd45109e0c887ae159793c"
ASK = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "echo"}]}


def reasoning(response: str | None, text: str, index: int = 0) -> dict[str, Any]:
    item = {"type": "reasoning", "summary": [{"type": "summary_text", "text": text}],
            "content": None, "encrypted_content": f"sig-{text}"}
    return {**item, "id": f"rs_{response}_{index}"} if response else item


def call(response: str | None, index: int = 1) -> dict[str, Any]:
    item = {"type": "function_call", "status": "completed", "name": "exec_command",
            "arguments": '{"cmd":"echo retry"}', "call_id": "toolu_y"}
    return {**item, "id": f"fc_{response}_{index}"} if response else item


OUTPUT = {"type": "function_call_output", "call_id": "toolu_y", "output": "retry"}


def messages(*items: dict[str, Any]) -> list[Message]:
    return parse_request({"model": "m", "input": [ASK, *items]}).messages


def test_a_retry_carrying_the_cut_answers_reasoning_sends_no_assistant_prefill() -> None:
    request = parse_request({"model": "m", "input": [ASK, reasoning(CUT, "Thinking.")]})
    assert [m.role for m in request.messages] == ["user"]
    claude = anthropic.build_request(request, "m", stream=False, passthrough_extra=False)
    assert [m["role"] for m in claude["messages"]] == ["user"]
    chat = openai_chat.build_request(request, "m", stream=False, passthrough_extra=False)
    assert chat["messages"][-1]["role"] == "user"


def test_a_trailing_reasoning_only_turn_is_dropped_whoever_made_it() -> None:
    assert [m.role for m in messages(reasoning(None, "Thinking."))] == ["user"]
    redacted = {"type": "reasoning", "summary": [], "encrypted_content": "opaque"}
    assert [m.role for m in messages(redacted)] == ["user"]


def test_the_cut_answers_reasoning_is_left_out_before_the_retrys_own() -> None:
    history = messages(reasoning(CUT, "Thinking."), reasoning(RETRY, "Again."), call(RETRY),
                       OUTPUT)
    assert [m.role for m in history] == ["user", "assistant", "user"]
    assert history[1].content == [ThinkingBlock("Again.", "sig-Again."),
                                  ToolUseBlock("toolu_y", "exec_command", {"cmd": "echo retry"})]


def test_reasoning_before_a_new_question_is_dropped_and_the_questions_merge() -> None:
    later = {**ASK, "content": [{"type": "input_text", "text": "and now?"}]}
    history = messages(reasoning(CUT, "Thinking."), later)
    assert [m.role for m in history] == ["user"]
    assert [b.text for b in history[0].content] == ["echo", "and now?"]  # type: ignore[union-attr]


def test_an_answers_several_reasoning_items_stay_with_its_call() -> None:
    history = messages(reasoning(RETRY, "One.", 0), reasoning(RETRY, "Two.", 1),
                       call(RETRY, 2), OUTPUT)
    assert [b.type for b in history[1].content] == ["thinking", "thinking", "tool_use"]


def test_reasoning_is_kept_when_the_answers_call_has_no_id_to_judge_by() -> None:
    history = messages(reasoning(CUT, "Thinking."), call(None), OUTPUT)
    assert [b.type for b in history[1].content] == ["thinking", "tool_use"]


def test_reasoning_without_ids_before_a_call_is_kept() -> None:
    history = messages(reasoning(None, "Thinking."), call(None), OUTPUT)
    assert [b.type for b in history[1].content] == ["thinking", "tool_use"]


ITEMS = st.sampled_from([
    lambda: reasoning(CUT, "a"), lambda: reasoning(RETRY, "b"), lambda: reasoning(None, "c"),
    lambda: call(CUT), lambda: call(RETRY), lambda: call(None),
    lambda: {"type": "message", "role": "assistant", "id": f"msg_{RETRY}_0",
             "content": [{"type": "output_text", "text": "said"}]},
    lambda: OUTPUT, lambda: ASK,
])


@given(st.lists(ITEMS, max_size=12))
def test_no_assistant_turn_is_thinking_alone_and_nothing_else_is_lost(
        makers: list[Any]) -> None:
    items = [make() for make in makers]
    history = messages(*items)
    for message in history:
        if message.role == "assistant":
            assert not all(isinstance(b, ThinkingBlock | RedactedThinkingBlock)
                           for b in message.content)
    kept = [b for m in history for b in m.content
            if not isinstance(b, ThinkingBlock | RedactedThinkingBlock)]
    without_reasoning = messages(*[i for i in items if i["type"] != "reasoning"])
    assert kept == [b for m in without_reasoning for b in m.content]
