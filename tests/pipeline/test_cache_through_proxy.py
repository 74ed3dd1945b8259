"""The semantic cache as a client sees it: repeats answered with zero upstream calls."""

from __future__ import annotations

import time

import anthropic
import httpx
import openai
import pytest

from lynkr.optimize.memory import MEMORY_HEADER
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall


@pytest.fixture
def cached_proxy(upstream: FakeUpstream, proxy_factory):  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", OPENAI_MODEL="gpt-fake",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", SEMANTIC_CACHE_ENABLED="true") as url:
        yield url


def settle() -> None:
    """Answers are stored in the background after they are sent; give the store a moment."""
    time.sleep(0.5)


def ask(url: str, text: str, **headers: str) -> httpx.Response:
    return httpx.post(f"{url}/v1/messages", headers=headers, timeout=30, json={
        "model": "claude-sonnet-4-6", "max_tokens": 100,
        "messages": [{"role": "user", "content": text}]})


def test_paraphrased_question_is_answered_from_cache(cached_proxy: str,
                                                     upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Use `git rebase -i HEAD~3` and mark commits as squash."))
    first = ask(cached_proxy, "How do I squash my last three git commits into one?")
    assert first.headers["x-lynkr-cache"] == "miss"
    settle()
    second = ask(cached_proxy, "how can I squash the last three git commits into a single one")
    assert second.headers["x-lynkr-cache"] == "hit"
    assert second.json()["content"][0]["text"] == first.json()["content"][0]["text"]
    assert second.json()["usage"]["input_tokens"] == 0
    assert len(upstream.received) == 1


def test_near_miss_with_a_different_number_goes_upstream(cached_proxy: str,
                                                         upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Set PORT=8080 in .env"), Reply(text="Set PORT=8081 in .env"))
    ask(cached_proxy, "How do I make the server listen on port 8080?")
    settle()
    second = ask(cached_proxy, "How do I make the server listen on port 8081?")
    assert second.headers["x-lynkr-cache"] == "miss"
    assert second.json()["content"][0]["text"] == "Set PORT=8081 in .env"


def test_cache_hit_streams_to_a_streaming_client(cached_proxy: str,
                                                 upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="A closure captures variables from its enclosing scope. " * 4))
    sdk = anthropic.Anthropic(base_url=cached_proxy, api_key="x", max_retries=0)
    question = [{"role": "user", "content": "What is a closure in JavaScript?"}]
    sdk.messages.create(model="claude-sonnet-4-6", max_tokens=100, messages=question)
    settle()
    with sdk.messages.stream(model="claude-sonnet-4-6", max_tokens=100,
                             messages=question) as stream:
        text = "".join(stream.text_stream)
    assert text.startswith("A closure captures")
    assert len(upstream.received) == 1


def test_no_cache_header_bypasses_the_cache(cached_proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="first"), Reply(text="second"))
    ask(cached_proxy, "What is the capital of Norway?")
    settle()
    again = ask(cached_proxy, "What is the capital of Norway?", **{"x-lynkr-no-cache": "1"})
    assert again.headers["x-lynkr-cache"] == "bypass"
    assert again.json()["content"][0]["text"] == "second"


def test_tool_calls_are_never_cached(cached_proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="", tool_calls=[ToolCall("read_file", {"path": "a.py"})]),
                   Reply(text="", tool_calls=[ToolCall("read_file", {"path": "a.py"})]))
    sdk = openai.OpenAI(base_url=f"{cached_proxy}/v1", api_key="x", max_retries=0)
    tools = [{"type": "function", "function": {"name": "read_file", "parameters": {
        "type": "object", "properties": {"path": {"type": "string"}}}}}]
    for _ in range(2):
        sdk.chat.completions.create(model="gpt-4o", tools=tools,
                                    messages=[{"role": "user", "content": "open a.py"}])
    assert len(upstream.received) == 2


