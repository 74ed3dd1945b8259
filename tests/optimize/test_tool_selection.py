"""Tool selection: intents, capabilities, the never-drop rules, modes and schema slimming."""

from __future__ import annotations

import pytest

from lynkr.model import Message, Request, TextBlock, Tool, ToolChoice, ToolUseBlock
from lynkr.optimize.schema_slim import (
    MAX_DESCRIPTION_CHARS,
    MAX_LIST_ITEMS,
    slim_description,
    slim_schema,
    slim_tool,
)
from lynkr.optimize.tool_selection import detect_intents, select_tools, tool_capabilities

CLAUDE_CODE_TOOLS = [
    "Task", "Bash", "BashOutput", "KillShell", "Glob", "Grep", "LS", "Read", "Edit", "MultiEdit",
    "Write", "NotebookRead", "NotebookEdit", "WebFetch", "WebSearch", "TodoRead", "TodoWrite",
    "ExitPlanMode", "SlashCommand", "mcp__github__create_pull_request",
    "mcp__github__list_issues", "mcp__slack__post_message",
]


def tools(*names: str) -> list[Tool]:
    return [Tool(name, f"The {name} tool.", {"type": "object", "properties": {}})
            for name in names or CLAUDE_CODE_TOOLS]


def ask(*turns: str, tool_list: list[Tool] | None = None, history: list[Message] | None = None,
        choice: ToolChoice | None = None) -> Request:
    messages = [Message("user", [TextBlock(turns[0])]), *(history or [])]
    messages += [Message("user", [TextBlock(t)]) for t in turns[1:]]
    return Request(model="m", messages=messages, tools=tool_list or tools(), tool_choice=choice)


# --- capabilities and intents ---------------------------------------------------------------


@pytest.mark.parametrize(("name", "caps"), [
    ("Read", {"read"}), ("Write", {"edit"}), ("MultiEdit", {"edit"}), ("Bash", {"run"}),
    ("KillShell", {"run"}), ("Glob", {"search"}), ("Grep", {"search"}),
    ("WebSearch", {"web"}), ("WebFetch", {"web"}), ("TodoWrite", {"todo"}),
    ("Task", {"agent"}), ("NotebookEdit", {"notebook"}), ("ExitPlanMode", {"plan"}),
    ("SlashCommand", {"slash"}), ("read_file", {"read"}), ("run_command", {"run"}),
    ("search", {"search"}), ("mcp__github__create_pull_request", {"git"}),
])
def test_tool_capabilities_come_from_the_name(name: str, caps: set[str]) -> None:
    assert tool_capabilities(name) == caps


def test_tool_capabilities_fall_back_to_the_first_sentence_of_the_description() -> None:
    assert tool_capabilities("zap", "Executes a shell command. Reads nothing.") == {"run"}
    assert tool_capabilities("get_weather", "Weather for a city.") == frozenset()


@pytest.mark.parametrize(("prompt", "intents"), [
    ("What does the README say about installation?", {"question", "read"}),
    ("Edit the config file to set DEBUG=true", {"edit"}),
    ("Run the test suite", {"run"}),
    ("Open a PR for this branch", {"git", "read"}),
    ("Search the web for the latest version of httpx", {"web", "read"}),
    ("Make a plan with a todo list", {"todo"}),
    ("Fix the cell in analysis.ipynb", {"edit", "notebook", "read"}),
    ("Use subagents in parallel to explore the codebase", {"agent", "read"}),
    ("/review", {"slash"}),
])
def test_intents_are_read_from_the_prompt(prompt: str, intents: set[str]) -> None:
    assert detect_intents(prompt) >= intents


# --- what is kept ---------------------------------------------------------------------------


def test_a_question_about_a_file_keeps_read_and_search_tools_only() -> None:
    selection = select_tools(ask("What does the README say about installation?"), "conservative")
    assert set(selection.kept) == {"Glob", "Grep", "LS", "Read"}
    assert "Bash" in selection.dropped and "mcp__slack__post_message" in selection.dropped


