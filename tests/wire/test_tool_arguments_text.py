"""A tool call's arguments go back upstream as the model wrote them: a call cut off by
``max_tokens`` (invalid JSON, kept under ``_raw``) is not wrapped in an object it never
wrote when the history reaches an OpenAI-compatible upstream."""

from __future__ import annotations

import json

from hypothesis import assume, given
from hypothesis import strategies as st

from lynkr.model import Message, Request, TextBlock, ToolUseBlock
from lynkr.streams import parse_tool_arguments, tool_arguments_text
from lynkr.wire import openai_chat

CUT = '{"file_path": "a.py", "content": "def f():\\n    ret'


@given(st.text(max_size=60))
def test_text_that_is_not_json_comes_back_exactly_as_the_model_wrote_it(raw: str) -> None:
    arguments = parse_tool_arguments(raw)
    assume("_raw" in arguments)
    assert tool_arguments_text(arguments) == raw


@given(st.dictionaries(st.text(max_size=8), st.integers(-(2**63), 2**63 - 1) | st.text(max_size=8),
                       max_size=4))
def test_an_object_comes_back_as_the_same_object(arguments: dict[str, object]) -> None:
    assume(set(arguments) not in ({"_raw"}, {"_value"}))
    assert json.loads(tool_arguments_text(arguments)) == arguments


def test_whole_arguments_are_json_of_the_object() -> None:
    assert json.loads(tool_arguments_text({"_raw": 1, "x": 2})) == {"_raw": 1, "x": 2}


def test_an_upstream_is_sent_the_cut_call_as_the_model_wrote_it() -> None:
    request = Request("m", [Message("user", [TextBlock("write a.py")]),
                            Message("assistant", [ToolUseBlock("c1", "Write",
                                                               parse_tool_arguments(CUT))])])
    body = openai_chat.build_request(request, "gpt", stream=False, passthrough_extra=False)
    assert body["messages"][-1]["tool_calls"][0]["function"]["arguments"] == CUT
