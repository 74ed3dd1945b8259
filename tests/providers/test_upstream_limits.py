"""An upstream that refuses part of a request says so: Claude Code's max_tokens 64,000 over a
model's limit, or thinking to an Ollama model that cannot think. lynkr asks again without it
and remembers, so the agent never sees the refusal."""

from __future__ import annotations

import dataclasses

import anthropic
import openai
import pytest

from lynkr.config import TierTarget
from lynkr.errors import UpstreamError
from lynkr.model import Message, Request, TextBlock
from lynkr.providers.upstream_limits import UpstreamLimits, stated_limit
from tests.fakes import quirks
from tests.fakes.upstream import Fail, FakeUpstream, Reply

OPENAI_REFUSAL = ("max_tokens is too large: 64000. This model supports at most 16384 completion "
                  "tokens, whereas you provided 64000.")
TARGET = TierTarget("openai", "gpt-4o")


@pytest.mark.parametrize(("message", "expected"), [
    (OPENAI_REFUSAL, (16384, True)),
    ("Invalid max_tokens value, the valid range of max_tokens is [1, 8192]", (8192, True)),
    ("max_tokens: 64000 > 32000, which is the maximum allowed number of output tokens for "
     "claude-opus-4", (32000, True)),
    ("`max_tokens` must be less than or equal to `8192`, the maximum value for `max_tokens`",
     (8192, True)),
    ("This model's maximum context length is 32768 tokens. However, you requested 66000 tokens "
     "(2000 in the messages, 64000 in the completion).", (30768, False)),
    ("invalid api key", None),
])
def test_each_familys_wording_of_the_limit_is_read(message: str, expected: object) -> None:
    assert stated_limit(f"openai returned 400: {message}") == expected


def request(max_tokens: int | None = 64000, thinking: dict | None = None) -> Request:
    return Request("claude", [Message("user", [TextBlock("hi")])], max_tokens=max_tokens,
                   thinking=thinking)


def refusal(message: str = OPENAI_REFUSAL, status: int = 400) -> UpstreamError:
    return UpstreamError(f"openai returned {status}: {message}", status=status)


def test_a_model_limit_is_remembered_for_that_target_only() -> None:
    caps = UpstreamLimits()
    again = caps.learn(request(), TARGET, refusal())
    assert again is not None and again.max_tokens == 16384
    assert caps.apply(request(), TARGET).max_tokens == 16384
    assert caps.apply(request(4096), TARGET).max_tokens == 4096
    assert caps.apply(request(), TierTarget("openai", "gpt-4.1")).max_tokens == 64000


def test_a_context_window_refusal_is_retried_but_not_remembered() -> None:
    caps = UpstreamLimits()
    window = ("This model's maximum context length is 32768 tokens. However, you requested "
              "66000 tokens (2000 in the messages, 64000 in the completion).")
    assert caps.learn(request(), TARGET, refusal(window)).max_tokens == 30768  # type: ignore[union-attr]
    assert caps.apply(request(), TARGET).max_tokens == 64000


@pytest.mark.parametrize("error", [refusal("invalid api key"), refusal(status=500),
                                   refusal("supports at most 100 completion tokens")])
def test_other_errors_and_useless_limits_are_not_retried(error: UpstreamError) -> None:
    assert UpstreamLimits().learn(request(), TARGET, error) is None


@pytest.mark.parametrize("stream", [False, True])
def test_claude_codes_max_tokens_through_an_openai_upstream(stream: bool, upstream: FakeUpstream,
                                                           proxy_factory) -> None:  # type: ignore[no-untyped-def]
    # 20,000 rather than Claude Code's 64,000: the SDK refuses that much without streaming.
    upstream.queue(Fail(400, OPENAI_REFUSAL.replace("64000", "20000")), Reply(text="first"),
                   Reply(text="second"))
    env = dict(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", OPENAI_ENDPOINT=f"{upstream.url}/v1",
               OPENAI_MODEL="gpt-4o")
    with proxy_factory(**env) as url:
        sdk = anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)
        answers = []
        for _ in range(2):
            kwargs = dict(model="claude-sonnet-4-6", max_tokens=20000,
                          messages=[{"role": "user", "content": "hi"}])
            if stream:
                with sdk.messages.stream(**kwargs) as events:  # type: ignore[arg-type]
                    answers.append(events.get_final_message().content[0].text)
            else:
                answers.append(sdk.messages.create(**kwargs).content[0].text)  # type: ignore[arg-type]
    assert answers == ["first", "second"]
    assert [r.body["max_tokens"] for r in upstream.received] == [20000, 16384, 16384]