def test_an_edit_task_keeps_edit_tools() -> None:
    selection = select_tools(ask("Edit the config file to set DEBUG=true"), "aggressive")
    assert {"Read", "Edit", "MultiEdit", "Write"} <= set(selection.kept)
    assert "WebSearch" not in selection.kept and "Task" not in selection.kept


def test_running_tests_keeps_the_shell() -> None:
    selection = select_tools(ask("Run pytest and fix what fails"), "aggressive")
    assert {"Bash", "BashOutput", "KillShell", "Edit"} <= set(selection.kept)


def test_github_mention_keeps_that_servers_mcp_tools() -> None:
    kept = select_tools(ask("Summarise the open issues on github"), "aggressive").kept
    assert {"mcp__github__create_pull_request", "mcp__github__list_issues"} <= set(kept)
    assert "mcp__slack__post_message" not in kept


def test_pr_intent_keeps_forge_tools() -> None:
    kept = select_tools(ask("Open a PR with these changes"), "aggressive").kept
    assert "mcp__github__create_pull_request" in kept and "Bash" in kept


def test_tools_used_in_history_are_never_dropped() -> None:
    history = [Message("assistant", [ToolUseBlock("t1", "WebFetch", {"url": "https://x"})])]
    kept = select_tools(ask("What does the README say?", history=history), "aggressive").kept
    assert "WebFetch" in kept


def test_forced_and_pinned_tools_are_never_dropped() -> None:
    forced = select_tools(ask("hi there", choice=ToolChoice("tool", "TodoWrite")), "aggressive")
    pinned = select_tools(ask("What is this?"), "aggressive", pinned=frozenset({"Task"}))
    assert "TodoWrite" in forced.kept and "Task" in pinned.kept


def test_pinning_every_name_restores_the_full_set() -> None:
    request = ask("What is this?")
    everything = frozenset(t.name for t in request.tools)
    assert select_tools(request, "aggressive", pinned=everything).kept == tuple(CLAUDE_CODE_TOOLS)


def test_a_tool_named_by_the_user_is_kept() -> None:
    assert "TodoWrite" in select_tools(ask("Is TodoWrite useful here?"), "aggressive").kept
    assert "Task" in select_tools(ask("Use the Task tool to look around"), "aggressive").kept
    # A plain English word is not a mention of a tool of that name.
    assert "Task" not in select_tools(ask("Task: what does main.py do?"), "aggressive").kept


def test_tool_choice_any_keeps_at_least_the_core_tools() -> None:
    request = ask("Search the web for httpx news", choice=ToolChoice("any"))
    assert {"Read", "Glob", "Grep"} <= set(select_tools(request, "aggressive").kept)


def test_reminders_injected_by_the_client_are_not_the_users_intent() -> None:
    prompt = ("<system-reminder>Consider using TodoWrite; run the tests on github."
              "</system-reminder>What does main.py do?")
    kept = select_tools(ask(prompt), "aggressive").kept
    assert "TodoWrite" not in kept and "Bash" not in kept


def test_conservative_keeps_unknown_client_tools_and_aggressive_drops_them() -> None:
    request = ask("What does main.py do?", tool_list=tools("Read", "Grep", "get_weather"))
    assert "get_weather" in select_tools(request, "conservative").kept
    assert "get_weather" not in select_tools(request, "aggressive").kept


def test_conservative_keeps_everything_when_no_intent_is_recognised() -> None:
    assert select_tools(ask("hello"), "conservative").dropped == ()


def test_conservative_adds_the_todo_list_to_multi_step_tasks() -> None:
    kept = select_tools(ask("Refactor the parser, run the tests and commit"), "conservative").kept
    assert "TodoWrite" in kept


def test_off_returns_the_request_untouched() -> None:
    request = ask("What is this?")
    selection = select_tools(request, "off")
    assert selection.request is request and selection.dropped == ()


