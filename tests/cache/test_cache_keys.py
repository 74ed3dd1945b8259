"""The pure key and guard functions of the semantic cache."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynkr.model import Message, Request, TextBlock, Tool, ToolResultBlock, ToolUseBlock
from lynkr.optimize.cache_keys import (
    context_hash,
    exact_key,
    final_question,
    normalize_question,
    salient_tokens,
)
from lynkr.optimize.semantic_cache import is_cacheable_request
from tests.cache.conftest import ask


@pytest.mark.parametrize(("cached", "query"), [
    ("How do I sort a list in ascending order in Python?",
     "How do I sort a list in descending order in Python?"),
    ("Why is nothing listening on port 8080?", "Why is nothing listening on port 8081?"),
    ("How do I add a column to a pandas DataFrame?",
     "How do I remove a column from a pandas DataFrame?"),
    ("How do I enable strict mode in TypeScript?", "How do I disable strict mode in TypeScript?"),
    ("Why does this test pass?", "Why doesn't this test pass?"),
    ("What does src/app/main.py do?", "What does src/app/cli.py do?"),
    ("How do I read a CSV file in Python?", "How do I read a CSV file in Rust?"),
    ("What does the parseConfig function return?", "What does the loadConfig function return?"),
    ("How do I upgrade to Python 3.12?", "How do I upgrade to Python 3.11?"),
    ("How do I run a migration before deploy?", "How do I run a migration after deploy?"),
    ("Find the max value in a dict", "Find the min value in a dict"),
    ("What does `git reset --hard` do?", "What does `git reset --soft` do?"),
    ("How do I read a CSV file in C?", "How do I read a CSV file in C++?"),
    ("Write a hello world in Go", "Write a hello world in Rust"),
    ("How do I undo the last git commit but keep my changes?",
     "How do I undo the last git commit and discard my changes?"),
    ("How do I check if a key exists in a Python dictionary?",
     "How do I check if a value exists in a Python dictionary?"),
    ("How do I round a number up in JavaScript?", "How do I round a number down in JavaScript?"),
    ("How do I scale a deployment up in Kubernetes?",
     "How do I scale a deployment down in Kubernetes?"),
    ("How do I scroll to the top of the page?", "How do I scroll to the bottom of the page?"),
    ("How do I log in to npm?", "How do I log out of npm?"),
    ("How do I stage a file in git?", "How do I unstage a file in git?"),
    ("How do I enable dark mode in VS Code?", "How do I enable light mode in VS Code?"),
    ("How do I sort a Python dict by key?", "How do I sort a Python dict by value?"),
    ("How do I get the first two elements of a list in Python?",
     "How do I get the first three elements of a list in Python?"),
    ("How do I convert Celsius to Fahrenheit in Python?",
     "How do I convert Fahrenheit to Celsius in Python?"),
    ("What is the max value of a signed 32-bit integer?",
     "What is the max value of an unsigned 32-bit integer?"),
])
def test_near_misses_have_different_salient_tokens(cached: str, query: str) -> None:
    assert salient_tokens(cached) != salient_tokens(query)


@pytest.mark.parametrize(("cached", "query"), [
    ("How do I sort a list in descending order in Python?",
     "In Python, how can I sort a list in descending order?"),
    ("Why is nothing listening on port 8080?", "Why does nothing listen on port 8080"),
    ("What does the parseConfig function return?",
     "what is returned by the parseConfig function"),
    ("How do I reverse a string in JavaScript?", "Reversing a string in JS: how?"),
    ("Let's go over how closures work", "Explain how closures work"),
    ("How do I get the first 2 elements of a list?",
     "How do I get the first two elements of a list?"),
    ("Why is my React component rendering twice?",
     "Why does my React component render two times?"),
    ("Which one is faster in Python, map or a list comprehension?",
     "In Python, which is faster: map or a list comprehension?"),
])
def test_paraphrases_keep_their_salient_tokens(cached: str, query: str) -> None:
    assert salient_tokens(cached) == salient_tokens(query)


@pytest.mark.parametrize(("cached", "query"), [
    ("How do I convert a list to a string in Python?",
     "How do I convert a string to a list in Python?"),
    ("python list to string", "python string to list"),
    ("How do I convert a string to a datetime in Python?",
     "How do I convert a datetime to a string in Python?"),
    ("How do I convert a dict to JSON in Python?", "How do I convert JSON to a dict in Python?"),
    ("How do I get the key from a value in a dict?",
     "How do I get the value from a key in a dict?"),
    ("How do I switch from tabs to spaces in vim?", "How do I switch from spaces to tabs in vim?"),
    ("How do I convert seconds to milliseconds?", "How do I convert milliseconds to seconds?"),
    ("How do I redirect HTTP to HTTPS in nginx?", "How do I redirect HTTPS to HTTP in nginx?"),
    ("How do I call a Rust function from Python?", "How do I call a Python function from Rust?"),
])
def test_swapping_the_two_sides_of_a_conversion_is_a_near_miss(cached: str, query: str) -> None:
    assert salient_tokens(cached) != salient_tokens(query)


@pytest.mark.parametrize(("cached", "query"), [
    ("How do I round a number up in JavaScript?", "In JavaScript, how can I round a number up?"),
    ("How do I convert a string to an integer in Python?",
     "In Python, how can I turn a string into an integer?"),
    ("How do I convert a list to a set in Python?", "How can I turn a Python list into a set?"),
    ("How do I discard my local changes in git?", "How can I throw away my local changes in git?"),
    ("How do I make an HTTP request in Node.js?",
     "What's the way to send an HTTP request from Node.js?"),
    ("How do I set up a Python virtualenv?", "How do I create a Python virtualenv?"),
])
def test_paraphrases_around_contrast_words_keep_their_salient_tokens(cached: str,
                                                                     query: str) -> None:
    assert salient_tokens(cached) == salient_tokens(query)


def test_up_and_down_in_idioms_are_not_directions() -> None:
    for text in ("How do I look up a word", "Why did the server go down", "Slow down the loop",
                 "Is my fork up to date"):
        assert not {t for t in salient_tokens(text) if t.startswith("vertical:")}, text


def test_negation_contractions_count_as_negation() -> None:
    for text in ("Why doesn't it work", "why does it not work", "it isn’t working", "never do X"):
        assert "neg" in salient_tokens(text), text


@given(st.text(max_size=80), st.sampled_from([" ", "  ", "\n", "\t "]))
def test_whitespace_and_trailing_punctuation_do_not_change_the_question(text: str,
                                                                        gap: str) -> None:
    spaced = gap + gap.join(text.split()) + " ?"
    assert normalize_question(spaced) == normalize_question(text + "?") or not text.strip()
    assert salient_tokens(spaced) == salient_tokens(" ".join(text.split()) + "?")


def test_context_hash_covers_system_model_tools_and_history() -> None:
    base = ask("How do I reverse a list?")
    variants = [
        ask("How do I reverse a list?", system="You are terse."),
        ask("How do I reverse a list?", model="gpt-4o-mini"),
        ask("How do I reverse a list?", tools=[Tool("Read", "read a file")]),
        ask("How do I reverse a list?", tools=[Tool("Read", input_schema={"type": "object",
                                                                           "required": ["p"]})]),
        ask("How do I reverse a list?", tools=[Tool("Read")]),
        ask("How do I reverse a list?", tools=[Tool("Read", strict=True)]),
        ask("How do I reverse a list?", history=[Message("user", [TextBlock("hi")]),
                                                 Message("assistant", [TextBlock("hello")])]),
        ask("How do I reverse a list?", temperature=1.0),
    ]
    hashes = {context_hash(base)} | {context_hash(v) for v in variants}
    assert len(hashes) == len(variants) + 1


@pytest.mark.parametrize("extra", [
    {"response_format": {"type": "json_object"}}, {"n": 2}, {"seed": 7}, {"logprobs": True},
    {"reasoning_effort": "high"}, {"output_format": {"type": "json_schema", "schema": {}}},
    {"presence_penalty": 0.5}, {"text": {"verbosity": "low"}},
])
def test_unmodelled_fields_that_shape_the_answer_change_the_context(
        extra: dict[str, object]) -> None:
    assert context_hash(ask("Name three colours", extra=extra)) != context_hash(
        ask("Name three colours"))


def test_fields_that_cannot_change_the_answer_leave_the_context_alone() -> None:
    neutral = {"stream": True, "stream_options": {"include_usage": True}, "user": "u-1",
               "metadata": {"trace": "x"}, "store": False, "prompt_cache_key": "session-9",
               "previous_response_id": "resp_1", "service_tier": "auto"}
    assert context_hash(ask("Name three colours", extra=neutral)) == context_hash(
        ask("Name three colours"))


def test_an_integer_too_large_for_json_tooling_still_hashes() -> None:
    assert context_hash(ask("q", extra={"seed": 2**70})) != context_hash(ask("q"))


def test_a_project_scope_changes_the_context() -> None:
    request = ask("Which database should I connect to?")
    assert context_hash(request, "alpha") != context_hash(request, "beta")
    assert context_hash(request, "alpha") != context_hash(request)


def test_context_hash_ignores_the_final_question_and_tool_order() -> None:
    a = ask("How do I reverse a list?", tools=[Tool("A"), Tool("B")])
    b = ask("What is a monad?", tools=[Tool("B"), Tool("A")])
    assert context_hash(a) == context_hash(b)
    assert exact_key(a) != exact_key(b)


def test_exact_key_ignores_spacing_but_not_case() -> None:
    assert exact_key(ask("reverse  a list ?")) == exact_key(ask("reverse a list"))
    assert exact_key(ask("what does getUser do")) != exact_key(ask("what does getuser do"))


def test_history_with_tool_calls_changes_the_context() -> None:
    call = Message("assistant", [ToolUseBlock("t1", "Read", {"path": "a.py"})])
    result_a = Message("user", [ToolResultBlock("t1", [TextBlock("print(1)")])])
    result_b = Message("user", [ToolResultBlock("t1", [TextBlock("print(2)")])])
    first = Message("user", [TextBlock("show a.py")])
    a = ask("explain it", history=[first, call, result_a, Message("assistant", [TextBlock("ok")])])
    b = ask("explain it", history=[first, call, result_b, Message("assistant", [TextBlock("ok")])])
    assert context_hash(a) != context_hash(b)


def claude_code_turn(question: str, *, billing: str = "73f", date: str = "2026-11-26") -> Request:
    """A first turn shaped like Claude Code 2.1's: billing line, reminder block, question."""
    request = ask(question, system=f"x-anthropic-billing-header: cc_version=2.1.197.{billing}; "
                                   "cc_entrypoint=sdk-cli;\n\nYou are Claude Code.")
    reminder = (f"<system-reminder>\n# currentDate\nToday's date is {date}.\n"
                "</system-reminder>")
    request.messages[-1].content.insert(0, TextBlock(reminder))
    return request


def test_claude_codes_per_question_billing_line_is_not_part_of_the_context() -> None:
    assert (context_hash(claude_code_turn("What is a decorator?", billing="73f"))
            == context_hash(claude_code_turn("What is a decorator?", billing="95d")))
    assert context_hash(ask("q", system="You are A.")) != context_hash(ask("q",
                                                                           system="You are B."))


def test_system_reminders_are_context_not_question() -> None:
    turn = claude_code_turn("What is a decorator?")
    assert final_question(turn) == "What is a decorator?"
    assert (context_hash(claude_code_turn("q", date="2026-11-26"))
            != context_hash(claude_code_turn("q", date="2026-11-27")))


def test_a_turn_holding_only_system_reminders_is_not_cacheable() -> None:
    assert not is_cacheable_request(claude_code_turn(""))
