"""Documented refusals of real upstreams, for a fake to apply to each request it receives.

Each is a function of the received request returning the provider's own 400 (status, body
and wording as the provider sends them) or None. Add one to ``FakeUpstream.refusals``::

    upstream.refusals.append(quirks.openai_reasoning_model)

They check only what the provider documents (or what its users report verbatim), so a test
that passes with a refusal installed would pass against the real API on that point.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.upstream import Fail, Received

_OPENAI_REASONING = re.compile(r"^(o\d|gpt-5)")


def _openai_error(message: str, param: str | None, code: str) -> Fail:
    return Fail(400, message, body={"error": {"message": message, "type": "invalid_request_error",
                                              "param": param, "code": code}})


def openai_reasoning_model(sent: Received) -> Fail | None:
    """OpenAI's reasoning models (o-series, gpt-5 family) refuse ``max_tokens`` and any
    temperature but the default 1."""
    body = sent.body
    if not _OPENAI_REASONING.match(str(body.get("model", ""))):
        return None
    if "max_tokens" in body:
        return _openai_error("Unsupported parameter: 'max_tokens' is not supported with this "
                             "model. Use 'max_completion_tokens' instead.",
                             "max_tokens", "unsupported_parameter")
    temperature = body.get("temperature")
    if temperature is not None and temperature != 1:
        return _openai_error(f"Unsupported value: 'temperature' does not support {temperature} "
                             "with this model. Only the default (1) value is supported.",
                             "temperature", "unsupported_value")
    return None


# Reasoning models that take no reasoning_effort at all (the first o1 previews).
_NO_EFFORT = re.compile(r"^o1-(mini|preview)")
_XHIGH = re.compile(r"^(gpt-5\.1-codex-max|gpt-5\.([2-9]|\d\d))")


def openai_reasoning_effort(sent: Received) -> Fail | None:
    """``reasoning_effort`` is refused by the models that do not reason (gpt-4o, gpt-4.1) and
    the first o1 previews, and each reasoning family refuses the levels it does not know:
    ``minimal`` exists on gpt-5 only, ``none`` from gpt-5.1 on, ``xhigh`` from
    gpt-5.1-codex-max and gpt-5.2 on."""
    effort, model = sent.body.get("reasoning_effort"), str(sent.body.get("model", ""))
    if effort is None:
        return None
    if not _OPENAI_REASONING.match(model) or _NO_EFFORT.match(model):
        return _openai_error("Unsupported parameter: 'reasoning_effort' is not supported with "
                             "this model.", "reasoning_effort", "unsupported_parameter")
    later = re.match(r"^gpt-5\.\d", model) is not None
    levels = ["low", "medium", "high"]
    if model.startswith("gpt-5") and not later:
        levels.insert(0, "minimal")
    if later:
        levels.insert(0, "none")
    if _XHIGH.match(model):
        levels.append("xhigh")
    if effort in levels:
        return None
    supported = ", ".join(f"'{level}'" for level in levels[:-1]) + f", and '{levels[-1]}'"
    return _openai_error(f"Unsupported value: 'reasoning_effort' does not support '{effort}' "
                         f"with this model. Supported values are: {supported}.",
                         "reasoning_effort", "unsupported_value")


def openai_user_length(sent: Received) -> Fail | None:
    """OpenAI (and Azure OpenAI) refuse a ``user`` longer than 64 characters."""
    user = sent.body.get("user")
    if not isinstance(user, str) or len(user) <= 64:
        return None
    return _openai_error("Invalid 'user': string too long. Expected a string with maximum "
                         f"length 64, but got a string with length {len(user)} instead.",
                         "user", "string_above_max_length")


def azure_before_2024_09(sent: Received) -> Fail | None:
    """Azure OpenAI api-versions older than 2024-09-01 know neither ``stream_options`` nor
    ``max_completion_tokens``."""
    version = parse_qs(sent.query).get("api-version", [""])[0]
    if not version or version >= "2024-09-01":
        return None
    for field in ("stream_options", "max_completion_tokens"):
        if field in sent.body:
            return _openai_error(f"Unrecognized request argument supplied: {field}", None,
                                 "unknown_parameter")
    return None


def _assistant_without_reasoning(body: dict[str, Any]) -> int | None:
    for index, message in enumerate(body.get("messages") or ()):
        if message.get("role") == "assistant" and message.get("tool_calls") \
                and "reasoning_content" not in message:
            return index
    return None


def deepseek_thinking(sent: Received) -> Fail | None:
    """DeepSeek's thinking mode: an assistant turn that called tools must carry its
    ``reasoning_content`` in every later request."""
    index = _assistant_without_reasoning(sent.body)
    if index is None:
        return None
    message = (f"Missing `reasoning_content` field in the assistant message at message index "
               f"{index}. For more information, please refer to "
               "https://api-docs.deepseek.com/guides/thinking_mode#tool-calls")
    return Fail(400, message, body={"error": {"message": message, "type": "invalid_request_error",
                                              "param": None, "code": "invalid_request_error"}})


def kimi_thinking(sent: Received) -> Fail | None:
    """Moonshot's thinking models (kimi-k2-thinking, kimi-k2.5 and later): the same rule."""
    index = _assistant_without_reasoning(sent.body)
    if index is None:
        return None
    message = ("thinking is enabled but reasoning_content is missing in assistant tool call "
               f"message at index {index}")
    return Fail(400, message, body={"error": {"message": message,
                                              "type": "invalid_request_error"}})