def test_original_tool_order_is_kept() -> None:
    kept = select_tools(ask("Edit main.py and run the tests"), "aggressive").kept
    assert list(kept) == [name for name in CLAUDE_CODE_TOOLS if name in kept]


def test_a_later_prompt_can_add_tools_but_tool_result_turns_do_not_change_the_set() -> None:
    first = select_tools(ask("What does main.py do?"), "aggressive")
    later = select_tools(ask("What does main.py do?", "Now run the tests"), "aggressive")
    assert set(first.kept) < set(later.kept) and "Bash" in later.kept


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="mode"):
        select_tools(ask("hi"), "greedy")


def test_token_counts_report_the_saving() -> None:
    selection = select_tools(ask("What does main.py do?"), "aggressive")
    assert 0 < selection.tokens_after < selection.tokens_before


# --- slimming -------------------------------------------------------------------------------


def test_examples_are_removed_and_the_first_paragraph_kept_whole() -> None:
    text = ("Runs a command.\nIn a shell.\n\n<example>\nuser: hi\n</example>\n\n"
            "<good-example>ls</good-example>\nNotes follow.")
    assert slim_description(text) == "Runs a command.\nIn a shell.\n\nNotes follow."


def test_long_lists_keep_emphatic_items_first_then_the_earliest() -> None:
    items = [f"- note {i}" for i in range(12)] + ["- NEVER use -i flags"]
    slim = slim_description("Tool.\n\nUsage:\n" + "\n".join(items))
    kept = [line for line in slim.splitlines() if line.startswith("- ")]
    assert len(kept) == MAX_LIST_ITEMS
    assert kept[-1] == "- NEVER use -i flags" and kept[0] == "- note 0"


def test_descriptions_stop_at_the_budget_on_a_paragraph_boundary() -> None:
    text = "First.\n\n" + "\n\n".join(f"Paragraph {i}. " + "x" * 300 for i in range(20))
    slim = slim_description(text)
    assert len(slim) <= MAX_DESCRIPTION_CHARS
    assert all(p.startswith(("First", "Paragraph")) for p in slim.split("\n\n"))


def test_schema_noise_goes_and_constraints_stay() -> None:
    schema = {
        "$schema": "http://json-schema.org/draft-07/schema#", "title": "Args",
        "type": "object", "additionalProperties": False, "required": ["title", "mode"],
        "properties": {
            "title": {"type": "string", "title": "Title", "description": "One.\n\nTwo."},
            "mode": {"enum": ["a", "b"], "default": "a", "$comment": "internal"},
            "items": {"type": "array", "items": {"type": "integer", "title": "N", "minimum": 0}},
        },
    }
    assert slim_schema(schema) == {
        "type": "object", "additionalProperties": False, "required": ["title", "mode"],
        "properties": {
            "title": {"type": "string", "description": "One."},
            "mode": {"enum": ["a", "b"], "default": "a"},
            "items": {"type": "array", "items": {"type": "integer", "minimum": 0}},
        },
    }


def test_provider_native_tools_are_not_slimmed() -> None:
    native = Tool("web_search", raw={"type": "web_search_20250305", "name": "web_search"})
    assert slim_tool(native) is native


def test_lynkrs_own_expand_tool_is_never_dropped() -> None:
    request = ask("What does main.py do?", tool_list=tools("Read", "Bash", "lynkr_expand"))
    assert "lynkr_expand" in select_tools(request, "aggressive").kept


def test_lynkr_mcp_read_and_search_tools_count_as_core() -> None:
    catalog = tools("Read", "Bash", "mcp__lynkr__grep", "mcp__lynkr__read",
                    "mcp__github__search_code")
    kept = select_tools(ask("Find the TODOs in this repo", tool_list=catalog),
                        "conservative").kept
    assert {"mcp__lynkr__grep", "mcp__lynkr__read"} <= set(kept)
    assert "mcp__github__search_code" not in kept
