"""Reasoning items: an upstream's thinking, through a Responses client and back, exactly.

What Codex CLI 0.169 really does (checked against the binary, resume included): it sends each
reasoning item back as it got it, ``content``, ``summary`` and ``encrypted_content`` alike.
Anthropic with the thinking display omitted answers thinking blocks of empty text with a
signature; those must come back as thinking, not as redacted thinking.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from openai.types.responses import Response as SDKResponse
from openai.types.responses.response_input_item import ResponseInputItem
from pydantic import TypeAdapter

from lynkr.model import (
    Block,
    RedactedThinkingBlock,
    Response,
    ThinkingBlock,
    ToolUseBlock,
)
from lynkr.wire import anthropic
from lynkr.wire.openai_responses import parse_request, render_response
from tests.wire.responses_frames import rendered, streamed

INPUT_ITEM = TypeAdapter(ResponseInputItem)
ASK = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Why?"}]}
CALL = ToolUseBlock("call_1", "exec_command", {"cmd": "ls"})


def round_trip(block: Block, reasoning: dict[str, Any] | None = None) -> list[Block]:
    """The assistant turn lynkr reads back from the items it rendered for ``block``."""
    request = parse_request({"model": "m", "input": [ASK], "reasoning": reasoning or {}})
    body = render_response(Response(id="x", model="m", content=[block, CALL]),
                           request=request, response_id="resp_1", created_at=1)
    items = [i.model_dump(exclude_none=True)
             for i in SDKResponse.model_validate(body).output]
    for item in items:
        INPUT_ITEM.validate_python(item)
    result = {"type": "function_call_output", "call_id": "call_1", "output": "a.py"}
    later = parse_request({"model": "m", "input": [ASK, *items, result]})
    return later.messages[1].content


def test_empty_thinking_with_a_signature_comes_back_as_thinking() -> None:
    assert round_trip(ThinkingBlock("", "EqQBCkYI")) == [ThinkingBlock("", "EqQBCkYI"), CALL]


def test_anthropic_is_sent_the_empty_thinking_block_it_signed() -> None:
    request = parse_request({"model": "m", "input": [
        ASK, {"type": "reasoning", "id": "rs_1", "summary": [],
              "encrypted_content": "lynkr.thinking:EqQBCkYI"},
        {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": "ok"}]})
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=False)
    assert body["messages"][1]["content"][0] == {"type": "thinking", "thinking": "",
                                                 "signature": "EqQBCkYI"}


def test_redacted_thinking_comes_back_redacted() -> None:
    assert round_trip(RedactedThinkingBlock("EmwKAhgB")) == [RedactedThinkingBlock("EmwKAhgB"),
                                                              CALL]


def test_items_without_lynkrs_marker_are_read_as_before() -> None:
    signed = {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Look."}],
              "encrypted_content": "sig"}
    opaque = {"type": "reasoning", "summary": [], "encrypted_content": "sig"}
    call = {"type": "function_call", "call_id": "c1", "name": "f", "arguments": "{}"}
    turn = parse_request({"model": "m", "input": [ASK, signed, opaque, call]}).messages[1]
    assert turn.content[:2] == [ThinkingBlock("Look.", "sig"), RedactedThinkingBlock("sig")]


@given(text=st.text(), signature=st.text(min_size=1) | st.none(),
       summary=st.sampled_from([None, "auto", "concise", "detailed"]))
def test_any_thinking_block_survives_the_round_trip(text: str, signature: str | None,
                                                    summary: str | None) -> None:
    reasoning = {"effort": "high", **({"summary": summary} if summary else {})}
    kept = round_trip(ThinkingBlock(text, signature), reasoning)
    if text or signature:
        assert kept == [ThinkingBlock(text, signature), CALL]
    else:
        assert kept == [CALL]  # nothing to send back


@given(data=st.text(min_size=1))
def test_any_redacted_block_survives_the_round_trip(data: str) -> None:
    assert round_trip(RedactedThinkingBlock(data)) == [RedactedThinkingBlock(data), CALL]


def test_the_marker_is_all_lynkr_adds_to_the_signature() -> None:
    request = parse_request({"model": "m", "input": [ASK]})
    body = render_response(Response(id="x", model="m", content=[ThinkingBlock("t", "s")]),
                           request=request, response_id="resp_1", created_at=1)
    assert json.dumps(body["output"][0]["encrypted_content"]) == '"lynkr.thinking:s"'


# --- where the thinking text goes -------------------------------------------------------------

THOUGHT = Response(id="x", model="m", content=[ThinkingBlock("Check the sum.", "sig"), CALL])


def answer_to(reasoning: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The whole answer's reasoning item and the streamed events, for a request asking
    ``reasoning``."""
    request = parse_request({"model": "m", "input": [ASK], "reasoning": reasoning})
    body = rendered(request, THOUGHT)
    events = streamed(request, THOUGHT, chunk_size=4)
    assert events[-1]["response"]["output"] == body["output"]
    return body["output"][0], events


def test_thinking_is_reasoning_content_and_no_summary_when_none_was_asked() -> None:
    item, events = answer_to({"effort": "medium"})
    assert item["content"] == [{"type": "reasoning_text", "text": "Check the sum."}]
    assert item["summary"] == []
    kinds = [e["type"] for e in events if e.get("output_index") == 0]
    runs = [k for i, k in enumerate(kinds) if i == 0 or kinds[i - 1] != k]
    assert runs == ["response.output_item.added", "response.content_part.added",
                    "response.reasoning_text.delta", "response.reasoning_text.done",
                    "response.content_part.done", "response.output_item.done"]
    assert "".join(e["delta"] for e in events
                   if e["type"] == "response.reasoning_text.delta") == "Check the sum."


def test_a_requested_summary_carries_the_thinking_too() -> None:
    item, events = answer_to({"effort": "medium", "summary": "detailed"})
    assert item["content"] == [{"type": "reasoning_text", "text": "Check the sum."}]
    assert item["summary"] == [{"type": "summary_text", "text": "Check the sum."}]
    summary = "".join(e["delta"] for e in events
                      if e["type"] == "response.reasoning_summary_text.delta")
    assert summary == "Check the sum."
    kinds = [e["type"] for e in events]
    assert kinds.index("response.reasoning_summary_part.added") \
        < kinds.index("response.reasoning_summary_part.done")


def test_streamed_thinking_without_text_opens_no_parts() -> None:
    request = parse_request({"model": "m", "input": [ASK], "reasoning": {"summary": "auto"}})
    silent = Response(id="x", model="m", content=[ThinkingBlock("", "sig"), CALL])
    events = streamed(request, silent)
    reasoning = [e["type"] for e in events if e.get("output_index") == 0]
    assert reasoning == ["response.output_item.added", "response.output_item.done"]
    done = next(e["item"] for e in events if e["type"] == "response.output_item.done")
    assert (done["content"], done["summary"], done["encrypted_content"]) == (
        [], [], "lynkr.thinking:sig")
