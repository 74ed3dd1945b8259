"""Scope and change-size rules: breadth named or measured, a change asked for, an edit the user
already spelled out, a fix whose one failure is in view."""

from __future__ import annotations

import pytest

from lynkr.routing.weights import TIER_ORDER

from .helpers import agent_loop, ask, hand_scorer, scorer, value


@pytest.mark.parametrize(("dimension", "fires", "quiet"), [
    ("scope", "add rate limiting to all public API endpoints", "add rate limiting to /login"),
    ("scope", "convert the whole test suite to pytest", "convert test_cart.py to pytest"),
    ("scope", "honour HTTPS_PROXY in the API client, the updater and the uploader",
     "honour HTTPS_PROXY in the API client"),
    ("change_request", "ok, cache the pip downloads between runs", "what does pip cache do?"),
    ("change_request", "The /search endpoint returns a 500 when q is empty", "what is a 500?"),
    ("specified_edit", "change the timeout in config.yaml from 30 to 60",
     "make the timeout configurable"),
    ("specified_edit", "use alpine for the final image instead", "add a final image stage"),
    ("specified_edit", "Remove the console.log on line 42 of src/App.tsx",
     "remove the logging from src/App.tsx"),
    ("mechanical", "bump the version to 1.2.3", "design a queue"),
])
def test_scope_rule_fires_on_its_signal_and_not_without(dimension: str, fires: str,
                                                        quiet: str) -> None:
    assert value(ask(fires), dimension) > 0
    assert value(ask(quiet), dimension) == 0


def test_a_change_named_as_code_generation_is_not_counted_twice() -> None:
    assert value(ask("Write a Python function that parses durations"), "change_request") == 0


def test_breadth_inside_a_question_counts_half() -> None:
    question = value(ask("just tell me the npm command to update all packages"), "scope")
    work = value(ask("update all packages and fix whatever breaks"), "scope")
    assert 0 < question < work


def test_a_search_that_lists_many_files_measures_the_breadth_of_the_task() -> None:
    many = agent_loop("rename the utils package to common and update the imports", [
        ("Grep", {"pattern": "from utils"}, "31 files, 58 matches", False)])
    few = agent_loop("rename the utils package to common and update the imports", [
        ("Grep", {"pattern": "from utils"}, "app/a.py\napp/b.py", False)])
    read = agent_loop("rename the utils package to common and update the imports", [
        ("Read", {"file_path": "notes.txt"}, "31 files, 58 matches", False)])
    assert value(many, "scope") == 1.0
    assert value(few, "scope") == 0
    assert value(read, "scope") == 0


def test_a_fix_with_its_one_failure_in_view_is_a_visible_failure_but_a_loop_is_not() -> None:
    once = agent_loop("the cart test is failing, fix it", [
        ("Bash", {"command": "npm test"}, "FAIL cart.test.ts\nExpected: 90\nReceived: 100", True)])
    loop = agent_loop("the cart test is failing, fix it", [
        ("Bash", {"command": "npm test"}, "FAIL cart.test.ts", True),
        ("Edit", {"file_path": "cart.ts"}, "updated", False),
        ("Bash", {"command": "npm test"}, "FAIL cart.test.ts again", True)])
    assert value(once, "visible_failure") == 1.0
    assert value(loop, "visible_failure") == 0
    assert value(ask("the job fails intermittently in CI, fix it"), "visible_failure") == 0


def test_a_trivial_edit_in_a_risky_file_stays_simple() -> None:
    decision = scorer().score(ask(
        "Fix the typo in the login error message in auth/messages.py: "
        "'Invlaid password' -> 'Invalid password'"))
    assert decision.tier == "SIMPLE"


def test_a_risky_change_across_the_system_outranks_a_risky_unit() -> None:
    unit = scorer().score(ask("Write a PHP function that sanitizes a filename for upload"))
    system = scorer().score(ask("Replace our hand-rolled session cookies with server-side "
                                "sessions in Redis and invalidate all sessions on password "
                                "change"))
    assert TIER_ORDER.index(system.tier) > TIER_ORDER.index(unit.tier)


def test_a_behaviour_edit_is_medium_and_the_same_edit_spelled_out_is_simple() -> None:
    assert scorer().score(ask("Make the Modal component close when the user presses Escape")
                          ).tier == "MEDIUM"
    assert scorer().score(ask("Set `DEBUG = False` in settings/base.py")).tier == "SIMPLE"


def test_naming_hard_concepts_in_a_definition_question_is_not_reasoning() -> None:
    definition = value(ask("What's the difference between a race condition and a deadlock?"),
                       "reasoning")
    analysis = value(ask("Find the race condition that causes the deadlock in our worker"),
                     "reasoning")
    assert definition < analysis


def test_on_the_hand_path_a_medium_score_with_strong_reasoning_markers_is_raised() -> None:
    decision = hand_scorer().score(ask("Can two workers deadlock here?"))
    assert decision.tier == "COMPLEX"
    assert "raised by reasoning markers" in decision.reason


def test_a_definition_question_opening_with_difference_between_is_not_reasoning() -> None:
    definition = value(ask("difference between COPY and ADD in a Dockerfile? which one should "
                           "i use by default"), "reasoning")
    choice = value(ask("Should we use COPY or ADD across our Dockerfiles? Compare the "
                       "trade-offs for our build cache"), "reasoning")
    assert definition < choice


@pytest.mark.parametrize("analysis", [
    "With READ COMMITTED, show an interleaving that overdraws the account or argue it can't",
    "is this sound? I take two &mut into the Vec with unsafe",
    "give me hypotheses ranked by likelihood and how to rule each one out",
])
def test_interleavings_soundness_and_elimination_are_strong_reasoning_markers(
        analysis: str) -> None:
    assert value(ask(analysis), "reasoning") >= 0.45


def test_explaining_a_named_file_is_one_unit_of_work_but_a_one_line_snippet_is_not() -> None:
    module = ask("I inherited src/lib/retry.ts. Can you read it and explain how it works?")
    snippet = ask("explain this:\n```bash\nfind . -name '*.log' -mtime +7 -delete\n```")
    assert value(module, "change_request") == 0.8
    assert value(snippet, "change_request") == 0


@pytest.mark.parametrize("edit", [
    "add `import java.util.Optional;` to UserRepository.java",
    "the steps block in ci.yml uses tabs, replace the tabs with 2 spaces",
    "wrap this line under 100 chars, keep behaviour",
])
def test_literal_imports_and_whitespace_only_changes_are_spelled_out_edits(edit: str) -> None:
    assert value(ask(edit), "specified_edit") > 0


def test_sorting_keys_is_a_mechanical_edit() -> None:
    assert value(ask("sort the keys in locales/en.json alphabetically"), "mechanical") > 0


@pytest.mark.parametrize(("broad", "narrow"), [
    ("Split OrderService into PricingService, InventoryService and NotificationService",
     "Split OrderService into two classes"),
    ("OrderService.java is 2,500 lines, break it up", "OrderService.java is long, break it up"),
])
def test_naming_the_parts_or_a_file_of_thousands_of_lines_is_breadth(broad: str,
                                                                      narrow: str) -> None:
    assert value(ask(broad), "scope") > value(ask(narrow), "scope")
