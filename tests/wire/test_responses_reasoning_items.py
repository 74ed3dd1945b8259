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
