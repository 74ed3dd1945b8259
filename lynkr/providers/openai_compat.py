"""OpenAI-compatible chat completions: OpenAI, OpenRouter, DeepSeek, Moonshot, LM Studio,
llama.cpp and Databricks serving endpoints (Azure OpenAI is in ``azure.py``).

They share one wire format (``lynkr.wire.openai_chat``); they differ in URL shape and auth
headers, and in the few fields a provider documents differently, which is all these adapters
decide: OpenAI's reasoning models take only ``max_completion_tokens`` and think as hard as
``reasoning_effort`` says (:class:`OpenAIProvider`), DeepSeek and Moonshot want each
tool-calling assistant turn's ``reasoning_content`` back (:class:`ReasoningHistoryProvider`),
OpenRouter its ``reasoning_details`` and a ``reasoning`` object to think
(:class:`OpenRouterProvider`).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import orjson

from lynkr.errors import UpstreamError
from lynkr.model import Message, Request, Response, ThinkingBlock
from lynkr.optimize.cache_breakpoints import MAX_BREAKPOINTS
from lynkr.providers.base import (
    Provider,
    UpstreamStatusError,
    connection_error,
    join_url,
    raise_for_upstream,
)
from lynkr.stream_events import FLUSH, StreamEvent
from lynkr.wire import openai_chat
from lynkr.wire.openai_chat_reasoning import details_of
from lynkr.wire.sse import sse_reads

OPENAI_HOST = "api.openai.com"
#: OpenAI's reasoning models: o1, o3-mini, o4-mini, gpt-5, gpt-5.1-codex, ...
OPENAI_REASONING_MODEL = re.compile(r"(o\d|gpt-5)")


class OpenAICompatProvider(Provider):
    family = "openai_chat"

    def url(self, model: str) -> str:
        """Chat completions URL: a full URL is used as is; a base ending in a version segment
        gets ``/chat/completions``; a bare server root (llama.cpp, LM Studio) gets
        ``/v1/chat/completions``."""
        endpoint = self.config.endpoint.rstrip("/")
        if endpoint.endswith("/chat/completions"):
            return endpoint
        last = endpoint.rsplit("/", 1)[-1]
        if last.startswith("v") and last[1:2].isdigit() or "/v1/" in endpoint + "/":
            return join_url(endpoint, "/chat/completions")
        return join_url(endpoint, "/v1/chat/completions")

    def headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.config.api_key:
            headers["authorization"] = f"Bearer {self.config.api_key}"
        # OpenRouter's app attribution (OPENROUTER_SITE_URL / OPENROUTER_SITE_NAME).
        if site_url := self.config.options.get("site_url"):
            headers["http-referer"] = site_url
        if site_name := self.config.options.get("site_name"):
            headers["x-title"] = site_name
        return headers

    def payload(self, request: Request, model: str, stream: bool) -> dict[str, Any]:
        """The chat.completions body, before serialization (adapters adjust it here)."""
        payload = openai_chat.build_request(
            request, model, stream=stream,
            passthrough_extra=request.client_format == "openai_chat",
            max_tokens_field=self.max_tokens_field(model),
            keep_cache_control=self.keeps_cache_control(model))
        # An OpenAI client's own reasoning_effort came through as it sent it, and is kept.
        if "reasoning_effort" not in payload \
                and (effort := self.reasoning_effort(request, model)) is not None:
            payload["reasoning_effort"] = effort
        return payload

    def reasoning_effort(self, request: Request, model: str) -> str | None:
        """The ``reasoning_effort`` for the thinking the client asked for, for an upstream
        model that takes one; None (the field left out) elsewhere."""
        return None

    def keeps_cache_control(self, model: str) -> bool:
        """Whether the client's prompt-cache breakpoints mean anything to this upstream."""
        return False

    def max_tokens_field(self, model: str) -> str:
        """The name the output limit goes under; ``max_tokens`` is what compatible servers
        (llama.cpp, LM Studio, vLLM, DeepSeek, Moonshot, OpenRouter) all read."""
        return "max_tokens"

    async def send(self, request: Request, model: str) -> Response:
        payload = self.payload(request, model, False)
        try:
            data = await self.post_json(self.url(model), orjson.dumps(payload), self.headers())
        except UpstreamError as exc:
            raise thinking_refusal(exc, request, payload)  # noqa: B904 - it is exc, or exc reworded
        return openai_chat.parse_response(data)

    async def stream(self, request: Request, model: str) -> AsyncIterator[StreamEvent]:
        url = self.url(model)
        payload = self.payload(request, model, True)
        decoder = openai_chat.StreamDecoder()
        done = False
        try:
            async with self.client.stream(
                "POST", url, content=orjson.dumps(payload), headers=self.headers()
            ) as response:
                try:
                    await raise_for_upstream(response, self.name)
                except UpstreamError as exc:
                    raise thinking_refusal(exc, request, payload)  # noqa: B904 - see send
                # Read to the end even after [DONE]: a response left unread cannot return its
                # connection to the keep-alive pool, and every stream would pay a new connect.
                async for batch in sse_reads(response.aiter_bytes()):
                    for _name, data in batch:
                        if done:
                            continue
                        if data == "[DONE]":
                            done = True
                            for event in decoder.finish():
                                yield event
                            continue
                        for event in decoder.feed(orjson.loads(data)):
                            yield event
                    yield FLUSH
        except httpx.HTTPError as exc:
            raise connection_error(exc, self.name, url) from exc
        except orjson.JSONDecodeError as exc:
            raise UpstreamError(f"{self.name} sent a malformed stream chunk: {exc}",
                                provider=self.name, retryable=False) from exc
        if not done:  # closed without [DONE]: finish() raises if the message never completed
            for event in decoder.finish():
                yield event

    async def list_models(self) -> list[str]:
        return [self.config.model] if self.config.model else []


