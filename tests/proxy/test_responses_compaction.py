"""Remote compaction through lynkr to upstreams of another format, with the official OpenAI
SDK as the Responses client: a ``compaction_trigger`` is answered by exactly one
``compaction`` item (what Codex's built-in provider requires), and that item sent back
reaches the upstream as the summary."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import openai
import pytest

from tests.conftest import ProxyFactory
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

EXEC = {"type": "function", "name": "exec_command", "description": "Run a command.",
        "strict": False, "parameters": {"type": "object", "properties": {
            "cmd": {"type": "string"}}}}
ASK = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "Echo one"}]}
SUMMARY = "Echoed one; nothing remains."


@pytest.fixture(params=["anthropic", "openai_chat"])
def sdk(request: pytest.FixtureRequest, upstream: FakeUpstream,
        proxy_factory: ProxyFactory) -> Iterator[openai.OpenAI]:
    settings = (
        {"MODEL_PROVIDER": "anthropic", "ANTHROPIC_API_KEY": "sk-ant",
         "ANTHROPIC_ENDPOINT": upstream.url, "ANTHROPIC_MODEL": "claude-fake"}
        if request.param == "anthropic" else
        {"MODEL_PROVIDER": "openai", "OPENAI_API_KEY": "sk-test",
         "OPENAI_ENDPOINT": f"{upstream.url}/v1", "OPENAI_MODEL": "gpt-fake"})
    with proxy_factory(**settings) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)


def output(sdk: openai.OpenAI, stream: bool, items: list[Any]) -> list[dict[str, Any]]:
    fields: dict[str, Any] = {"model": "gpt-5.5", "input": items, "tools": [EXEC],
                              "store": False}
    if not stream:
        return [i.model_dump(exclude_none=True) for i in sdk.responses.create(**fields).output]
    events = list(sdk.responses.create(stream=True, **fields))
    assert events[-1].type == "response.completed"
    done = [e.item.model_dump(exclude_none=True) for e in events
            if e.type == "response.output_item.done"]
    assert [i.model_dump(exclude_none=True) for i in events[-1].response.output] == done
    return done


def sent_text(body: dict[str, Any]) -> str:
    """All the text the upstream was sent in its messages, whichever format it speaks."""
    parts: list[str] = []
    for message in body["messages"]:
        content = message.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            parts += [p.get("text", "") for p in content if isinstance(p, dict)]
    return "\n".join(parts)


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_a_compaction_trigger_is_answered_by_one_compaction_item_read_back_later(
        sdk: openai.OpenAI, upstream: FakeUpstream, stream: bool) -> None:
    call = {"type": "function_call", "call_id": "call_1", "name": "exec_command",
            "arguments": '{"cmd":"echo one"}'}
    result = {"type": "function_call_output", "call_id": "call_1", "output": "one"}
    upstream.queue(Reply(text=SUMMARY, tool_calls=[ToolCall("exec_command", {"cmd": "ls"})]))
    [item] = output(sdk, stream, [ASK, call, result, {"type": "compaction_trigger"}])
    assert item["type"] == "compaction" and SUMMARY in item["encrypted_content"]
    assert "compacted" in sent_text(upstream.last.body)

    upstream.queue(Reply(text="Nothing left to do."))
    again = {"type": "message", "role": "user",
             "content": [{"type": "input_text", "text": "And now?"}]}
    [said] = output(sdk, stream, [ASK, item, again])
    assert said["type"] == "message"
    text = sent_text(upstream.last.body)
    assert SUMMARY in text and item["encrypted_content"] not in text
