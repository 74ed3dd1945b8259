"""Preserved thinking on the wire, through the proxy with the official SDKs, against an upstream
that enforces the prefix check as documented (tests/fakes/binding.py): what an Anthropic client
sends reaches Anthropic as sent (role:system messages in place, betas, block_binding), what the
upstream reports reaches the client (input_transformations, server blocks, its 400s as they
were), and a conversation refused as bound to a different one is sent once more with
drop_block, then always."""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.fakes.binding import (
    BETA,
    BOUND,
    EXTRA_INPUTS,
    NEEDS_BETA,
    TAMPERED,
    Answer,
    BindingUpstream,
)
from tests.fakes.server import serving
from tests.fakes.upstream import Fail, Received, ToolCall

MODEL = "claude-fable-5-2"
SYSTEM = [{"type": "text", "text": "You are Claude Code.", "cache_control": {"type": "ephemeral"}}]
TOOLS = [{"name": "Read", "description": "Read a file",
          "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}},
         {"name": "Bash", "description": "Run a command",
          "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}}}]
THINKING = {"type": "adaptive"}
DROP_BLOCK = {"type": "adaptive", "block_binding": {"prefix_mismatch_behavior": "drop_block"}}
SEARCH_CALL = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search",
               "input": {"query": "lynkr"}}
SEARCH_RESULT = {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": []}


@pytest.fixture
def fake() -> Iterator[BindingUpstream]:
    with serving(BindingUpstream()) as upstream:
        yield upstream


@pytest.fixture
def url(fake: BindingUpstream, proxy_factory) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="sk-ant",
                       ANTHROPIC_ENDPOINT=fake.url, ANTHROPIC_MODEL=MODEL) as proxy:
        yield proxy


class Session:
    """A Claude-Code-like conversation through the proxy: a role:system note per step, the
    whole history on every request, the answers appended as the SDK returned them."""

    def __init__(self, url: str, fake: BindingUpstream, *, stream: bool,
                 thinking: dict[str, Any] = THINKING, betas: str = "") -> None:
        self.client = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        self.fake, self.stream, self.thinking, self.betas = fake, stream, thinking, betas
        self.system = copy.deepcopy(SYSTEM)
        self.messages: list[dict[str, Any]] = [{"role": "user", "content": "Read NOTES.md"}]
        self.headers: dict[str, str] = {}

    def step(self, reply: Answer, tool_output: str | None = None) -> Any:
        self.fake.queue(reply)
        self.messages.append({"role": "system", "content": f"<turn>{len(self.messages)}</turn>"})
        kwargs: dict[str, Any] = {
            "model": MODEL, "max_tokens": 4096, "system": self.system, "tools": TOOLS,
            "thinking": self.thinking, "messages": self.messages}
        if self.betas:
            kwargs["betas"] = self.betas.split(",")
        messages = self.client.beta.messages
        if self.stream:
            with messages.stream(**kwargs) as events:
                answer = events.get_final_message()
                self.headers = dict(events.response.headers)
        else:
            raw = messages.with_raw_response.create(**kwargs)
            answer, self.headers = raw.parse(), dict(raw.headers)
        self.messages.append({"role": "assistant", "content": [
            b.model_dump(exclude_none=True) for b in answer.content]})
        call = next((b for b in answer.content if b.type == "tool_use"), None)
        if call is not None:
            self.messages.append({"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": call.id, "content": tool_output or ""}]})
        return answer


def read(n: int) -> Answer:
    return Answer(text="", thinking=f"Step {n}.",
                  tool_calls=[ToolCall("Read", {"file_path": f"f{n}"}, f"toolu_{n}")])


def binding(sent: Received) -> str | None:
    return (sent.body.get("thinking") or {}).get("block_binding", {}).get(
        "prefix_mismatch_behavior")


def betas(sent: Received) -> list[str]:
    return [b for b in sent.headers.get("anthropic-beta", "").split(",") if b]


@pytest.mark.parametrize("stream", [False, True])
def test_role_system_messages_reach_an_anthropic_upstream_in_place(
        stream: bool, url: str, fake: BindingUpstream) -> None:
    session = Session(url, fake, stream=stream)
    session.step(read(1), "notes")
    session.step(read(2), "more notes")
    session.step(Answer(text="Done."))
    last = fake.last.body
    assert [m["role"] for m in last["messages"]] == [
        "user", "system", "assistant", "user", "system", "assistant", "user", "system"]
    assert last["system"] == SYSTEM
    assert [c.outcome for c in fake.verdicts[-1].checks] == ["kept", "kept"]
    assert len(fake.received) == 3  # no refusal, no retry


def test_client_betas_and_block_binding_reach_the_upstream(url: str,
                                                           fake: BindingUpstream) -> None:
    claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    fake.queue(Answer(text="Hi."))
    claude.messages.create(
        model=MODEL, max_tokens=100, messages=[{"role": "user", "content": "hi"}],
        extra_body={"thinking": DROP_BLOCK, "output_config": {"effort": "high"},
                    "context_management": {"edits": []}},
        extra_headers={"anthropic-beta": f"claude-code-20250219,{BETA},effort-2025-11-24"})
    assert betas(fake.last) == ["claude-code-20250219", BETA, "effort-2025-11-24",
                                "context-management-2025-06-27"]
    assert fake.last.body["thinking"] == DROP_BLOCK
    assert fake.last.body["output_config"] == {"effort": "high"}


@pytest.mark.parametrize("stream", [False, True])
def test_input_transformations_reach_the_client_streamed_and_whole(
        stream: bool, url: str, fake: BindingUpstream) -> None:
    session = Session(url, fake, stream=stream, thinking=DROP_BLOCK, betas=BETA)
    session.step(read(1), "notes")
    session.system[0]["text"] += " Today is Monday."  # an edit before the block
    answer = session.step(Answer(text="Done."))
    assert [t.model_dump() for t in answer.input_transformations] == [
        {"type": "thinking_dropped", "path": "messages.2.content.0",
         "reason": "prefix_binding_mismatch"}]
    assert session.headers["x-lynkr-thinking-dropped"] == "1"