class OpenAIProvider(OpenAICompatProvider):
    """OpenAI. Its reasoning models (o-series, the gpt-5 family) refuse ``max_tokens`` with a
    400 ("Unsupported parameter: 'max_tokens' is not supported with this model. Use
    'max_completion_tokens' instead."), and Claude Code sends a limit on every request, so
    each one failed. OpenAI's own API takes ``max_completion_tokens`` for every model (it
    deprecated ``max_tokens``); an ``OPENAI_ENDPOINT`` elsewhere (a gateway, vLLM) gets it for
    the names of those models only, since an older server may know only ``max_tokens``.

    Those models get the client's thinking as ``reasoning_effort``
    (:func:`openai_reasoning_effort`); other models refuse the field ("Unsupported parameter:
    'reasoning_effort' is not supported with this model."), so they never get it."""

    def max_tokens_field(self, model: str) -> str:
        if urlsplit(self.config.endpoint).hostname == OPENAI_HOST \
                or OPENAI_REASONING_MODEL.match(model.rsplit("/", 1)[-1]):
            return "max_completion_tokens"
        return "max_tokens"

    def reasoning_effort(self, request: Request, model: str) -> str | None:
        name = model.rsplit("/", 1)[-1]
        return openai_reasoning_effort(request, name) \
            if OPENAI_REASONING_MODEL.match(name) else None


# Budgeted thinking as an effort: below these many tokens, "low", then "medium"; else "high".
_BUDGET_EFFORTS = ((4096, "low"), (16384, "medium"))
#: The models that take ``reasoning_effort: "xhigh"``: gpt-5.1-codex-max, gpt-5.2 and later.
OPENAI_XHIGH_MODEL = re.compile(r"gpt-5\.1-codex-max|gpt-5\.([2-9]|\d\d)")


def openai_reasoning_effort(request: Request, model: str) -> str | None:
    """OpenAI's ``reasoning_effort`` for the thinking the client asked of reasoning ``model``.

    The effort is the client's (Claude Code's ``output_config.effort``, a Responses client's
    ``reasoning.effort``), else its thinking budget's size. Every reasoning model takes
    low, medium and high; Claude's ``max`` and ``xhigh`` ask for the most the model takes
    (``xhigh`` from gpt-5.1-codex-max and gpt-5.2 on, else ``high``), and ``minimal`` for
    ``low``, since the o-series and gpt-5.1 and later refuse ``minimal``. None (the model's
    default) for adaptive thinking without an effort, and when no thinking was asked or it
    was turned off: ``none`` would be the field for that, but the o-series and gpt-5 refuse
    it, and thinking off is what gpt-5.1 and later do by default.
    """
    thinking = request.thinking
    if not thinking or thinking.get("type") == "disabled":
        return None
    asked = None
    for field in ("output_config", "reasoning"):
        config = request.extra.get(field)
        if isinstance(config, dict) and isinstance(config.get("effort"), str):
            asked = config["effort"]
    budget = thinking.get("budget_tokens")
    if asked not in ("minimal", "low", "medium", "high", "xhigh", "max"):
        if type(budget) is not int:
            return None
        asked = next((e for below, e in _BUDGET_EFFORTS if budget < below), "high")
    if asked in ("xhigh", "max"):
        return "xhigh" if OPENAI_XHIGH_MODEL.search(model) else "high"
    return "low" if asked == "minimal" else asked


