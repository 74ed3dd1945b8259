"""When a request must keep its prefix, and what the optimizers then do to it."""

from __future__ import annotations

import json

import pytest

from lynkr.config import OptimizerSettings
from lynkr.model import (
    Message,
    RedactedThinkingBlock,
    Request,
    TextBlock,
    ThinkingBlock,
    Tool,
    ToolResultBlock,
    ToolUseBlock,
)
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.preserved_thinking import keeps_prefix, speaks_anthropic_messages
from lynkr.optimize.request_optimizer import optimize_request
from lynkr.optimize.schema_slim import slim_tool
from lynkr.optimize.tool_selection import select_tools

TOOLS = [Tool("Read", "Read a file.\n\n" + "Usage note. " * 300, {"type": "object"}),
         Tool("Bash", "Run a shell command.", {"type": "object", "title": "BashInput"}),
         Tool("WebFetch", "Fetch a URL.", {"type": "object"})]
LOG = "\n".join(f"tests/t{i}.py::test_{i} PASSED" for i in range(400))


def asking(text: str = "What does the README say?", **fields: object) -> Request:
    return Request(model="claude-fable-5-2", messages=[Message("user", [TextBlock(text)])],
                   tools=list(TOOLS), **fields)  # type: ignore[arg-type]


def with_history(*assistant: object, thinking: dict[str, str] | None = None) -> Request:
    return Request(model="m", thinking=thinking, messages=[
        Message("user", [TextBlock("hi")]), Message("assistant", list(assistant)),  # type: ignore[arg-type]
        Message("user", [TextBlock("go on")])])


@pytest.mark.parametrize(("family", "model", "speaks"), [
    ("anthropic", "claude-fable-5-2", True),
    ("bedrock", "anthropic.claude-opus-5-5-v1:0", True),
    ("bedrock", "us.anthropic.claude-sonnet-5-5-v1:0", True),
    ("bedrock", "amazon.nova-pro-v1:0", False),
    ("openai_chat", "claude-fable-5-2", False),
    (None, "claude-fable-5-2", False),
])
def test_anthropic_messages_upstreams_are_anthropic_adapters_and_claude_on_bedrock(
        family: str | None, model: str, speaks: bool) -> None:
    assert speaks_anthropic_messages(family, model) is speaks


def test_a_request_asking_for_thinking_keeps_its_prefix_from_the_first_turn() -> None:
    assert keeps_prefix(asking(thinking={"type": "adaptive"}), "anthropic", "claude-fable-5-2")
    assert keeps_prefix(asking(thinking={"type": "enabled", "budget_tokens": 2048}),
                        "bedrock", "anthropic.claude-opus-5-5-v1:0")


def test_thinking_off_and_none_in_the_history_leaves_the_optimizers_free() -> None:
    assert not keeps_prefix(asking(), "anthropic", "claude-fable-5-2")
    assert not keeps_prefix(asking(thinking={"type": "disabled"}), "anthropic", "m")


@pytest.mark.parametrize("block", [ThinkingBlock("t", signature="s"), RedactedThinkingBlock("d")])
def test_thinking_already_in_the_history_keeps_the_prefix_even_when_not_asked_for(
        block: object) -> None:
    assert keeps_prefix(with_history(block, TextBlock("ok")), "anthropic", "claude-opus-5-5")


def test_other_upstreams_never_keep_the_prefix() -> None:
    request = with_history(ThinkingBlock("t", signature="s"), thinking={"type": "adaptive"})
    assert not keeps_prefix(request, "openai_chat", "gpt-5")
    assert not keeps_prefix(request, "ollama", "qwen3")


def test_every_tool_is_kept_in_the_clients_order_and_only_slimmed() -> None:
    selection = select_tools(asking(), "aggressive", every_tool=True)
    assert selection.request.tools == [slim_tool(t) for t in TOOLS]
    assert selection.dropped == () and selection.tokens_saved > 0


def test_the_prefix_keeping_form_compresses_losslessly_and_offers_no_expand_tool() -> None:
    request = Request(model="m", tools=list(TOOLS), thinking={"type": "adaptive"}, messages=[
        Message("user", [TextBlock("Run the tests")]),
        Message("assistant", [ThinkingBlock("run", signature="s"),
                              ToolUseBlock("t1", "Bash", {"command": "pytest"})]),
        Message("user", [ToolResultBlock("t1", [TextBlock(LOG)])]),
        Message("assistant", [ThinkingBlock("rows", signature="s"),
                              ToolUseBlock("t2", "Bash", {"command": "cat rows.json"})]),
        Message("user", [ToolResultBlock("t2", [TextBlock(json.dumps(
            [{"id": i, "name": f"row {i}"} for i in range(200)], indent=2))])])])
    optimized = optimize_request(request, OptimizerSettings(), ExpandStore(), keep_prefix=True)
    sent = optimized.request
    assert [t.name for t in sent.tools] == [t.name for t in TOOLS]
    assert sent.messages[2].content[0].text == LOG  # type: ignore[union-attr]
    assert "lynkr_expand" not in sent.messages[4].content[0].text  # type: ignore[union-attr]
    assert optimized.saved_by["tool_results"] > 0 and optimized.offered_tools is None


def test_the_usual_form_still_selects_tools_and_compresses_lossily() -> None:
    request = Request(model="m", tools=list(TOOLS), messages=[
        Message("user", [TextBlock("What does the README say?")]),
        Message("assistant", [ToolUseBlock("t1", "Bash", {"command": "pytest"})]),
        Message("user", [ToolResultBlock("t1", [TextBlock(LOG)])])])
    optimized = optimize_request(request, OptimizerSettings(), ExpandStore(), keep_prefix=False)
    names = [t.name for t in optimized.request.tools]
    assert "WebFetch" not in names and names[-1] == "lynkr_expand"
    assert "lynkr_expand id=" in optimized.request.messages[2].content[0].text  # type: ignore[union-attr]
    assert optimized.offered_tools == frozenset(names[:-1])
    assert optimized.saved_by["tool_selection"] > 0