def anthropic_beta_fields(sent: Received) -> Fail | None:
    """The Messages API refuses a beta feature's field unless the request names the beta in
    ``anthropic-beta``."""
    betas = {b.strip() for b in sent.headers.get("anthropic-beta", "").split(",")}
    if "context_management" in sent.body and "context-management-2025-06-27" not in betas:
        return Fail(400, "context_management: Extra inputs are not permitted", body={
            "type": "error", "error": {"type": "invalid_request_error",
                                       "message": "context_management: Extra inputs are not "
                                                  "permitted"}})
    return None


# Claude before 4.6 knows only budgeted thinking; Opus 4.7 and later only adaptive thinking.
_BUDGET_ONLY = re.compile(r"claude-(3|(sonnet|opus|haiku)-4-[015]\b|(sonnet|opus)-4-\d{8})")
_ADAPTIVE_ONLY = re.compile(r"claude-(opus-4-[78]|opus-5|sonnet-5|fable|mythos)")


def claude_thinking_forms(sent: Received) -> Fail | None:
    """Each Claude generation refuses the form of thinking it does not know."""
    model, thinking = str(sent.body.get("model", "")), sent.body.get("thinking") or {}
    if thinking.get("type") == "adaptive" and _BUDGET_ONLY.search(model):
        message = "adaptive thinking is not supported on this model"
    elif thinking.get("type") == "enabled" and _ADAPTIVE_ONLY.search(model):
        message = ('"thinking.type.enabled" is not supported for this model. Use '
                   '"thinking.type.adaptive" and "output_config.effort" to control thinking '
                   "behavior.")
    else:
        return None
    return Fail(400, message, body={"type": "error", "error": {
        "type": "invalid_request_error", "message": message}})


_CLAUDE_OUTPUT_LIMITS = {"claude-3-5-haiku-20241022": 8192, "claude-3-haiku-20240307": 4096}


def claude_output_limit(sent: Received) -> Fail | None:
    """Older Claude models write at most 8,192 (3.5 Haiku) or 4,096 (3 Haiku) tokens and
    refuse a larger ``max_tokens`` in these words."""
    model, asked = str(sent.body.get("model")), sent.body.get("max_tokens")
    limit = _CLAUDE_OUTPUT_LIMITS.get(model)
    if limit is None or not isinstance(asked, int) or asked <= limit:
        return None
    text = (f"max_tokens: {asked} > {limit}, which is the maximum allowed number of output "
            f"tokens for {model}")
    return Fail(400, text, body={"type": "error", "error": {"type": "invalid_request_error",
                                                            "message": text}})


_CLAUDE_TOOL_ID = re.compile(r"[a-zA-Z0-9_-]+")


def claude_tool_ids(sent: Received) -> Fail | None:
    """The Messages API refuses a tool-call id outside ``^[a-zA-Z0-9_-]+$`` (another
    provider's ``functions.Read:0``), on the call and on its result."""
    for i, message in enumerate(sent.body.get("messages") or ()):
        for j, block in enumerate(_blocks(message)):
            key = {"tool_use": "id", "tool_result": "tool_use_id"}.get(block.get("type"))
            if key and not _CLAUDE_TOOL_ID.fullmatch(str(block.get(key))):
                message_text = (f"messages.{i}.content.{j}.{block['type']}.{key}: String should "
                                "match pattern '^[a-zA-Z0-9_-]+$'")
                return Fail(400, message_text, body={"type": "error", "error": {
                    "type": "invalid_request_error", "message": message_text}})
    return None


def deepseek_text_only(sent: Received) -> Fail | None:
    """DeepSeek's chat completions read text parts only; an image part fails to parse."""
    for index, message in enumerate(sent.body.get("messages") or ()):
        content = message.get("content")
        if isinstance(content, list) and any(p.get("type") == "image_url" for p in content):
            text = ("Failed to deserialize the JSON body into the target type: "
                    f"messages[{index}]: unknown variant `image_url`, expected `text` at line 1 "
                    "column 4242")
            return Fail(400, text, body={"error": {"message": text,
                                                   "type": "invalid_request_error",
                                                   "param": None,
                                                   "code": "invalid_request_error"}})
    return None