def thinking_refusal(error: UpstreamError, request: Request,
                     payload: dict[str, Any]) -> UpstreamError:
    """``error``, reworded as the refusal of thinking when it refuses the
    ``reasoning_effort`` lynkr put in ``payload`` (OpenAI: "Unsupported parameter:
    'reasoning_effort' is not supported with this model."; Azure's older api-versions:
    "Unrecognized request argument supplied: reasoning_effort"). The effort stands for the
    client's thinking, so :mod:`lynkr.providers.upstream_limits` then learns what it does for
    any model that cannot think: the request goes again without thinking (so without the
    field) and later ones to that model go without it at once. A client's own
    ``reasoning_effort`` is its to fix, and its refusal reaches it as it came."""
    own = request.client_format == "openai_chat" and "reasoning_effort" in request.extra
    if error.status != 400 or own or "reasoning_effort" not in payload \
            or "reasoning_effort" not in error.message:
        return error
    return UpstreamStatusError(
        f"{error.message} (so {payload.get('model')} does not support thinking)",
        request_id=getattr(error, "request_id", None), status=error.status, kind=error.kind,
        provider=error.provider, retryable=error.retryable, retry_after=error.retry_after)


class OpenRouterProvider(OpenAICompatProvider):
    """OpenRouter forwards ``cache_control`` on content parts and tool definitions to the
    models whose cache works only where told (:func:`openrouter_takes_cache_control`): Claude,
    Gemini and Alibaba's Qwen. Without it Claude Code through OpenRouter paid full input price
    every turn. Claude Code's own breakpoints are carried, and a client that sets none gets
    lynkr's on a Claude model (:mod:`lynkr.optimize.cache_breakpoints`); at most
    :data:`MAX_BREAKPOINTS` go, the newest, as Anthropic refuses a fifth.

    Its reasoning models answer with ``reasoning_details``, which must come back unmodified on
    the assistant turn in every later request of a tool loop: Claude checks the signature,
    Gemini 3 refuses tool calls without its encrypted thought signatures, Kimi and DeepSeek
    refuse a tool turn without its reasoning. The entries ride in the turn's thinking blocks
    (:mod:`lynkr.wire.openai_chat_reasoning`) and are put back here. A client's thinking is
    asked for with OpenRouter's ``reasoning`` object, which it maps onto each model's own
    control; a client speaking OpenAI chat that set ``reasoning`` or ``reasoning_effort``
    itself has it forwarded as sent."""

    def keeps_cache_control(self, model: str) -> bool:
        return openrouter_takes_cache_control(model)

    def payload(self, request: Request, model: str, stream: bool) -> dict[str, Any]:
        payload = super().payload(request, model, stream)
        with_reasoning_details(payload["messages"], request.messages_for("openai_chat"))
        if self.keeps_cache_control(model):
            within_breakpoint_limit(payload)
        if "reasoning" not in payload and "reasoning_effort" not in payload \
                and (reasoning := openrouter_reasoning(request)) is not None:
            payload["reasoning"] = reasoning
        return payload


# OpenRouter's models that cache only at ``cache_control`` breakpoints, from its prompt-caching
# guide: Claude, Gemini, and the Qwen endpoints named for Alibaba's explicit caching (not their
# dated snapshots). Every other model caches implicitly, if at all, and gets none.
_EXPLICIT_CACHE_FAMILIES = ("anthropic/", "google/gemini")
_EXPLICIT_CACHE_MODELS = frozenset({
    "qwen/qwen3-max", "qwen/qwen-plus", "qwen/qwen3.6-plus", "qwen/qwen3-coder-plus",
    "qwen/qwen3-coder-flash", "deepseek/deepseek-v3.2"})


def openrouter_takes_cache_control(model: str) -> bool:
    """Whether OpenRouter's ``model`` (a variant such as ``:nitro`` included) caches at
    ``cache_control`` breakpoints, so they are worth sending."""
    name = model.split(":", 1)[0]
    return name.startswith(_EXPLICIT_CACHE_FAMILIES) or name in _EXPLICIT_CACHE_MODELS