def test_unusable_data_dir_means_no_cache_not_a_crash(upstream: FakeUpstream, proxy_factory,
                                                      tmp_path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the data directory should be")
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", SEMANTIC_CACHE_ENABLED="true",
                       LYNKR_DATA_DIR=str(blocker)) as url:
        response = ask(url, "What is a monad?")
    assert response.status_code == 200
    assert response.json()["content"][0]["text"] == "Hello from the fake upstream."


def test_a_cache_hit_names_the_model_that_wrote_the_answer_and_says_how_it_matched(
        cached_proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Use `git rebase -i HEAD~3` and mark commits as squash."))
    first = ask(cached_proxy, "How do I squash my last three git commits into one?")
    settle()
    exact = ask(cached_proxy, "How do I squash my last three git commits into one?")
    semantic = ask(cached_proxy, "how can I squash the last three git commits into a single one")
    assert first.headers["x-lynkr-model"] == "gpt-fake"
    for hit, kind in ((exact, "exact"), (semantic, "semantic")):
        assert hit.headers["x-lynkr-cache"] == "hit"
        assert hit.headers["x-lynkr-cache-kind"] == kind
        assert hit.headers["x-lynkr-provider"] == "cache"
        assert hit.headers["x-lynkr-model"] == "gpt-fake"
    assert "x-lynkr-cache-kind" not in first.headers
    assert len(upstream.received) == 1


@pytest.fixture
def remembering_proxy(upstream: FakeUpstream, proxy_factory):  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", OPENAI_MODEL="gpt-fake",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", SEMANTIC_CACHE_ENABLED="true",
                       MEMORY_ENABLED="true") as url:
        yield url


def ask_in(url: str, project: str, text: str) -> httpx.Response:
    """A first-turn question from a coding agent working in ``project``."""
    return httpx.post(f"{url}/v1/messages", timeout=30, json={
        "model": "claude-sonnet-4-6", "max_tokens": 100,
        "system": f"You are a coding agent.\nWorking directory: {project}",
        "messages": [{"role": "user", "content": text}]})


def remembered(received_body: dict) -> list[str]:  # type: ignore[type-arg]
    """The memory lines lynkr injected into a request it sent upstream (OpenAI chat)."""
    system = "\n".join(m["content"] for m in received_body["messages"]
                       if m["role"] == "system")
    _, _, block = system.partition(MEMORY_HEADER)
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


INDENT = "How should I indent this Python function?"
TABS = "From now on we use tabs for indentation."


def test_a_cached_answer_is_not_served_once_the_project_has_learned_a_new_fact(
        remembering_proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Indent with four spaces."), Reply(text="Sure."),
                   Reply(text="Indent with tabs."))
    ask_in(remembering_proxy, "/repo", INDENT)
    settle()
    ask_in(remembering_proxy, "/repo", TABS)
    settle()
    again = ask_in(remembering_proxy, "/repo", INDENT)
    assert again.headers["x-lynkr-cache"] == "miss"
    assert again.json()["content"][0]["text"] == "Indent with tabs."
    print("BODY", upstream.received[-1].body)
    assert remembered(upstream.received[-1].body) == [TABS]


def test_a_project_that_learned_nothing_new_keeps_its_cached_answers(
        remembering_proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Indent with four spaces."), Reply(text="Sure."))
    ask_in(remembering_proxy, "/repo", INDENT)
    settle()
    ask_in(remembering_proxy, "/elsewhere", TABS)  # another project's fact
    settle()
    again = ask_in(remembering_proxy, "/repo", INDENT)
    assert again.headers["x-lynkr-cache"] == "hit"
    assert again.json()["content"][0]["text"] == "Indent with four spaces."


def test_the_assistants_acknowledgement_is_not_remembered_next_to_the_users_fact(
        remembering_proxy: str, upstream: FakeUpstream) -> None:
    upstream.queue(Reply(text="Got it: from now on you use tabs."), Reply(text="Tabs."))
    ask_in(remembering_proxy, "/repo", TABS)
    settle()
    ask_in(remembering_proxy, "/repo", "Should this file use tabs or spaces?")
    assert remembered(upstream.received[-1].body) == [TABS]
