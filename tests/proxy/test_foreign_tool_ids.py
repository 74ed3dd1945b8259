"""A Claude Code session whose tool call came from Kimi (id ``functions.Read:0``) goes on
with Claude: Anthropic refuses that id, so it reaches Claude in a form it accepts, while the
client keeps the id it was given."""

from __future__ import annotations

import anthropic

from tests.fakes import quirks
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

KIMI_ID = "functions.Read:0"
READ = {"name": "Read", "description": "Read a file.",
        "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}}
ASK = {"role": "user", "content": "what does a.py print?"}


def test_a_tool_call_kimi_made_is_answered_by_claude_on_the_next_turn(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.refusals.append(quirks.claude_tool_ids)
    upstream.queue(Reply(text="", tool_calls=[ToolCall("Read", {"file_path": "a.py"}, KIMI_ID)]),
                   Reply(text="It prints 1."))
    with proxy_factory(MODEL_PROVIDER="moonshot", MOONSHOT_API_KEY="k",
                       MOONSHOT_ENDPOINT=f"{upstream.url}/v1") as kimi:
        sdk = anthropic.Anthropic(base_url=kimi, api_key="x", max_retries=0)
        call = sdk.messages.create(model="kimi-k2", max_tokens=100, tools=[READ],  # type: ignore[list-item]
                                   messages=[ASK]).content[-1]  # type: ignore[list-item]
    assert call.type == "tool_use" and call.id == KIMI_ID
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url) as claude:
        sdk = anthropic.Anthropic(base_url=claude, api_key="x", max_retries=0)
        result = {"type": "tool_result", "tool_use_id": KIMI_ID, "content": "print(1)"}
        answer = sdk.messages.create(model="claude-sonnet-4-6", max_tokens=100, tools=[READ],  # type: ignore[list-item]
                                     messages=[ASK, {"role": "assistant",  # type: ignore[list-item]
                                                     "content": [call.model_dump()]},
                                               {"role": "user", "content": [result]}])
    assert answer.content[0].text == "It prints 1."  # type: ignore[union-attr]
    sent = upstream.last.body["messages"]
    assert sent[1]["content"][0]["id"] == sent[2]["content"][0]["tool_use_id"] != KIMI_ID
