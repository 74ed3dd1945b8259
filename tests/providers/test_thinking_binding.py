"""lynkr's side of preserved thinking's block binding: which refusals it answers with one
drop_block retry, which conversations it remembers, and what each Anthropic-family upstream
is sent (betas in the header, or in the body on Bedrock)."""

from __future__ import annotations

import dataclasses

import anthropic
import pytest

from lynkr.errors import UpstreamError
from lynkr.model import Message, Request, SystemMessage, TextBlock
from lynkr.providers.anthropic import betas_for, fit_thinking_to_history
from lynkr.providers.base import upstream_error_from
from lynkr.providers.bound_conversations import BoundConversations, conversation_key
from lynkr.wire import bedrock
from lynkr.wire.thinking_binding import (
    BINDING_BETA,
    header_betas,
    is_bound_elsewhere,
    what_changed,
)
from tests.fakes.bedrock import FakeBedrock
from tests.fakes.binding import BOUND, NEEDS_BETA, TAMPERED
from tests.fakes.upstream import Fail, Reply

CHANGED = "The `system` prompt differs from the one this block was created with."
REFUSAL = f"messages.1.content.0: {BOUND} {NEEDS_BETA} {CHANGED}"
ANTHROPIC = "anthropic:claude-fable-5-2"


def refused(message: str = REFUSAL, status: int = 400) -> UpstreamError:
    return UpstreamError(message, status=status, kind="invalid_request_error"
                         if status == 400 else "api_error", retryable=status >= 500)


def request(system_note: str = "", thinking: dict | None = None) -> Request:
    note = [TextBlock(system_note)] if system_note else []
    return Request("claude", [Message("user", [TextBlock("Read NOTES.md")])],
                   system=[TextBlock("You are Claude Code."), *note],
                   thinking=thinking or {"type": "adaptive"},
                   system_messages=[SystemMessage(1, {"role": "system", "content": system_note},
                                                  note)] if note else [])


def test_the_refusal_is_told_from_a_tampered_signature_and_names_what_changed() -> None:
    assert is_bound_elsewhere(REFUSAL)
    assert is_bound_elsewhere(REFUSAL.replace("`thinking`", "`redacted_thinking`"))
    assert not is_bound_elsewhere(f"messages.1.content.0: {TAMPERED}")
    assert what_changed(REFUSAL) == CHANGED
    assert what_changed(f"messages.1.content.0: {BOUND}") == ""


def test_header_betas_split_and_keep_each_once() -> None:
    assert header_betas(["a, b", "b,c", ""]) == ["a", "b", "c"]


def test_a_bound_refusal_is_answered_with_drop_block_and_remembered() -> None:
    bound = BoundConversations()
    retry = bound.learn(request("turn 1"), ANTHROPIC, refused())
    assert retry is not None and retry.betas == [BINDING_BETA]
    assert retry.thinking == {"type": "adaptive",
                              "block_binding": {"prefix_mismatch_behavior": "drop_block"}}
    # The next turn carries a new role:system note: the same conversation all the same.
    later = bound.apply(request("turn 2"), ANTHROPIC)
    assert later.thinking == retry.thinking and later.betas == [BINDING_BETA]
    assert bound.apply(request("turn 2"), "openai:gpt-5").thinking == {"type": "adaptive"}


@pytest.mark.parametrize("error", [
    refused(f"messages.1.content.0: {TAMPERED}"), refused(status=500),
    UpstreamError(REFUSAL, status=400, kind="api_error")])
def test_other_errors_are_not_retried(error: UpstreamError) -> None:
    assert BoundConversations().learn(request(), ANTHROPIC, error) is None


def test_a_behaviour_the_client_chose_is_its_answer() -> None:
    chosen = request(thinking={"type": "adaptive",
                               "block_binding": {"prefix_mismatch_behavior": "error"}})
    bound = BoundConversations()
    assert bound.learn(chosen, ANTHROPIC, refused()) is None
    assert not bound.remembers(chosen)