@pytest.mark.parametrize("stream", [False, True])
def test_a_bound_conversation_400_is_retried_once_with_drop_block_and_remembered(
        stream: bool, url: str, fake: BindingUpstream, caplog: pytest.LogCaptureFixture) -> None:
    session = Session(url, fake, stream=stream)
    session.step(read(1), "notes")
    session.system[0]["text"] += " Today is Monday."
    with caplog.at_level(logging.WARNING, logger="lynkr.thinking"):
        session.step(read(2), "more")
    refused, retried = fake.received[1:]
    assert fake.verdicts[1].error is not None and binding(refused) is None
    assert binding(retried) == "drop_block" and BETA in betas(retried)
    assert session.headers["x-lynkr-thinking-dropped"] == "1"
    assert "The `system` prompt differs from the one this block was created with." in caplog.text
    session.step(Answer(text="Done."))
    assert len(fake.received) == 4  # drop_block from the start: no second refusal
    assert binding(fake.last) == "drop_block" and BETA in betas(fake.last)


def _edited_history(url: str, fake: BindingUpstream, **kwargs: Any) -> Session:
    session = Session(url, fake, stream=False, **kwargs)
    session.step(read(1), "notes")
    return session


def test_a_tampered_signature_is_not_retried_and_reaches_the_client_as_sent(
        url: str, fake: BindingUpstream) -> None:
    session = _edited_history(url, fake)
    session.messages[2]["content"][0]["thinking"] = "Something I never thought."
    with pytest.raises(anthropic.BadRequestError) as caught:
        session.step(Answer(text="Done."))
    assert caught.value.body["error"] == {"type": "invalid_request_error",
                                          "message": f"messages.2.content.0: {TAMPERED}"}
    assert len(fake.received) == 2


def test_an_explicit_error_behaviour_is_not_retried(url: str, fake: BindingUpstream) -> None:
    session = _edited_history(url, fake, thinking={
        "type": "adaptive", "block_binding": {"prefix_mismatch_behavior": "error"}}, betas=BETA)
    session.system[0]["text"] += " Today is Monday."
    with pytest.raises(anthropic.BadRequestError) as caught:
        session.step(Answer(text="Done."))
    assert caught.value.body["error"]["message"] == (
        f"messages.2.content.0: {BOUND} The `system` prompt differs from the one this block "
        "was created with.")
    assert len(fake.received) == 2


def test_a_refused_retry_gives_the_client_the_first_400_and_is_forgotten(
        url: str, fake: BindingUpstream) -> None:
    """An upstream that does not know the beta refuses block_binding: Claude Code must still
    see the bound-conversation 400 to strip its thinking."""
    def no_binding_controls(sent: Received) -> Fail | None:
        if "block_binding" in (sent.body.get("thinking") or {}):
            return Fail(400, EXTRA_INPUTS, body={"type": "error", "error": {
                "type": "invalid_request_error", "message": EXTRA_INPUTS}})
        return None

    session = _edited_history(url, fake)
    fake.refusals.insert(0, no_binding_controls)
    session.system[0]["text"] += " Today is Monday."
    with pytest.raises(anthropic.BadRequestError) as caught:
        session.step(Answer(text="Done."))
    assert caught.value.body["error"]["message"] == (
        f"messages.2.content.0: {BOUND} {NEEDS_BETA} The `system` prompt differs from the one "
        "this block was created with.")
    assert [binding(r) for r in fake.received[1:]] == [None, "drop_block"]
    with pytest.raises(anthropic.BadRequestError):
        session.step(Answer(text="Done."))
    assert binding(fake.received[3]) is None  # forgotten: sent as the client sent it


@pytest.mark.parametrize("stream", [False, True])
def test_server_blocks_reach_the_client_whole_and_go_back_in_place(
        stream: bool, url: str, fake: BindingUpstream) -> None:
    session = Session(url, fake, stream=stream)
    answer = session.step(Answer(text="Found it.", server_blocks=[SEARCH_CALL, SEARCH_RESULT]))
    assert [b.type for b in answer.content] == [
        "thinking", "server_tool_use", "web_search_tool_result", "text"]
    assert answer.content[1].input == {"query": "lynkr"}
    session.messages.append({"role": "user", "content": "Thanks."})
    session.step(Answer(text="You're welcome."))
    assert [c.outcome for c in fake.verdicts[-1].checks] == ["kept"]


def test_an_openai_client_to_an_anthropic_upstream_still_gets_system_folded(
        url: str, fake: BindingUpstream) -> None:
    client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
    fake.queue(Answer(text="Hello."))
    client.chat.completions.create(model=MODEL, messages=[
        {"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"},
        {"role": "system", "content": "Mind the budget."}])
    sent = fake.last.body
    assert [m["role"] for m in sent["messages"]] == ["user"]
    assert "Be terse." in str(sent["system"]) and "Mind the budget." in str(sent["system"])


def test_an_anthropic_error_reaches_the_client_whole(url: str, fake: BindingUpstream) -> None:
    long = "x" * 800
    fake.queue(Fail(400, long, body={"type": "error", "error": {
        "type": "invalid_request_error", "message": long}, "request_id": "req_1"}))
    answer = httpx.post(f"{url}/v1/messages", json={
        "model": MODEL, "max_tokens": 5, "messages": [{"role": "user", "content": "hi"}]})
    assert answer.status_code == 400
    assert answer.json()["error"] == {"type": "invalid_request_error", "message": long}