def claude_thinking_history(sent: Received) -> Fail | None:
    """With thinking on, the assistant turn before the latest tool results must start with
    a (signed) thinking block: one another provider answered has none."""
    body = sent.body
    messages = body.get("messages") or []
    if (body.get("thinking") or {}).get("type") not in ("enabled", "adaptive") \
            or len(messages) < 2 or messages[-1].get("role") != "user" \
            or not any(b.get("type") == "tool_result" for b in _blocks(messages[-1])):
        return None
    index, turn = len(messages) - 2, _blocks(messages[-2])
    if messages[index].get("role") != "assistant" or not turn \
            or turn[0].get("type") in ("thinking", "redacted_thinking"):
        return None
    text = (f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but "
            f"found `{turn[0].get('type')}`. When `thinking` is enabled, a final `assistant` "
            "message must start with a thinking block (preceeding the lastmost set of "
            "`tool_use` and `tool_result` blocks). We recommend you include thinking blocks "
            "from previous turns. To avoid this requirement, disable `thinking`.")
    return Fail(400, text, body={"type": "error", "error": {"type": "invalid_request_error",
                                                            "message": text}})


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    return content if isinstance(content, list) else [{"type": "text", "text": content}]


def bedrock_claude_thinking_history(sent: Received) -> Fail | None:
    """:func:`claude_thinking_history` on Bedrock's Converse shapes."""
    thinking = (sent.body.get("additionalModelRequestFields") or {}).get("thinking") or {}
    messages = sent.body.get("messages") or []
    if thinking.get("type") not in ("enabled", "adaptive") or len(messages) < 2 \
            or not any("toolResult" in b for b in messages[-1].get("content") or ()):
        return None
    turn = messages[-2].get("content") or [{}]
    if messages[-2].get("role") != "assistant" or "reasoningContent" in turn[0]:
        return None
    return Fail(400, "The model returned the following errors: messages.1.content.0.type: "
                     "Expected `thinking` or `redacted_thinking`, but found `tool_use`. When "
                     "`thinking` is enabled, a final `assistant` message must start with a "
                     "thinking block. To avoid this requirement, disable `thinking`.")


def openrouter_reasoning_details(given: Mapping[str, list[dict[str, Any]]]
                                 ) -> Callable[[Received], Fail | None]:
    """OpenRouter's reasoning models in a tool loop: each assistant turn that called tools must
    carry the ``reasoning_details`` it was answered with (``given``, by tool call id), in full
    and unmodified, or the provider behind OpenRouter refuses the request, wrapped in
    OpenRouter's error (Gemini for a missing thought signature, Claude for a missing or
    altered thinking block, Kimi and others for missing reasoning)."""
    def refuse(sent: Received) -> Fail | None:
        model = str(sent.body.get("model", ""))
        for index, message in enumerate(sent.body.get("messages") or ()):
            calls = (message.get("tool_calls") or ()) if message.get("role") == "assistant" \
                else ()
            expected = next((given[c.get("id")] for c in calls if c.get("id") in given), None)
            if expected is None or message.get("reasoning_details") == expected:
                continue
            missing = not message.get("reasoning_details")
            return _openrouter_refusal(model, index, calls[0]["function"]["name"], missing)
        return None

    return refuse


def _openrouter_refusal(model: str, index: int, tool: str, missing: bool) -> Fail:
    if model.startswith("google/"):
        provider = "Google AI Studio"
        upstream = ("Function call is missing a thought_signature in functionCall parts. This "
                    "is required for tools to work correctly, and missing thought_signature may "
                    f"lead to degraded model performance. Additional data, function call "
                    f"`default_api:{tool}` , position {index + 1}. Please refer to "
                    "https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
                    if missing else "Corrupted thought signature.")
        raw = ("Gemini models require OpenRouter reasoning details to be preserved in each "
               "request. Please refer to our docs: https://openrouter.ai/docs/use-cases/"
               "reasoning-tokens#preserving-reasoning-blocks. Upstream error: "
               + json.dumps({"error": {"code": 400, "message": upstream,
                                       "status": "INVALID_ARGUMENT"}}))
    elif model.startswith("anthropic/"):
        provider = "Anthropic"
        raw = json.dumps({"type": "error", "error": {"type": "invalid_request_error", "message": (
            f"messages.{index}.content.0.type: Expected `thinking` or `redacted_thinking`, but "
            "found `tool_use`. When `thinking` is enabled, a final `assistant` message must "
            "start with a thinking block." if missing
            else f"messages.{index}.content.0: Invalid `signature` in `thinking` block")}})
    else:
        provider = "Moonshot AI"
        raw = json.dumps({"error": {"type": "invalid_request_error", "message": (
            "thinking is enabled but reasoning_content is missing in assistant tool call "
            f"message at index {index}")}})
    return Fail(400, "Provider returned error", body={"error": {
        "message": "Provider returned error", "code": 400,
        "metadata": {"raw": raw, "provider_name": provider}}})
