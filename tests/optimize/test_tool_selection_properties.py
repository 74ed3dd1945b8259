"""Properties of tool selection that must hold for every conversation."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.model import Message, Request, TextBlock, Tool, ToolChoice, ToolResultBlock, ToolUseBlock
from lynkr.optimize.tool_selection import select_tools

NAMES = ["Task", "Bash", "Glob", "Grep", "LS", "Read", "Edit", "MultiEdit", "Write",
         "NotebookEdit", "WebFetch", "WebSearch", "TodoWrite", "ExitPlanMode",
         "mcp__github__create_pull_request", "mcp__slack__post_message", "get_weather"]
TOOLS = [Tool(name, f"The {name} tool.") for name in NAMES]
WORDS = ["what", "does", "README", "say", "edit", "main.py", "run", "tests", "commit", "PR",
         "github", "web", "plan", "notebook", "agents", "fix", "explain", "the", "and", "hello",
         "/review", "TodoWrite", "deploy", "?"]
MODES = st.sampled_from(["conservative", "aggressive"])

prompts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join)
# One turn of a conversation: the user types, or the model calls tools and gets results.
turns = st.one_of(
    prompts.map(lambda text: ("prompt", text)),
    st.lists(st.sampled_from(NAMES), min_size=1, max_size=3).map(lambda names: ("tools", names)),
)


def conversation(first: str, steps: list[tuple[str, object]]) -> list[list[Message]]:
    """The message list after each step: conversations only ever append."""
    messages = [Message("user", [TextBlock(first)])]
    states = [list(messages)]
    for n, (kind, value) in enumerate(steps):
        if kind == "prompt":
            messages.append(Message("user", [TextBlock(str(value))]))
        else:
            uses = [ToolUseBlock(f"t{n}_{i}", name) for i, name in enumerate(value)]  # type: ignore[arg-type]
            messages.append(Message("assistant", list(uses)))
            results = [ToolResultBlock(u.id, [TextBlock("ok")]) for u in uses]
            messages.append(Message("user", list(results)))
        states.append(list(messages))
    return states


@settings(max_examples=150, deadline=None)
@given(prompts, st.lists(turns, max_size=6), MODES)
def test_selection_only_grows_across_the_turns_of_a_conversation(first, steps, mode) -> None:
    previous: set[str] = set()
    for messages in conversation(first, steps):
        kept = set(select_tools(Request("m", messages, tools=TOOLS), mode).kept)
        assert kept >= previous
        previous = kept


@settings(max_examples=150, deadline=None)
@given(prompts, st.lists(turns, max_size=4), MODES,
       st.sets(st.sampled_from(NAMES), max_size=4), st.one_of(st.none(), st.sampled_from(NAMES)))
def test_used_forced_and_pinned_tools_are_never_dropped(first, steps, mode, pinned, forced) -> None:
    messages = conversation(first, steps)[-1]
    choice = ToolChoice("tool", forced) if forced else None
    request = Request("m", messages, tools=TOOLS, tool_choice=choice)
    kept = set(select_tools(request, mode, pinned=frozenset(pinned)).kept)
    used = {b.name for m in messages for b in m.content if isinstance(b, ToolUseBlock)}
    assert used | set(pinned) | ({forced} if forced else set()) <= kept


@settings(max_examples=100, deadline=None)
@given(prompts, MODES)
def test_selection_keeps_original_order_and_never_invents_tools(prompt, mode) -> None:
    request = Request("m", [Message("user", [TextBlock(prompt)])], tools=TOOLS)
    selection = select_tools(request, mode)
    assert list(selection.kept) == [n for n in NAMES if n in selection.kept]
    assert set(selection.kept) | set(selection.dropped) == set(NAMES)
    assert selection.kept  # never an empty tool list


@settings(max_examples=100, deadline=None)
@given(prompts, MODES)
def test_selection_is_deterministic_and_leaves_the_input_alone(prompt, mode) -> None:
    request = Request("m", [Message("user", [TextBlock(prompt)])], tools=list(TOOLS))
    first, second = select_tools(request, mode), select_tools(request, mode)
    assert first.request.tools == second.request.tools
    assert request.tools == TOOLS
