"""The CLI tester's opposite questions through lynkr as Claude Code sends them (anthropic SDK,
first turns of one project, streamed), with the semantic cache on in a real Chroma store: each
opposite goes upstream and gets its own answer, while a paraphrase is still a hit."""

from __future__ import annotations

import time

import anthropic
import pytest

from tests.fakes.upstream import FakeUpstream, Reply

SYSTEM = "You are a coding agent. Primary working directory: /home/dev/shop"
OPPOSITES = [
    ("How do I make a model field nullable in Django?",
     "How do I make a model field non-nullable in Django?"),
    ("Make the function return early if x is None",
     "Make the function return early if x is not None"),
    ("Return None if the list is empty", "Return None if the list is not empty"),
    ("Use a case-sensitive comparison", "Use a case-insensitive comparison"),
    ("Is it safe to call this in a thread?", "Is it unsafe to call this in a thread?"),
    ("How do I show hidden files in ls?", "How do I hide hidden files in ls?"),
    ("How do I run only the failing tests with pytest?",
     "How do I skip the failing tests with pytest?"),
    ("How do I make all tests run in parallel with pytest?",
     "How do I make all tests run serially with pytest?"),
]


@pytest.fixture
def claude(upstream: FakeUpstream, proxy_factory):  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url, ANTHROPIC_MODEL="claude-sonnet-4-6",
                       SEMANTIC_CACHE_ENABLED="true") as url:
        yield anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)


def ask(claude: anthropic.Anthropic, question: str) -> tuple[str, str]:
    """The streamed answer's text and the cache header, as Claude Code would receive them."""
    with claude.messages.stream(model="claude-sonnet-4-6", max_tokens=100, system=SYSTEM,
                                messages=[{"role": "user", "content": question}]) as stream:
        return "".join(stream.text_stream), stream.response.headers["x-lynkr-cache"]


def test_the_opposite_of_a_cached_question_goes_upstream_for_its_own_answer(
        claude: anthropic.Anthropic, upstream: FakeUpstream) -> None:
    for i, (question, opposite) in enumerate(OPPOSITES):
        upstream.queue(Reply(text=f"answer-{i}-yes"), Reply(text=f"answer-{i}-no"))
        assert ask(claude, question) == (f"answer-{i}-yes", "miss")
        time.sleep(0.5)  # answers are stored in the background after they are sent
        assert ask(claude, opposite) == (f"answer-{i}-no", "miss"), opposite
    assert len(upstream.received) == 2 * len(OPPOSITES)


def test_a_paraphrase_of_a_negated_question_is_still_served(
        claude: anthropic.Anthropic, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Set null=False and give the field a default."))
    ask(claude, "How do I make a model field non-nullable in Django?")
    time.sleep(0.5)
    text, cache = ask(claude, "In Django, how can I make a model field non-nullable?")
    assert (text, cache) == ("Set null=False and give the field a default.", "hit")
    assert len(upstream.received) == 1
