"""Codex's ``additional_tools`` input item, for upstreams of another format.

What Codex CLI 0.169 really sends for its newer models (gpt-5.6-*, gpt-6-*, and gpt-6.1-sol,
its default): top-level ``tools: []`` and every tool in an input item
``{"type": "additional_tools", "role": "developer", "tools": [...]}``, grouped in namespaces:
``functions`` holds code mode's custom ``exec`` (JavaScript, with a lark grammar), ``wait``
and ``request_user_input``; ``collaboration`` holds the sub-agent tools. Codex runs ``exec``
only from a ``custom_tool_call`` ("tool exec invoked with incompatible payload" for a
``function_call``); checked against the real binary: it takes one with or without
``namespace: "functions"``, and sends the item back as it got it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.responses.response_input_item import ResponseInputItem
from pydantic import TypeAdapter

from lynkr.errors import InvalidRequest
from lynkr.model import Request, Response, ToolResultBlock, ToolUseBlock
from lynkr.wire import anthropic, openai_chat
from lynkr.wire.openai_responses import parse_request
from tests.wire.offered_tools import tool_names
from tests.wire.responses_frames import rendered, streamed

INPUT_ITEM = TypeAdapter(ResponseInputItem)
JS = 'const r = await tools.exec_command({cmd: "echo hi"});\ntext(JSON.stringify(r));'
EXEC = {"type": "custom", "name": "exec",
        "description": "Run JavaScript code to orchestrate/compose tool calls.",
        "format": {"type": "grammar", "syntax": "lark",
                   "definition": "start: plain_source\nplain_source: SOURCE\n"
                                 "SOURCE: /[\\s\\S]+/\n"}}
WAIT = {"type": "function", "name": "wait",
        "description": "Waits on a yielded `exec` cell and returns new output or completion.",
        "strict": False, "parameters": {
            "type": "object", "properties": {"cell_id": {"type": "string"}},
            "required": ["cell_id"], "additionalProperties": False}}
ASK_USER = {"type": "function", "name": "request_user_input", "description": "Ask the user.",
            "strict": False, "parameters": {"type": "object", "properties": {}}}
SPAWN = {"type": "function", "name": "spawn_agent", "description": "Spawn a sub-agent.",
         "strict": False, "parameters": {"type": "object", "properties": {
             "message": {"type": "string"}}}}
ADDITIONAL = {"type": "additional_tools", "id": "at_1", "role": "developer", "tools": [
    {"type": "namespace", "name": "functions", "description": "",
     "tools": [EXEC, WAIT, ASK_USER]},
    {"type": "namespace", "name": "collaboration", "description": "Sub-agents.",
     "tools": [SPAWN]}]}
ASK = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "run it"}]}
UPSTREAMS = ["anthropic", "openai_chat", "ollama", "bedrock", "gemini"]


def codex(*items: dict[str, Any]) -> Request:
    for item in (ADDITIONAL, ASK, *items):
        INPUT_ITEM.validate_python(item)  # the shapes the SDK knows as input items
    return parse_request({"model": "gpt-6.1-sol", "input": [ADDITIONAL, ASK, *items],
                          "tools": [], "stream": True, "store": False})


def called(name: str, arguments: dict[str, Any]) -> Response:
    return Response(id="x", model="m", content=[ToolUseBlock("call_1", name, arguments)],
                    stop_reason="tool_use")


@pytest.mark.parametrize("upstream", UPSTREAMS)
def test_every_upstream_is_offered_the_tools_of_an_additional_tools_item(upstream: str) -> None:
    assert tool_names(upstream, codex()) == [
        "exec", "wait", "request_user_input", "collaboration__spawn_agent"]


def test_the_default_namespaces_tools_keep_the_names_their_descriptions_use() -> None:
    body = anthropic.build_request(codex(), "m", stream=False, passthrough_extra=False)
    assert body["tools"][1] == {"name": "wait", "description": WAIT["description"],
                                "input_schema": WAIT["parameters"]}
    assert body["tools"][0]["input_schema"]["required"] == ["input"]


def test_an_exec_call_goes_back_as_a_custom_tool_call_in_the_functions_namespace() -> None:
    body = rendered(codex(), called("exec", {"input": JS}))
    [call] = body["output"]
    assert {k: call[k] for k in ("type", "namespace", "name", "call_id", "input")} == {
        "type": "custom_tool_call", "namespace": "functions", "name": "exec",
        "call_id": "call_1", "input": JS}


def test_a_streamed_exec_call_streams_custom_tool_input_and_ends_in_codexs_shape() -> None:
    events = streamed(codex(), called("exec", {"input": JS}))
    kinds = [e["type"] for e in events]
    assert "response.function_call_arguments.delta" not in kinds
    [done_input] = [e for e in events if e["type"] == "response.custom_tool_call_input.done"]
    assert done_input["input"] == JS
    [added] = [e["item"] for e in events if e["type"] == "response.output_item.added"]
    [done] = [e["item"] for e in events if e["type"] == "response.output_item.done"]
    assert (added["type"], added["namespace"], added["name"]) == ("custom_tool_call",
                                                                  "functions", "exec")
    assert (done["type"], done["namespace"], done["input"]) == ("custom_tool_call",
                                                                "functions", JS)
    assert events[-1]["response"]["output"] == [done]


def test_a_wait_call_goes_back_as_a_function_call_in_the_functions_namespace() -> None:
    [call] = rendered(codex(), called("wait", {"cell_id": "7"}))["output"]
    assert (call["type"], call["namespace"], call["name"]) == ("function_call", "functions",
                                                               "wait")
    assert json.loads(call["arguments"]) == {"cell_id": "7"}


def test_a_sub_agent_tool_goes_back_in_its_own_namespace() -> None:
    [call] = rendered(codex(), called("collaboration__spawn_agent", {"message": "go"}))["output"]
    assert (call["type"], call["namespace"], call["name"]) == ("function_call",
                                                               "collaboration", "spawn_agent")


def test_the_response_declares_the_top_level_tools_only() -> None:
    assert rendered(codex(), called("wait", {"cell_id": "7"}))["tools"] == []


@pytest.mark.parametrize("namespace", [{"namespace": "functions"}, {}], ids=["ns", "bare"])
def test_an_exec_call_and_its_output_in_the_history_reach_the_upstream_as_a_tool_round(
        namespace: dict[str, str]) -> None:
    call = {"type": "custom_tool_call", "id": "ctc_1", "status": "completed",
            "call_id": "call_js", "name": "exec", "input": JS, **namespace}
    output = {"type": "custom_tool_call_output", "call_id": "call_js",
              "output": [{"type": "input_text", "text": "Script completed\nOutput:\n"},
                         {"type": "input_text", "text": "hi"}]}
    request = codex(call, output)
    use, result = request.messages[-2].content[0], request.messages[-1].content[0]
    assert isinstance(use, ToolUseBlock) and isinstance(result, ToolResultBlock)
    assert (use.name, use.input, result.tool_use_id) == ("exec", {"input": JS}, "call_js")
    chat = openai_chat.build_request(request, "m", stream=False, passthrough_extra=False)
    assert chat["messages"][-2]["tool_calls"][0]["function"] == {
        "name": "exec", "arguments": json.dumps({"input": JS}, separators=(",", ":"))}


def test_a_namespaced_wait_call_in_the_history_reaches_the_upstream_under_its_own_name() -> None:
    call = {"type": "function_call", "call_id": "call_w", "name": "wait",
            "namespace": "functions", "arguments": '{"cell_id":"7"}'}
    output = {"type": "function_call_output", "call_id": "call_w", "output": "done"}
    body = anthropic.build_request(codex(call, output), "m", stream=False,
                                   passthrough_extra=False)
    assert body["messages"][-2]["content"][0]["name"] == "wait"


def test_a_top_level_tool_of_the_same_name_is_offered_once() -> None:
    request = parse_request({"model": "m", "input": [ADDITIONAL, ASK], "tools": [WAIT]})
    assert [t.name for t in request.tools].count("wait") == 1


def test_an_additional_tools_item_without_a_list_of_tools_is_refused() -> None:
    with pytest.raises(InvalidRequest) as refused:
        parse_request({"model": "m", "input": [{**ADDITIONAL, "tools": None}, ASK]})
    assert refused.value.param == "input[0].tools"
