"""Tool-call ids minted by other providers reach Anthropic and Bedrock in a form they accept,
the call and its result still paired; the client's own copy is untouched."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from lynkr.model import Message, Request, TextBlock, ToolResultBlock, ToolUseBlock
from lynkr.wire import anthropic, bedrock
from lynkr.wire.tool_ids import api_tool_id

VALID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
KIMI = "functions.Read:0"


def history(tool_id: str) -> Request:
    return Request(model="m", messages=[
        Message("user", [TextBlock("read a.py")]),
        Message("assistant", [ToolUseBlock(tool_id, "Read", {"file_path": "a.py"})]),
        Message("user", [ToolResultBlock(tool_id, [TextBlock("print(1)")])])])


@given(st.text(max_size=100))
def test_every_id_becomes_one_both_apis_accept(tool_id: str) -> None:
    assert VALID.fullmatch(api_tool_id(tool_id))


@given(st.from_regex(VALID, fullmatch=True))
def test_an_id_they_accept_goes_as_it_is(tool_id: str) -> None:
    assert api_tool_id(tool_id) == tool_id


@given(st.text(max_size=80), st.text(max_size=80))
def test_two_different_ids_never_become_one(first: str, second: str) -> None:
    if first != second:
        assert api_tool_id(first) != api_tool_id(second)


def test_kimis_ids_become_readable_valid_ids() -> None:
    assert api_tool_id(KIMI).startswith("functions_Read_0_")


def test_anthropic_gets_the_call_and_its_result_under_one_valid_id() -> None:
    body = anthropic.build_request(history(KIMI), "claude", stream=False, passthrough_extra=False)
    call = body["messages"][1]["content"][0]
    result = body["messages"][2]["content"][0]
    assert call["id"] == result["tool_use_id"] == api_tool_id(KIMI)


def test_bedrock_gets_the_call_and_its_result_under_one_valid_id() -> None:
    body = bedrock.build_request(history(KIMI), "anthropic.claude")
    use = body["messages"][1]["content"][0]["toolUse"]
    result = body["messages"][2]["content"][0]["toolResult"]
    assert use["toolUseId"] == result["toolUseId"] == api_tool_id(KIMI)


def test_anthropics_own_ids_are_sent_unchanged() -> None:
    body = anthropic.build_request(history("toolu_01A"), "claude", stream=False,
                                   passthrough_extra=True)
    assert body["messages"][1]["content"][0]["id"] == "toolu_01A"
