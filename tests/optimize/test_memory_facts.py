"""Which sentences are durable facts: preferences, decisions and project facts, never pasted
errors, questions, a task's payload or a story of what happened."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynkr.optimize.memory_facts import classify_fact, extract_facts

BENCH_FACTS = [row["text"] for row in map(json.loads, (
    Path(__file__).parents[2] / "bench" / "data" / "memory_set.jsonl").read_text().splitlines())
    if row["type"] == "fact"]


@pytest.mark.parametrize("text", [
    "sqlite3.OperationalError: the database is locked",
    "Why do I get this? sqlite3.OperationalError: the database is locked",
    "Translate this sentence to French: we use our hands to eat.",
    "I never got this error before.",
    "Should we always use async here",
    "Do we use tabs in this repo",
    "Why does the project use uv",
    "We use pnpm, right",
    "ERROR: the database is locked",
    "psycopg2.errors.UndefinedTable: the project uses a missing table",
    '2026-11-26 10:01:02 WARNING the API runs on port 8081 already',
    'File "app.py", line 3, in main: we use the default config',
    "Rewrite this so we always use the new API.",
    'Summarize "we decided to use Postgres" in one word.',
    "We always got timeouts on Fridays.",
    "This bug never happened before we used the cache.",
    "Use the debugger to find out why the test hangs.",
])
def test_pasted_errors_questions_and_task_payloads_are_not_facts(text: str) -> None:
    assert extract_facts(text) == []


@pytest.mark.parametrize("text", BENCH_FACTS)
def test_every_labelled_fact_of_the_bench_is_still_a_fact(text: str) -> None:
    assert classify_fact(text) is not None


@pytest.mark.parametrize("text", [
    "We don't use yarn anymore, we use pnpm now.",
    "Let's use pnpm instead of yarn",
    "Tests run with vitest now",
    "We use spaces for indentation now",
    "Never use double quotes, use single quotes",
    "We switched to pnpm",
    "We moved the database to MySQL",
    "We no longer use yarn.",
    "Decision: we use Postgres for everything.",
    "Can you always use single quotes from now on.",
    "Never catch bare Exception.",
    "We always raise ValueError for bad input.",
    "Going forward we'll use Vitest.",
    "Please stop using yarn, it's pnpm from here on.",
    "Use pnpm, not yarn.",
    "The frontend now uses Vue instead of React.",
    "We format Python code with black.",
])
def test_changed_choices_and_standing_rules_are_facts(text: str) -> None:
    assert extract_facts(text) == [text]


def test_only_the_fact_of_a_message_is_kept_around_a_pasted_error() -> None:
    text = ("I prefer httpx for HTTP calls. Running it gives:\n"
            "httpx.ConnectError: the server runs on port 8080 and refused\nAny idea?")
    assert extract_facts(text) == ["I prefer httpx for HTTP calls."]


FACT = st.sampled_from(BENCH_FACTS)


@given(FACT, st.sampled_from(["Should we", "Do we", "Is it true that", "Why", "How come"]))
def test_a_fact_asked_as_a_question_is_not_a_fact(fact: str, opening: str) -> None:
    assert classify_fact(f"{opening} {fact[0].lower()}{fact[1:].rstrip('.')}") is None


@given(FACT, st.sampled_from(["Translate this to French", "Fix the grammar of this",
                              "Check this sentence", "Spell-check"]))
def test_a_fact_after_a_request_to_work_on_text_is_its_payload(fact: str, request: str) -> None:
    assert classify_fact(f"{request}: {fact}") is None


@given(FACT, st.sampled_from(["ValueError", "sqlite3.OperationalError", "TypeError",
                              "requests.exceptions.HTTPError", "RuntimeWarning"]))
def test_a_fact_printed_after_an_error_name_is_pasted_output(fact: str, error: str) -> None:
    assert classify_fact(f"{error}: {fact}") is None


@given(FACT, st.sampled_from(["Decision", "Note", "FYI", "Rule", "For the record"]))
def test_a_fact_after_a_label_is_still_a_fact(fact: str, label: str) -> None:
    assert classify_fact(f"{label}: {fact}") is not None