def test_a_refused_retry_gives_the_first_refusal_and_forgets() -> None:
    bound, first = BoundConversations(), refused()
    bound.learn(request(), ANTHROPIC, first)
    assert bound.after_retry(request(), ANTHROPIC, first, refused("Extra inputs")) is first
    assert not bound.remembers(request())
    overloaded = refused(status=529)
    bound.learn(request(), ANTHROPIC, first)
    assert bound.after_retry(request(), ANTHROPIC, first, overloaded) is overloaded


def test_the_memory_is_bounded() -> None:
    bound = BoundConversations(max_size=2)
    conversations = [dataclasses.replace(request(), messages=[
        Message("user", [TextBlock(f"task {n}")])]) for n in range(3)]
    for conversation in conversations:
        bound.learn(conversation, ANTHROPIC, refused())
    assert [bound.remembers(c) for c in conversations] == [False, True, True]


def test_the_conversation_key_leaves_out_the_system_messages_text() -> None:
    assert conversation_key(request("turn 1")) == conversation_key(request("turn 9"))


def test_bedrock_gets_only_the_beta_which_makes_drop_block_its_default() -> None:
    retry = BoundConversations().learn(request(), "bedrock:anthropic.claude-fable-5-1",
                                       refused())
    assert retry is not None and retry.thinking == {"type": "adaptive"}
    body = bedrock.build_request(dataclasses.replace(retry, betas=["claude-code-20250219",
                                                                   BINDING_BETA]),
                                 "us.anthropic.claude-fable-5-1")
    assert body["additionalModelRequestFields"] == {"thinking": {"type": "adaptive"},
                                                    "anthropic_beta": [BINDING_BETA]}
    assert "additionalModelRequestFields" not in bedrock.build_request(
        dataclasses.replace(request(), thinking=None), "us.anthropic.claude-fable-5-1")


def test_a_bound_refusal_from_bedrock_is_retried_with_the_beta_in_the_body(
        fake_bedrock: FakeBedrock, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    fake_bedrock.queue(Fail(400, f"The model returned the following errors: {REFUSAL}"),
                       Reply(text="Done."))
    with proxy_factory(MODEL_PROVIDER="bedrock", AWS_BEDROCK_API_KEY="k",
                       AWS_BEDROCK_ENDPOINT=fake_bedrock.url,  # type: ignore[attr-defined]
                       AWS_BEDROCK_MODEL_ID="us.anthropic.claude-fable-5-1") as url:
        claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        text = claude.messages.create(
            model="m", max_tokens=2000, messages=[{"role": "user", "content": "hi"}],
            extra_body={"thinking": {"type": "adaptive"}}).content[0].text
    assert text == "Done."
    first, retried = (r.body.get("additionalModelRequestFields") for r in fake_bedrock.received)
    assert "anthropic_beta" not in first
    assert retried["anthropic_beta"] == [BINDING_BETA]


def test_betas_for_forwarded_fields_include_the_binding_beta() -> None:
    assert betas_for({"thinking": {"type": "adaptive", "block_binding": {}},
                      "context_management": {}}) == ["context-management-2025-06-27",
                                                     BINDING_BETA]


def test_thinking_is_fitted_to_the_tool_turn_before_claude_codes_system_note() -> None:
    payload = {"thinking": {"type": "adaptive"}, "messages": [
        {"role": "user", "content": [{"type": "text", "text": "hi"}]},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t", "name": "Read",
                                           "input": {}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t"}]},
        {"role": "system", "content": "<turn>3</turn>"}]}
    fit_thinking_to_history(payload)
    assert "thinking" not in payload  # the tool turn came from another provider: no thinking


def test_an_anthropic_error_keeps_its_type_and_whole_message_others_say_who_failed() -> None:
    long = "y" * 700
    own = upstream_error_from(
        400, b'{"type":"error","error":{"type":"invalid_request_error","message":"' +
        long.encode() + b'"},"request_id":"req_1"}', {}, "anthropic")
    assert (own.kind, own.message) == ("invalid_request_error", long)
    other = upstream_error_from(400, b'{"error":{"message":"' + long.encode() + b'"}}', {},
                                "openai")
    assert other.message.startswith("openai returned 400: ") and len(other.message) < 560