THINKING = {"type": "enabled", "budget_tokens": 4000}
OLLAMA_REFUSAL = '"qwen2.5-coder:7b" does not support thinking'


def test_a_model_that_cannot_think_is_asked_again_without_thinking_and_remembered() -> None:
    limits, target = UpstreamLimits(), TierTarget("ollama", "qwen2.5-coder:7b")
    again = limits.learn(request(thinking=THINKING), target, refusal(OLLAMA_REFUSAL))
    assert again is not None and again.thinking is None
    assert limits.apply(request(thinking=THINKING), target).thinking is None
    assert limits.apply(request(thinking=THINKING), TierTarget("ollama", "qwen3:8b")).thinking \
        == THINKING


def test_claude_codes_thinking_through_ollama_to_a_model_that_cannot_think(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(Fail(400, OLLAMA_REFUSAL), Reply(text="first"), Reply(text="second"))
    env = dict(MODEL_PROVIDER="ollama", OLLAMA_ENDPOINT=upstream.url,
               OLLAMA_MODEL="qwen2.5-coder:7b")
    with proxy_factory(**env) as url:
        sdk = anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)
        answers = [sdk.messages.create(
            model="claude-sonnet-4-6", max_tokens=1000, thinking=THINKING,  # type: ignore[arg-type]
            messages=[{"role": "user", "content": "hi"}]).content[0].text for _ in range(2)]
    assert answers == ["first", "second"]
    assert [r.body.get("think") for r in upstream.received] == [True, None, None]


def test_a_request_with_no_max_tokens_of_its_own_is_capped_when_refused() -> None:
    """Codex sends no max_output_tokens; the Anthropic codec made room for its reasoning
    budget (28,672) and the model refused it."""
    limits, codex = UpstreamLimits(), request(None, thinking={"type": "enabled",
                                                              "budget_tokens": 24576})
    again = limits.learn(codex, TARGET, refusal(OPENAI_REFUSAL.replace("64000", "28672")))
    assert again is not None and again.max_tokens == 16384
    assert again.thinking == {"type": "enabled", "budget_tokens": 8192}
    assert limits.apply(codex, TARGET).max_tokens == 16384
    # The Anthropic codec's 32,000 default would pass it too: the cap is named.
    assert limits.apply(request(None), TARGET).max_tokens == 16384


def test_lowering_max_tokens_leaves_the_thinking_budget_below_it() -> None:
    own = request(28672, thinking={"type": "enabled", "budget_tokens": 24576})
    again = UpstreamLimits().learn(own, TARGET, refusal())
    assert again is not None and again.max_tokens == 16384
    assert again.thinking["budget_tokens"] < again.max_tokens  # type: ignore[index]
    tiny = UpstreamLimits().learn(own, TARGET, refusal("max_tokens: 28672 > 1500, which is "
                                                       "the maximum allowed"))
    assert tiny is not None and tiny.max_tokens == 1500 and tiny.thinking is None


@pytest.mark.parametrize(("message", "dropped"), [
    ("Unsupported value: 'temperature' does not support 0.2 with this model. Only the default "
     "(1) value is supported.", {"temperature": None, "top_p": None}),
    ("Unsupported parameter: 'top_p' is not supported with this model.",
     {"temperature": None, "top_p": None}),
    ("temperature may only be set to 1 when thinking is enabled. Please consult our "
     "documentation", {"temperature": None, "top_p": None}),
    ("`temperature` and `top_p` cannot both be specified for this model. Please use only one.",
     {"temperature": 0.2, "top_p": None}),
    ("The model returned the following errors: temperature and top_p cannot both be specified "
     "for this model.", {"temperature": 0.2, "top_p": None}),  # Bedrock's wording
])
def test_refused_sampling_settings_are_dropped_and_remembered(message: str,
                                                              dropped: dict) -> None:
    limits, target = UpstreamLimits(), TierTarget("anthropic", "claude-sonnet-4-5")
    asked = dataclasses.replace(request(1000), temperature=0.2, top_p=0.9)
    again = limits.learn(asked, target, refusal(message))
    assert again is not None and {"temperature": again.temperature, "top_p": again.top_p} \
        == dropped
    later = limits.apply(asked, target)
    assert (later.temperature, later.top_p) == (again.temperature, again.top_p)
    assert limits.apply(asked, TARGET).temperature == 0.2


