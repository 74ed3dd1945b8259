"""Each scoring dimension fires on its signal and stays quiet without it."""

from __future__ import annotations

import pytest

from lynkr.model import Message, Request, TextBlock, Tool

from .helpers import CLAUDE_CODE_TOOLS, agent_loop, ask, value

TRACE = ('Traceback (most recent call last):\n  File "shop/cart.py", line 18, in total\n'
         "TypeError: unsupported operand\n```python\nx = 1\n```")


@pytest.mark.parametrize(("dimension", "fires", "quiet"), [
    ("task_tokens", "explain this log:\n" + "word " * 900, "hi there"),
    ("code_present", TRACE, "how are you"),
    ("codegen_intent", "Implement a rate limiter service across the API", "what is a monad"),
    ("multi_step", "First add the table, then backfill it across all services", "rename x"),
    ("reasoning", "Prove the invariant holds and explain the trade-offs", "list the files"),
    ("analysis_depth", "Investigate the root cause of this flaky test", "bump the version"),
    ("domain_risk", "Rotate the JWT signing secret in production", "center a div"),
    ("ambiguity", "it doesn't work, fix it", "add a `--verbose` flag to cli/main.py"),
    ("user_hint", "think hard about this cache design", "add a cache"),
    ("brevity_hint", "quick question: default postgres port?", "default postgres port?"),
    ("mechanical", "fix the typo in README.md", "design a queue"),
])
def test_dimension_fires_on_its_signal_and_not_without(dimension: str, fires: str,
                                                       quiet: str) -> None:
    assert value(ask(fires), dimension) > 0
    assert value(ask(quiet), dimension) == 0


def test_conversation_depth_grows_with_turns() -> None:
    long = Request("m", [Message("user" if i % 2 == 0 else "assistant", [TextBlock("ok")])
                         for i in range(25)])
    assert value(ask("hi"), "conversation_depth") < 0.01
    assert value(long, "conversation_depth") == 1.0


def test_tool_danger_counts_write_capable_tools_but_not_read_only_ones() -> None:
    read_only = value(ask("x", tools=[Tool("Read"), Tool("Grep")]), "tool_danger")
    writing = value(ask("x", tools=[Tool("Read"), Tool("Bash")]), "tool_danger")
    assert value(ask("x"), "tool_danger") == 0
    assert 0 < read_only < writing


def test_agentic_sees_a_failing_fix_loop_and_autonomous_asks() -> None:
    loop = agent_loop("make the tests pass", [
        ("Bash", {"command": "pytest"}, "1 failed, 3 passed", True),
        ("Edit", {"file_path": "a.py"}, "ok", False),
        ("Bash", {"command": "pytest"}, "FAILED test_a - AssertionError", False),
    ])
    assert value(loop, "agentic") >= 0.6
    assert value(ask("keep going until all the tests pass"), "agentic") > 0
    assert value(ask("what is pytest"), "agentic") == 0


def test_prior_tool_use_counts_tool_calls_in_the_conversation() -> None:
    loop = agent_loop("look around", [("Read", {"file_path": f"f{i}.py"}, "x", False)
                                      for i in range(10)])
    assert value(loop, "prior_tool_use") == 0.5
    assert value(ask("look around"), "prior_tool_use") == 0


def test_files_counts_mentioned_and_touched_files_once_each() -> None:
    loop = agent_loop("refactor tools/gen.py and lib/io.rs", [
        ("Read", {"file_path": "/repo/tools/gen.py"}, "x", False)])
    assert value(loop, "files") == 0.45  # two files: the read path is the mentioned one
    assert value(ask("explain closures"), "files") == 0


def test_follow_up_inherits_part_of_the_earlier_task() -> None:
    convo = Request("m", [
        Message("user", [TextBlock("Prove the invariant of this lock-free queue")]),
        Message("assistant", [TextBlock("Here is a sketch...")]),
        Message("user", [TextBlock("go on")]),
    ], tools=list(CLAUDE_CODE_TOOLS))
    assert 0 < value(convo, "reasoning") < value(ask("Prove the invariant of this lock-free queue"),
                                                 "reasoning")


def _after_design_talk(follow_up: str) -> Request:
    return Request("m", [
        Message("user", [TextBlock("Design the sharding strategy for the events table; "
                                   "weigh the trade-offs of hashing by tenant vs by user")]),
        Message("assistant", [TextBlock("Option A hashes by tenant...")]),
        Message("user", [TextBlock(follow_up)]),
    ], tools=list(CLAUDE_CODE_TOOLS))


@pytest.mark.parametrize("follow_up", ["yes, go with option B and write it up",
                                       "ok do it", "and for the audit log table?"])
def test_an_agreement_or_a_bare_follow_up_reads_the_turn_before_it(follow_up: str) -> None:
    assert value(_after_design_talk(follow_up), "reasoning") > 0


def test_a_question_of_its_own_late_in_a_session_stands_alone() -> None:
    recall = "thanks. what was the exact command you used to run just that one test again?"
    assert value(_after_design_talk(recall), "reasoning") == 0


def test_new_turn_tells_a_fresh_message_from_a_tool_result_turn() -> None:
    assert value(_after_design_talk("what port does the dev server use?"), "new_turn") == 1
    loop = agent_loop("fix the failing test", [("Bash", {"command": "pytest"}, "1 failed", True)])
    assert value(loop, "new_turn") == 0
    assert value(ask("fix the failing test"), "new_turn") == 0


def test_system_reminders_are_not_part_of_the_task() -> None:
    reminder = ("<system-reminder>security architecture trade-offs production"
                "</system-reminder>")
    request = Request("m", [Message("user", [TextBlock(reminder), TextBlock("what is 2+2")])])
    assert value(request, "domain_risk") == 0
    assert value(request, "reasoning") == 0


def test_markers_inside_pasted_code_do_not_count_as_intent() -> None:
    request = ask("what language is this?\n```\n# prove the invariant, trade-offs\n```")
    assert value(request, "reasoning") == 0
