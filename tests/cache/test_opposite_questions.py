"""Opposite questions never share a cached answer: negations are counted and scoped, negating
prefixes read against the other question, antonyms of the programming domain known."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from lynkr.optimize.cache_keys import question_tags, salient_tokens, tags_agree


def agree(cached: str, query: str) -> bool:
    return tags_agree(question_tags(cached), question_tags(query))


# --- negations are counted, not flagged ----------------------------------------------------


def test_is_none_and_is_not_none_never_share_a_key() -> None:
    assert not agree("Make the function return early if x is None",
                     "Make the function return early if x is not None")


def test_empty_and_not_empty_never_share_a_key() -> None:
    assert not agree("Return None if the list is empty", "Return None if the list is not empty")


def test_a_second_negation_is_a_different_question() -> None:
    assert not agree("Why isn't the log printed when the job doesn't fail?",
                     "Why isn't the log printed when the job fails?")


def test_a_negation_moved_between_the_condition_and_the_main_clause_is_a_near_miss() -> None:
    assert not agree("Why does my test fail when the env var is not set?",
                     "Why does my test not fail when the env var is set?")


@pytest.mark.parametrize(("cached", "query"), [
    ("Why isn't my cron job running?", "Why is my cron job not running?"),
    ("Why doesn't my function return anything?", "Why does my function return nothing?"),
    ("Make the function return early if x is not None",
     "Make the function return early unless x is None"),
    ("If the file does not exist, create it", "Create the file if it does not exist"),
    ("How do I check if a list is not empty?", "How can I check whether a list is non-empty?"),
    ("How do I check if x is None?", "How do I check that x is None?"),
])
def test_the_same_negation_worded_differently_still_agrees(cached: str, query: str) -> None:
    assert agree(cached, query)


# --- negating prefixes ---------------------------------------------------------------------


@pytest.mark.parametrize(("cached", "query"), [
    ("How do I make the column nullable in Django?",
     "How do I make the column non-nullable in Django?"),
    ("How do I make the request idempotent?", "How do I make the request non-idempotent?"),
    ("How do I create a unique index?", "How do I create a nonunique index?"),
])
def test_non_prefix_is_a_negation(cached: str, query: str) -> None:
    assert not agree(cached, query)
    assert salient_tokens(query) - salient_tokens(cached) == {"neg"}


@pytest.mark.parametrize(("cached", "query"), [
    ("Is it safe to call this in a thread?", "Is it unsafe to call this in a thread?"),
    ("Use a case-sensitive comparison", "Use a case-insensitive comparison"),
    ("How do I make a Python class hashable?", "How do I make a Python class unhashable?"),
    ("How do I make a Django migration reversible?",
     "How do I make a Django migration irreversible?"),
    ("Is this Java queue thread-safe?", "Is this Java queue thread-unsafe?"),
    ("How do I make an element appear with CSS?", "How do I make an element disappear?"),
    ("How do I check if a graph is cyclic?", "How do I check if a graph is acyclic?"),
    ("Why is my function pure?", "Why is my function impure?"),
])
def test_a_word_and_its_prefixed_negation_never_share_a_key(cached: str, query: str) -> None:
    assert not agree(cached, query)
    assert not agree(query, cached)


@pytest.mark.parametrize(("cached", "query"), [
    ("How do I install numpy with pip?", "How can I install numpy using pip?"),
    ("How do I write an inline if in Python?", "How do I write a one-line if in Python?"),
    ("Is it unsafe to share a session between threads?",
     "Is sharing a session between threads unsafe?"),
])
def test_a_prefix_alone_negates_nothing(cached: str, query: str) -> None:
    assert agree(cached, query)


# --- antonyms of the programming domain ----------------------------------------------------


@pytest.mark.parametrize(("cached", "query"), [
    ("How do I show hidden files in ls?", "How do I hide hidden files in ls?"),
    ("How do I run only the failing tests with pytest?",
     "How do I skip the failing tests with pytest?"),
    ("How do I make all tests run in parallel?", "How do I make all tests run serially?"),
    ("How to print the stack trace in Python", "How to suppress the stack trace in Python"),
    ("How do I check if a file exists in bash?", "How do I check if a file is missing in bash?"),
    ("How do I expand all folded code?", "How do I collapse all folded code?"),
    ("How do I keep ours in a merge conflict?", "How do I keep theirs in a merge conflict?"),
    ("How do I allow inbound traffic on port 443?", "How do I allow outbound traffic on port 443?"),
    ("Is Python pass-by-reference?", "Is Python pass-by-value?"),
    ("How do I make a file read-only?", "How do I make a file writable?"),
    ("How do I grant access to a table?", "How do I revoke access to a table?"),
    ("Make the retry logic exponential", "Make the retry logic linear"),
])
def test_antonyms_never_share_a_key(cached: str, query: str) -> None:
    assert not agree(cached, query)


def test_contrast_poles_are_counted() -> None:
    assert salient_tokens("show hidden files") == {"visibility:hide"}
    assert salient_tokens("hide hidden files") == {"visibility:hide", "visibility:hide#2"}


@pytest.mark.parametrize(("cached", "query"), [
    ("How do I show hidden files in ls?", "How do I display hidden files with ls?"),
    ("How do I suppress warnings in Python?", "How can I silence warnings in Python?"),
    ("How do I run tests in parallel with pytest?", "How can I run pytest tests concurrently?"),
    ("How do I skip a test in pytest?", "How can I skip a test with pytest?"),
])
def test_synonyms_of_one_pole_still_agree(cached: str, query: str) -> None:
    assert agree(cached, query)


# --- properties ----------------------------------------------------------------------------

WORDS = st.sampled_from([
    "how", "do", "I", "make", "the", "function", "return", "if", "when", "x", "is", "None",
    "list", "empty", "check", "whether", "that", "safe", "hidden", "files", "show", "run",
    "tests", "parallel", "only", "not", "why", "doesn't", "port", "8080", "`cfg`", "nullable",
    "non-empty", "unless", "in", "Python", "to", "a", "string", ",", "?", "and", "can",
]) | st.text(st.characters(codec="ascii", categories=["L", "N"]), min_size=1, max_size=8)
QUESTIONS = st.lists(WORDS, min_size=1, max_size=14)


@given(QUESTIONS, st.integers(min_value=0), st.sampled_from(["not", "never", "no", "doesn't"]))
def test_inserting_a_negation_into_a_question_never_keeps_a_hit(
        words: list[str], at: int, negation: str) -> None:
    at %= len(words) + 1
    negated = [*words[:at], negation, *words[at:]]
    assert not agree(" ".join(words), " ".join(negated))


@given(QUESTIONS, st.integers(min_value=0), st.sampled_from(["un", "in", "dis", "non"]),
       st.text(st.characters(codec="ascii", categories=["Ll"]), min_size=3, max_size=10))
def test_negating_a_word_with_a_prefix_never_keeps_a_hit(
        words: list[str], at: int, prefix: str, word: str) -> None:
    assume(not word.startswith("etheless"))
    at %= len(words) + 1
    plain = " ".join([*words[:at], word, *words[at:]])
    negated = " ".join([*words[:at], prefix + word, *words[at:]])
    assume(prefix + word not in plain.lower().split())
    assert not agree(plain, negated)


@given(QUESTIONS, QUESTIONS)
def test_agreement_is_reflexive_and_symmetric(first: list[str], second: list[str]) -> None:
    a, b = " ".join(first), " ".join(second)
    assert agree(a, a)
    assert agree(a, b) == agree(b, a)
