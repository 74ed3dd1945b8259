"""Long-term memory as Claude Code meets it through lynkr: requests shaped as Claude Code
2.1.332 sends them (billing line, environment in a ``role: "system"`` message, reminders in
the user turn), sent with the official Anthropic SDK, streamed, to a fake upstream; memories
in a real Chroma store under the proxy's data dir."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import pytest

from lynkr.optimize.memory import MEMORY_HEADER
from tests.fakes.upstream import FakeUpstream, Reply

BILLING = "x-anthropic-billing-header: cc_version=2.1.332.4a4; cc_entrypoint=sdk-cli;"
MAIN = [BILLING, "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
        "You are an agent working with the user toward their goals."]
SUBAGENT = [BILLING + " cc_is_subagent=true;",
            "You are a Claude agent, built on Anthropic's Claude Agent SDK.",
            "You are an agent for Claude Code, Anthropic's official CLI for Claude.\nNotes:\n"
            "- Agent threads always have their cwd reset between bash calls, as a result "
            "please only use absolute file paths."]
REMINDER = "<system-reminder>\nToday's date is 2026-11-26.\n</system-reminder>\n"


def environment(project: str) -> dict[str, Any]:
    return {"role": "system", "content": [{"type": "text", "text": (
        "# Environment\nYou have been invoked in the following environment: \n"
        f" - Primary working directory: {project}\n - Is a git repository: false")}]}


def session(url: str, project: str, *prompts: str, system: list[str] = MAIN,
            thinking: bool = False) -> None:
    """One Claude Code session in ``project``: each prompt is a turn carrying the whole
    conversation so far (``claude -p --continue``), streamed."""
    client = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    messages: list[dict[str, Any]] = []
    for prompt in prompts:
        messages.append({"role": "user", "content": [{"type": "text", "text": REMINDER},
                                                     {"type": "text", "text": prompt}]})
        extra = {"thinking": {"type": "adaptive"}} if thinking else {}
        with client.messages.stream(
                model="claude-opus-5-5", max_tokens=1000, messages=[
                    *messages, environment(project)],  # type: ignore[list-item]
                system=[{"type": "text", "text": t} for t in system],
                extra_body=extra) as stream:
            answer = stream.get_final_message()
        messages.append({"role": "assistant", "content": [
            {"type": "text", "text": answer.content[-1].text}]})  # type: ignore[union-attr]
        time.sleep(0.5)  # facts are stored in the background after the answer


def remembered(body: Any) -> list[str]:
    """The memory lines lynkr injected into a body it sent upstream (any wire format)."""
    block = next((text.split(MEMORY_HEADER, 1)[1] for text in strings(body)
                  if MEMORY_HEADER in text), "")
    return [line[2:] for line in block.splitlines() if line.startswith("- ")]


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | list):
        for item in value.values() if isinstance(value, dict) else value:
            yield from strings(item)


@pytest.fixture
def openai_proxy(upstream: FakeUpstream, proxy_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    upstream.default = Reply(text="Noted.")
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", OPENAI_MODEL="gpt-fake",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", MEMORY_ENABLED="true") as url:
        yield url


def test_a_fact_said_in_one_project_is_recalled_there_and_never_in_another(
        openai_proxy: str, upstream: FakeUpstream) -> None:
    tabs = "From now on we use tabs for indentation in this project, never spaces."
    session(openai_proxy, "/work/projA", tabs)
    session(openai_proxy, "/work/projB", "How should I indent the Python code here?")
    assert remembered(upstream.last.body) == []
    session(openai_proxy, "/work/projA", "How should I indent the Python code here?")
    assert remembered(upstream.last.body) == [tabs]


def test_a_subagents_prompt_is_not_remembered_as_the_users_words(
        openai_proxy: str, upstream: FakeUpstream) -> None:
    session(openai_proxy, "/work/projE",
            "The project uses Flask. We always deploy to Heroku. Find all route definitions.",
            system=SUBAGENT)
    session(openai_proxy, "/work/projE", "Which web framework and host does the project use?")
    assert remembered(upstream.last.body) == []


def test_pasted_errors_and_a_translation_payload_are_not_remembered(
        openai_proxy: str, upstream: FakeUpstream) -> None:
    session(openai_proxy, "/work/projU",
            "Why do I get this? sqlite3.OperationalError: the database is locked")
    session(openai_proxy, "/work/projU",
            "Translate this sentence to French: we use our hands to eat.")
    session(openai_proxy, "/work/projU", "I never got this error before.",
            "Should we always use async here")
    session(openai_proxy, "/work/projU", "What database do we use? Do we eat with our hands?")
    assert remembered(upstream.last.body) == []


def test_a_changed_decision_leaves_only_the_new_one_to_recall(
        openai_proxy: str, upstream: FakeUpstream) -> None:
    session(openai_proxy, "/work/projN", "We use yarn for this project.")
    session(openai_proxy, "/work/projN", "We don't use yarn anymore, we use pnpm now.")
    session(openai_proxy, "/work/projN", "Should I add lodash with yarn or pnpm?")
    assert remembered(upstream.last.body) == ["We don't use yarn anymore, we use pnpm now."]


def test_every_turn_of_one_session_sends_the_same_system_prompt(
        openai_proxy: str, upstream: FakeUpstream) -> None:
    session(openai_proxy, "/work/projQ", "We use pnpm for packages in this project.",
            "The API runs on port 8080 in production.")
    upstream.received.clear()
    session(openai_proxy, "/work/projQ", "Which package manager should I use to add lodash?",
            "What port does the API listen on?", "Also, I prefer short commit messages.",
            "How do I deploy the API?")
    systems = [[m for m in r.body["messages"] if m["role"] == "system"]
               for r in upstream.received]
    assert len(systems) == 4 and all(s == systems[0] for s in systems)
    assert remembered(upstream.received[0].body)


def test_an_anthropic_upstream_with_thinking_gets_no_memory_but_facts_are_still_learned(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.default = Reply(thinking="Noted it.", text="Noted.")
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url, MEMORY_ENABLED="true") as url:
        session(url, "/work/projP", "We use pnpm for packages in this project.", thinking=True)
        session(url, "/work/projP", "Which package manager should I use?", thinking=True)
        assert MEMORY_HEADER not in json.dumps(upstream.last.body)
        session(url, "/work/projP", "Which package manager should I use?")
        assert remembered(upstream.last.body) == ["We use pnpm for packages in this project."]