def within_breakpoint_limit(payload: dict[str, Any]) -> None:
    """Drop (in place) all but the last :data:`MAX_BREAKPOINTS` ``cache_control`` marks of a
    chat body, in the order the prompt is cached (tools, then messages): the newest is where
    the next turn reads."""
    marked = [t for t in payload.get("tools", []) if _CACHE_CONTROL in t]
    marked += [part for message in payload["messages"]
               if isinstance(content := message.get("content"), list)
               for part in content if isinstance(part, dict) and _CACHE_CONTROL in part]
    for holder in marked[:-MAX_BREAKPOINTS]:
        del holder[_CACHE_CONTROL]


_CACHE_CONTROL = "cache_control"
# Anthropic's output_config.effort -> OpenRouter's reasoning.effort ("max" is Claude's top).
_EFFORTS = {"minimal": "minimal", "low": "low", "medium": "medium", "high": "high",
            "xhigh": "xhigh", "max": "xhigh"}


def openrouter_reasoning(request: Request) -> dict[str, Any] | None:
    """OpenRouter's ``reasoning`` for the thinking the client asked for: a budget as
    ``max_tokens``, adaptive thinking as the client's effort (``output_config.effort``) or
    OpenRouter's default (``enabled``); None when no thinking was asked (or it was disabled:
    the model's own default then holds, as for a client that never mentions thinking)."""
    thinking = request.thinking
    if not thinking or thinking.get("type") == "disabled":
        return None
    budget = thinking.get("budget_tokens")
    if thinking.get("type") == "enabled" and type(budget) is int and budget > 0:
        return {"max_tokens": budget}
    config = request.extra.get("output_config")
    effort = _EFFORTS.get(str(config.get("effort"))) if isinstance(config, dict) else None
    return {"effort": effort} if effort else {"enabled": True}


def with_reasoning_details(rendered: list[dict[str, Any]], history: list[Message]) -> None:
    """Set ``reasoning_details`` on the rendered assistant messages (in place) from the blocks
    of the internal assistant messages they were rendered from, in order (each renders to
    exactly one chat message); a turn whose blocks carry no entries gets none."""
    turns = iter([details_of(m.content) for m in history if m.role == "assistant"])
    for message in rendered:
        if message.get("role") == "assistant" and (details := next(turns, [])):
            message["reasoning_details"] = details


class DatabricksProvider(OpenAICompatProvider):
    """Databricks model serving: ``{DATABRICKS_API_BASE}/serving-endpoints/{model}/invocations``
    with a Bearer token; the body is OpenAI chat. The model is the serving endpoint's name."""

    def url(self, model: str) -> str:
        base = self.config.endpoint.rstrip("/")
        if base.endswith("/invocations"):
            return base
        base = base.removesuffix("/serving-endpoints")
        return f"{base}/serving-endpoints/{model}/invocations"


class ReasoningHistoryProvider(OpenAICompatProvider):
    """DeepSeek and Moonshot (Kimi): in thinking mode, an assistant turn that called tools must
    carry its ``reasoning_content`` in every later request, or the whole request is refused
    with a 400 ("Missing `reasoning_content` field in the assistant message at message index
    N", "thinking is enabled but reasoning_content is missing in assistant tool call
    message"). Claude Code's second request of every tool loop was refused.

    The reasoning comes from the turn's thinking blocks (a client that kept them sends them
    back); a turn whose thinking the client dropped gets an empty one, which both accept.
    Outside tool turns the field is ignored, so it is sent only where there is some."""

    def payload(self, request: Request, model: str, stream: bool) -> dict[str, Any]:
        payload = super().payload(request, model, stream)
        with_reasoning_history(payload["messages"], request.messages_for("openai_chat"))
        return payload


def with_reasoning_history(rendered: list[dict[str, Any]], history: list[Message]) -> None:
    """Set ``reasoning_content`` on the rendered assistant messages (in place) from the
    thinking of the internal assistant messages they were rendered from, in order: each
    internal assistant message renders to exactly one chat message."""
    thoughts = iter(["".join(b.thinking for b in m.content if isinstance(b, ThinkingBlock))
                     for m in history if m.role == "assistant"])
    for message in rendered:
        if message.get("role") != "assistant":
            continue
        thinking = next(thoughts, "")
        if thinking or message.get("tool_calls"):
            message["reasoning_content"] = thinking
