"""Remote compaction (Codex's built-in OpenAI provider pointed at lynkr), answered by an
upstream of another format.

What Codex CLI 0.169 really sends: the whole conversation (tools declared) with a last input
item ``{"type": "compaction_trigger"}``; it fails the turn unless the answer holds exactly one
``compaction`` output item, and later sends that item back where the summarised turns were.
"""

from __future__ import annotations

from typing import Any

import pytest
from openai.types.responses import Response as SDKResponse
from openai.types.responses.response_input_item import ResponseInputItem
from pydantic import TypeAdapter

from lynkr.model import Request, Response, TextBlock, ToolResultBlock, ToolUseBlock
from lynkr.wire import anthropic, openai_chat
from lynkr.wire.openai_responses import parse_request, render_response
from lynkr.wire.openai_responses_compaction import COMPACTION_PROMPT, SUMMARY_MARKER
from tests.wire.responses_frames import rendered, streamed

INPUT_ITEM = TypeAdapter(ResponseInputItem)
EXEC = {"type": "function", "name": "exec_command", "description": "Run a command.",
        "strict": False, "parameters": {"type": "object"}}
ASK = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Echo one"}]}
CALL = {"type": "function_call", "call_id": "call_1", "name": "exec_command",
        "arguments": '{"cmd":"echo one"}'}
OUTPUT = {"type": "function_call_output", "call_id": "call_1", "output": "one"}
TRIGGER = {"type": "compaction_trigger"}
SUMMARY = "The user asked to echo one; it printed one. Nothing remains."


def codex(*items: dict[str, Any]) -> Request:
    for item in items:
        INPUT_ITEM.validate_python(item)
    return parse_request({"model": "gpt-5.5", "input": [ASK, *items], "tools": [EXEC],
                          "stream": True, "store": False, "parallel_tool_calls": True})


def summary_answer(*extra: ToolUseBlock) -> Response:
    return Response(id="x", model="m", content=[TextBlock(SUMMARY), *extra])


def test_a_trigger_asks_the_upstream_for_a_summary_with_tools_declared_but_not_to_be_called(
        ) -> None:
    body = anthropic.build_request(codex(CALL, OUTPUT, TRIGGER), "m", stream=False,
                                   passthrough_extra=False)
    last = body["messages"][-1]
    assert [b["type"] for b in last["content"]] == ["tool_result", "text"]
    assert last["content"][-1]["text"] == COMPACTION_PROMPT
    assert [t["name"] for t in body["tools"]] == ["exec_command"]
    assert body["tool_choice"] == {"type": "none"}


def test_a_trigger_reaches_a_chat_upstream_as_the_last_user_message() -> None:
    body = openai_chat.build_request(codex(TRIGGER), "m", stream=False, passthrough_extra=False)
    assert body["messages"][-1] == {"role": "user", "content": [
        {"type": "text", "text": "Echo one"}, {"type": "text", "text": COMPACTION_PROMPT}]}
    assert body["tool_choice"] == "none"


def test_the_answer_to_a_trigger_is_exactly_one_compaction_item_carrying_the_summary() -> None:
    request = codex(CALL, OUTPUT, TRIGGER)
    body = render_response(summary_answer(ToolUseBlock("call_2", "exec_command", {})),
                           request=request, response_id="resp_1", created_at=1)
    [item] = SDKResponse.model_validate(body).output
    assert item.type == "compaction"
    assert item.encrypted_content == SUMMARY_MARKER + SUMMARY


def test_a_streamed_compaction_sends_one_item_whole_and_says_it_is_compacting() -> None:
    events = streamed(codex(TRIGGER), summary_answer(), chunk_size=7)
    kinds = [e["type"] for e in events]
    assert kinds == ["response.created", "response.in_progress",
                     "response.compaction.compacting", "response.output_item.added",
                     "response.output_item.done", "response.completed"]
    done = events[-2]["item"]
    assert (done["type"], done["encrypted_content"]) == ("compaction", SUMMARY_MARKER + SUMMARY)
    assert events[2]["item_id"] == done["id"] == events[3]["item"]["id"]
    assert events[-1]["response"]["output"] == [done]


@pytest.mark.parametrize("content", [
    [ToolUseBlock("c1", "exec_command", {})], [TextBlock("")], [TextBlock("  ")]],
    ids=["call-only", "empty", "blank"])
def test_a_compaction_without_a_summary_fails_instead_of_erasing_the_history(
        content: list[Any]) -> None:
    """A compaction item replaces the client's history: an answer without text (an upstream
    that ignored tool_choice none, or wrote nothing) must not become an empty one."""
    answer = Response(id="x", model="m", content=content)
    body = rendered(codex(TRIGGER), answer)
    assert (body["status"], body["output"]) == ("failed", [])
    assert body["error"]["message"].startswith("the upstream wrote no summary")
    events = streamed(codex(TRIGGER), answer)
    assert events[-1]["type"] == "response.failed"
    assert not any(e["type"] == "response.output_item.done" for e in events)


def test_lynkrs_compaction_item_sent_back_reaches_the_upstream_as_the_summary() -> None:
    request = codex(TRIGGER)
    [item] = render_response(summary_answer(), request=request, response_id="resp_1",
                             created_at=1)["output"]
    later = codex(item, {**ASK, "content": [{"type": "input_text", "text": "And now?"}]})
    assert later.tool_choice is None or later.tool_choice.type != "none"
    [turn] = later.messages
    texts = [b.text for b in turn.content if isinstance(b, TextBlock)]
    assert texts[0] == "Echo one" and SUMMARY in texts[1] and texts[2] == "And now?"
    assert COMPACTION_PROMPT not in "".join(texts)


def test_a_compaction_item_from_openai_is_encrypted_for_openai_and_dropped() -> None:
    later = codex({"type": "compaction", "id": "cmp_1", "encrypted_content": "gAAAAB..."})
    assert [m.role for m in later.messages] == ["user"]
    assert later.messages[0].text == "Echo one"


def test_a_request_without_a_trigger_is_answered_as_usual() -> None:
    request = codex(CALL, OUTPUT)
    body = render_response(summary_answer(), request=request, response_id="resp_1",
                           created_at=1)
    assert [i["type"] for i in body["output"]] == ["message"]
    assert isinstance(request.messages[-1].content[-1], ToolResultBlock)


