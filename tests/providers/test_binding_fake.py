"""The enforcing fake (tests/fakes/binding.py) applies preserved thinking's documented prefix
rule: these pin what it accepts and refuses, so specs that pass against it would pass the
real check on those points."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.fakes.binding import (
    BETA,
    BOUND,
    EXTRA_INPUTS,
    NEEDS_BETA,
    TAMPERED,
    Answer,
    BindingUpstream,
    check,
)
from tests.fakes.server import serving
from tests.fakes.upstream import ToolCall

MODEL = "claude-fable-5-2"
DROP_BLOCK = {"type": "adaptive", "block_binding": {"prefix_mismatch_behavior": "drop_block"}}
TOOLS = [{"name": "Read", "description": "Read a file", "input_schema": {"type": "object"}},
         {"name": "Bash", "description": "Run a command", "input_schema": {"type": "object"}}]


@pytest.fixture
def fake() -> Iterator[BindingUpstream]:
    with serving(BindingUpstream()) as upstream:
        yield upstream


def post(fake: BindingUpstream, body: dict[str, Any], *, beta: bool = False) -> httpx.Response:
    headers = {"anthropic-version": "2023-06-01"}
    if beta:
        headers["anthropic-beta"] = f"claude-code-20250219,{BETA}"
    return httpx.post(f"{fake.url}/v1/messages", json=body, headers=headers)


def first_turn(fake: BindingUpstream) -> dict[str, Any]:
    """A conversation after one tool call and its result, thinking signed by the fake."""
    body = {"model": MODEL, "max_tokens": 100, "thinking": {"type": "adaptive"},
            "system": [{"type": "text", "text": "You are terse."}], "tools": TOOLS,
            "messages": [{"role": "user", "content": "Read NOTES.md"}]}
    fake.queue(_tool_reply("toolu_1"))
    answer = post(fake, body).json()
    body["messages"] += [{"role": "assistant", "content": answer["content"]},
                         {"role": "user", "content": [{"type": "tool_result",
                                                       "tool_use_id": "toolu_1",
                                                       "content": "lynkr was here"}]}]
    return body


def _tool_reply(call_id: str) -> Answer:
    return Answer(text="", thinking="Read it.", tool_calls=[ToolCall("Read", {"p": 1}, call_id)])


def test_an_append_only_history_passes(fake: BindingUpstream) -> None:
    body = first_turn(fake)
    assert post(fake, body).status_code == 200
    assert [c.outcome for c in fake.verdicts[-1].checks] == ["kept"]


def test_a_changed_system_prompt_is_the_documented_400(fake: BindingUpstream) -> None:
    body = first_turn(fake)
    body["system"][0]["text"] += " Today is Monday."
    answer = post(fake, body)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"] == (f"messages.1.content.0: {BOUND} {NEEDS_BETA} The `system` "
                                "prompt differs from the one this block was created with.")


@pytest.mark.parametrize("edit", ["cache_control", "string_as_block", "key_order"])
def test_what_is_not_an_edit_passes(edit: str, fake: BindingUpstream) -> None:
    body = first_turn(fake)
    if edit == "cache_control":
        body["system"][0]["cache_control"] = {"type": "ephemeral"}
        body["tools"][1]["cache_control"] = {"type": "ephemeral"}
    elif edit == "string_as_block":
        body["messages"][0]["content"] = [{"type": "text", "text": "Read NOTES.md"}]
    else:
        body["tools"] = [dict(reversed(t.items())) for t in body["tools"]]
    assert post(fake, body).status_code == 200


@pytest.mark.parametrize("edit", ["tool_removed", "tool_order", "earlier_message_edited",
                                  "system_moved"])
def test_edits_before_the_block_fail(edit: str, fake: BindingUpstream) -> None:
    body = first_turn(fake)
    if edit == "tool_removed":
        body["tools"] = body["tools"][:1]
    elif edit == "tool_order":
        body["tools"] = list(reversed(body["tools"]))
    elif edit == "earlier_message_edited":
        body["messages"][0]["content"] = "Read NOTES"
    else:
        body["system"] = [*body["system"], {"type": "text", "text": "note"}]
    assert post(fake, body).status_code == 400


def test_an_unreferenced_deferred_tool_may_be_added(fake: BindingUpstream) -> None:
    body = first_turn(fake)
    body["tools"].append({"name": "Grep", "input_schema": {"type": "object"},
                          "defer_loading": True})
    assert post(fake, body).status_code == 200


def three_thinking_turns(fake: BindingUpstream) -> dict[str, Any]:
    body = first_turn(fake)
    for n in (2, 3):
        fake.queue(_tool_reply(f"toolu_{n}"))
        answer = post(fake, body).json()
        body["messages"] += [{"role": "assistant", "content": answer["content"]},
                             {"role": "user", "content": [{"type": "tool_result",
                                                           "tool_use_id": f"toolu_{n}",
                                                           "content": "ok"}]}]
    return body


def without_thinking(body: dict[str, Any], *turns: int) -> dict[str, Any]:
    body = copy.deepcopy(body)
    for index in turns:
        message = body["messages"][index]
        message["content"] = [b for b in message["content"] if b["type"] != "thinking"]
    return body


@pytest.mark.parametrize(("dropped", "status"), [
    ((), 200), ((1,), 200), ((1, 3), 200), ((5,), 200), ((1, 3, 5), 200), ((3,), 400)])
def test_thinking_may_go_from_the_start_or_the_end_but_not_the_middle(
        dropped: tuple[int, ...], status: int, fake: BindingUpstream) -> None:
    body = three_thinking_turns(fake)
    assert post(fake, without_thinking(body, *dropped)).status_code == status


def test_a_tampered_signature_is_the_bare_400_even_with_drop_block(fake: BindingUpstream) -> None:
    body = {**first_turn(fake), "thinking": DROP_BLOCK}
    body["messages"][1]["content"][0]["thinking"] = "Something else."
    answer = post(fake, body, beta=True)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == f"messages.1.content.0: {TAMPERED}"


def test_block_binding_needs_the_beta(fake: BindingUpstream) -> None:
    answer = post(fake, {**first_turn(fake), "thinking": DROP_BLOCK})
    assert answer.status_code == 400
    assert answer.json()["error"]["message"] == EXTRA_INPUTS


@pytest.mark.parametrize("stream", [False, True])
def test_drop_block_with_the_beta_reports_input_transformations(
        stream: bool, fake: BindingUpstream) -> None:
    body = three_thinking_turns(fake)
    body["system"] = "changed"
    body["thinking"] = DROP_BLOCK
    answer = post(fake, {**body, "stream": stream}, beta=True)
    assert answer.status_code == 200
    if stream:
        start = next(json.loads(line[6:]) for line in answer.text.splitlines()
                     if line.startswith("data: ") and "message_start" in line)
        transformations = start["message"]["input_transformations"]
    else:
        transformations = answer.json()["input_transformations"]
    assert transformations == [
        {"type": "thinking_dropped", "path": f"messages.{i}.content.0",
         "reason": "prefix_binding_mismatch"} for i in (1, 3, 5)]


def test_the_beta_alone_reports_an_empty_list(fake: BindingUpstream) -> None:
    assert post(fake, first_turn(fake), beta=True).json()["input_transformations"] == []


def test_another_models_thinking_is_dropped_silently(fake: BindingUpstream) -> None:
    body = first_turn(fake)
    verdict = check({**body, "model": "claude-opus-5-5"}, {"anthropic-beta": BETA})
    assert verdict.error is None
    assert verdict.transformations == [{"type": "thinking_dropped", "path":
                                        "messages.1.content.0",
                                        "reason": "model_binding_mismatch"}]


def test_an_older_account_lets_a_mismatch_through_and_says_so() -> None:
    with serving(BindingUpstream(enforcement="allow")) as fake:
        body = first_turn(fake)
        body["system"] = "changed"
        answer = post(fake, body, beta=True)
    assert answer.status_code == 200
    assert answer.json()["input_transformations"][0]["type"] == "thinking_mismatch_allowed"