def test_a_clients_temperature_through_to_an_openai_reasoning_model(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.refusals.append(quirks.openai_reasoning_model)
    upstream.queue(Reply(text="first"), Reply(text="second"))
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k", OPENAI_MODEL="gpt-5",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1") as url:
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        answers = [sdk.chat.completions.create(
            model="lynkr/auto", temperature=0.2, max_tokens=500,
            messages=[{"role": "user", "content": "hi"}]).choices[0].message.content
            for _ in range(2)]
    assert answers == ["first", "second"]
    assert [r.body.get("temperature") for r in upstream.received] == [0.2, None, None]


def test_adaptive_thinking_becomes_a_budget_for_claude_before_4_6() -> None:
    limits, target = UpstreamLimits(), TierTarget("anthropic", "claude-sonnet-4-5")
    claude_code = dataclasses.replace(request(32000, thinking={"type": "adaptive"}),
                                      extra={"output_config": {"effort": "medium"}})
    again = limits.learn(claude_code, target, refusal(
        "adaptive thinking is not supported on this model"))
    assert again is not None and again.thinking == {"type": "enabled", "budget_tokens": 8192}
    assert limits.apply(request(4000, thinking={"type": "adaptive"}), target).thinking == {
        "type": "enabled", "budget_tokens": 2000}  # high's 24,576 would not fit under 4,000


def test_a_budget_becomes_adaptive_thinking_for_claude_that_takes_only_that() -> None:
    limits, target = UpstreamLimits(), TierTarget("anthropic", "claude-opus-4-8")
    codex = request(None, thinking={"type": "enabled", "budget_tokens": 24576})
    again = limits.learn(codex, target, refusal(
        '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive" '
        'and "output_config.effort" to control thinking behavior.'))
    assert again is not None and again.thinking == {"type": "adaptive"}
    assert limits.apply(codex, target).thinking == {"type": "adaptive"}


def test_claude_codes_adaptive_thinking_through_to_claude_sonnet_4_5(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.refusals.append(quirks.claude_thinking_forms)
    upstream.queue(Reply(text="first"), Reply(text="second"))
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url, ANTHROPIC_MODEL="claude-sonnet-4-5") as url:
        sdk = anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)
        answers = []
        for _ in range(2):
            with sdk.messages.stream(model="claude-opus-4-8", max_tokens=32000,
                                     thinking={"type": "adaptive"},  # type: ignore[typeddict-item]
                                     extra_body={"output_config": {"effort": "high"}},
                                     messages=[{"role": "user", "content": "hi"}]) as events:
                answers.append(events.get_final_message().content[-1].text)  # type: ignore[union-attr]
    assert answers == ["first", "second"]
    assert [r.body["thinking"]["type"] for r in upstream.received] == [
        "adaptive", "enabled", "enabled"]


PNG = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5E"
       "rkJggg==")


def test_a_screenshot_read_by_claude_code_reaches_a_text_only_model_as_a_note(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.refusals.append(quirks.deepseek_text_only)
    upstream.queue(Reply(text="first"), Reply(text="second"))
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": PNG}}
    history = [{"role": "user", "content": "What is in shot.png?"},
               {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "Read",
                                                  "input": {"file_path": "shot.png"}}]},
               {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1",
                                             "content": [image]}]}]
    with proxy_factory(MODEL_PROVIDER="deepseek", DEEPSEEK_API_KEY="k",
                       DEEPSEEK_ENDPOINT=f"{upstream.url}/v1") as url:
        sdk = anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)
        answers = [sdk.messages.create(model="m", max_tokens=500, messages=history,
                                       tools=[{"name": "Read", "input_schema": {"type": "object"}}]
                                       ).content[0].text for _ in range(2)]  # type: ignore[union-attr]
    assert answers == ["first", "second"]
    assert len(upstream.received) == 3  # refused once, then straight through
    sent = str(upstream.last.body["messages"])
    assert "image_url" not in sent and "image left out" in sent
