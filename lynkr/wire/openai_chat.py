"""OpenAI Chat Completions <-> the internal model, both directions.

The same format is spoken by clients (Cursor, the OpenAI SDKs) and by most upstreams (OpenAI,
OpenRouter, DeepSeek, vLLM, llama.cpp, LM Studio), so parsing and building live together here;
message conversion lives in :mod:`lynkr.wire.openai_chat_messages` and streaming in
:mod:`lynkr.wire.openai_chat_stream` and :mod:`lynkr.wire.openai_chat_stream_decoder`; the
stream codec is re-exported.

What the format cannot carry is dropped on the way out, on purpose: thinking signatures and
redacted thinking (but OpenRouter's ``reasoning_details`` are kept whole both ways, see
:mod:`lynkr.wire.openai_chat_reasoning`), ``is_error`` on tool results, and cache breakpoints
unless the upstream forwards them (``keep_cache_control``: OpenRouter's dialect, which takes
``cache_control`` on a text part and on a tool definition). Tool
results become ``role: tool`` messages right after the assistant turn (OpenAI rejects anything
in between), and images inside tool results move to a user message after them (tool messages
are text).

The legacy function-calling shape (request ``functions`` / ``function_call``, assistant
``function_call``, ``role: function`` results) is still accepted, as OpenAI accepts it: it
maps onto tools, and a client that used it only gets its answer in it too
(``message.function_call``, ``finish_reason: "function_call"``), one call per turn.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any

from lynkr.errors import InvalidRequest, UpstreamError
from lynkr.model import Request, Response, ThinkingBlock, Tool, ToolChoice, Usage
from lynkr.wire.fields import (
    messages_of,
    model_of,
    openai_tool_choice,
    optional,
    thinking_for_effort,
)
from lynkr.wire.openai_chat_messages import (
    parse_assistant_message,
    parse_messages,
    render_assistant_message,
    render_message,
    text_part,
)
from lynkr.wire.openai_chat_reasoning import details_of
from lynkr.wire.openai_chat_stream import (
    FINISH_REASONS,
    STOP_REASONS,
    StreamEncoder,
    new_message_id,
    parse_usage,
    render_usage,
)
from lynkr.wire.openai_chat_stream_decoder import StreamDecoder
from lynkr.wire.structured import chat_response_format, json_output
from lynkr.wire.system_entries import entries_in_turns

__all__ = [
    "USER_LIMIT", "StreamDecoder", "StreamEncoder", "build_request", "include_usage",
    "legacy_functions", "parse_request", "parse_response", "render_response", "upstream_user",
]

_MODELLED = frozenset({
    "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "max_tokens",
    "max_completion_tokens", "stop", "stream", "temperature", "top_p", "user",
    "functions", "function_call",
})
# OpenAI refuses a longer ``user`` with a 400 ("Invalid 'user': string too long. Expected a
# string with maximum length 64, ...").
USER_LIMIT = 64
# Kept in Request.extra for a client that offered only legacy ``functions``: it says the
# answer goes back in that shape. Never forwarded (the functions went upstream as tools).
_LEGACY = "functions"
_CACHE_CONTROL = "cache_control"

# --- client request -> internal -------------------------------------------------------------


def parse_request(body: Any) -> Request:
    """Parse a client's chat.completions body; shapes we cannot accept raise InvalidRequest."""
    raw_messages = messages_of(body)
    model = model_of(body)
    system, messages = parse_messages(raw_messages)
    max_tokens = optional(body, "max_completion_tokens", int, "an integer")
    if max_tokens is None:
        max_tokens = optional(body, "max_tokens", int, "an integer")
    stream = body.get("stream", False)
    if not isinstance(stream, bool) and stream is not None:
        raise InvalidRequest("stream: must be a boolean", param="stream")
    choices = optional(body, "n", int, "an integer")
    if choices is not None and choices != 1:
        # The upstream would generate (and bill) every choice; only one comes back.
        raise InvalidRequest("n: only 1 choice per request is supported", param="n")
    user = body.get("user")
    legacy = body.get("functions") is not None and body.get("tools") is None
    extra = {k: v for k, v in body.items() if k not in _MODELLED}
    if legacy:
        extra[_LEGACY] = body["functions"]
    return Request(
        model=model,
        messages=messages,
        system=system,
        tools=_parse_tools(body.get("tools")) + _parse_functions(body.get("functions")),
        tool_choice=_parse_tool_choice(body, legacy),
        max_tokens=max_tokens,
        temperature=optional(body, "temperature", (int, float), "a number"),
        top_p=optional(body, "top_p", (int, float), "a number"),
        stop=_parse_stop(body.get("stop")),
        stream=bool(stream),
        # Kept in extra too, so an OpenAI upstream gets it as sent.
        thinking=thinking_for_effort(body.get("reasoning_effort")),
        metadata={"user_id": user} if isinstance(user, str) and user else {},
        extra=extra,
        client_format="openai_chat",
    )


def legacy_functions(request: Request) -> bool:
    """Whether the client offered legacy ``functions`` (and no ``tools``), so the answer goes
    back as ``function_call`` rather than ``tool_calls``."""
    return request.client_format == "openai_chat" and _LEGACY in request.extra


def include_usage(request: Request) -> bool:
    """Whether the client asked for the final usage chunk (``stream_options.include_usage``)."""
    options = request.extra.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def _parse_tools(raw: Any) -> list[Tool]:
    """Function tools only: OpenAI's built-in tool types mean nothing to other upstreams."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidRequest("tools: must be a list", param="tools")
    tools: list[Tool] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise InvalidRequest(f"tools[{i}]: must be an object", param=f"tools[{i}]")
        if item.get("type", "function") != "function":
            continue
        function = item.get("function")
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(f"tools[{i}].function.name: required string",
                                 param=f"tools[{i}].function.name")
        tool = _function_tool(function, f"tools[{i}].function")
        if _CACHE_CONTROL in item:  # OpenRouter's dialect: a breakpoint after this tool
            tool.extra[_CACHE_CONTROL] = item[_CACHE_CONTROL]
        tools.append(tool)
    return tools


def _parse_functions(raw: Any) -> list[Tool]:
    """Legacy ``functions``: the same definitions as a tool's ``function``, unwrapped."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidRequest("functions: must be a list", param="functions")
    tools: list[Tool] = []
    for i, function in enumerate(raw):
        if not isinstance(function, dict) or not isinstance(function.get("name"), str):
            raise InvalidRequest(f"functions[{i}].name: required string",
                                 param=f"functions[{i}].name")
        tools.append(_function_tool(function, f"functions[{i}]"))
    return tools


def _function_tool(function: dict[str, Any], where: str) -> Tool:
    schema = function.get("parameters")
    strict = function.get("strict")
    if strict is not None and not isinstance(strict, bool):
        raise InvalidRequest(f"{where}.strict: must be a boolean", param=f"{where}.strict")
    return Tool(
        name=function["name"],
        description=function.get("description") or "",
        input_schema=schema if isinstance(schema, dict) else {"type": "object"},
        strict=strict,
    )


def _parse_tool_choice(body: dict[str, Any], legacy: bool) -> ToolChoice | None:
    """``tool_choice``, or the legacy ``function_call`` when only that was sent. A legacy
    answer carries one call, so a legacy client's upstream is asked for one at a time."""
    parallel = False if legacy else body.get("parallel_tool_calls")
    if body.get("tool_choice") is not None or body.get("function_call") is None:
        return openai_tool_choice(body.get("tool_choice"), parallel, _chat_choice_name)
    value = body["function_call"]
    if value in ("auto", "none"):
        return ToolChoice(value, disable_parallel=parallel is False)
    name = value.get("name") if isinstance(value, dict) else None
    if not isinstance(name, str):
        raise InvalidRequest('function_call: must be "auto", "none" or {"name": ...}',
                             param="function_call")
    return ToolChoice("tool", name, parallel is False)


def _chat_choice_name(choice: dict[str, Any]) -> str | None:
    """``{"type": "function", "function": {"name": ...}}`` names a tool in chat completions."""
    function = choice.get("function")
    if choice.get("type") == "function" and isinstance(function, dict):
        name = function.get("name")
        return name if isinstance(name, str) else None
    return None


def _parse_stop(raw: Any) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(s, str) for s in raw):
        return list(raw)
    raise InvalidRequest("stop: must be a string or a list of strings", param="stop")


# --- internal -> upstream request -----------------------------------------------------------


def build_request(request: Request, model: str, *, stream: bool, passthrough_extra: bool,
                  max_tokens_field: str = "max_tokens",
                  keep_cache_control: bool = False) -> dict[str, Any]:
    """The chat.completions body for an OpenAI-compatible upstream.

    ``max_tokens_field`` is "max_completion_tokens" for OpenAI's reasoning models, which reject
    ``max_tokens``; most compatible servers know only ``max_tokens``. ``keep_cache_control``
    keeps prompt-cache breakpoints (the client's, or lynkr's) on the system prompt's, a
    message's and a tool message's text parts and on tool definitions, for an upstream that
    forwards them to a model that caches only where told (OpenRouter to Claude, Gemini, Qwen);
    every other body goes without a single ``cache_control``. An Anthropic client's
    ``role: "system"`` entries go into the user turns next to them, not into the leading system
    message (:mod:`lynkr.wire.system_entries`).
    """
    request = entries_in_turns(request)
    body: dict[str, Any] = dict(request.extra) if passthrough_extra else {}
    client_options = body.pop("stream_options", None)
    body.pop(_LEGACY, None)
    messages: list[dict[str, Any]] = []
    if keep_cache_control and any(b.cache_control for b in request.system):
        messages.append({"role": "system", "content": [
            text_part(b.text, b.cache_control) for b in request.system]})
    elif request.system_text:
        messages.append({"role": "system", "content": request.system_text})
    # Not messages_for: the chat format reads no native block, and the render writes their
    # notes itself, set apart from the text around them.
    for message in request.messages:
        messages.extend(render_message(message, keep_cache_control=keep_cache_control))
    body["model"] = model
    body["messages"] = messages
    if request.max_tokens is not None:
        body[max_tokens_field] = request.max_tokens
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop"] = list(request.stop)
    # Anthropic's strict allows optional properties, OpenAI's does not: only OpenAI clients'
    # strict flags are OpenAI's to honour.
    strict = request.client_format != "anthropic"
    tools = [_render_tool(t, strict=strict, keep_cache_control=keep_cache_control)
             for t in request.tools_for("openai_chat")]
    if tools:
        body["tools"] = tools
        if request.tool_choice is not None:
            body["tool_choice"] = _render_tool_choice(request.tool_choice)
            if request.tool_choice.disable_parallel:
                body["parallel_tool_calls"] = False
    user = request.metadata.get("user_id")
    if isinstance(user, str) and user:
        body["user"] = upstream_user(user)
    if not passthrough_extra and (output := json_output(request)) is not None:
        body["response_format"] = chat_response_format(output)
    body["stream"] = stream
    if stream:  # OpenAI rejects stream_options on non-streaming requests
        options = client_options if isinstance(client_options, dict) else {}
        body["stream_options"] = {**options, "include_usage": True}
    return body


def upstream_user(user_id: str) -> str:
    """The ``user`` an OpenAI upstream takes for a client's user id: the id itself when it
    fits in :data:`USER_LIMIT` characters, else its SHA-256 in hex (64 characters), the same
    for the same id. Claude Code 2.1.3xx's ``metadata.user_id`` is a ~150-character JSON
    string, which OpenAI and Azure refuse, and a 400 has no fallback: every request failed."""
    if len(user_id) <= USER_LIMIT:
        return user_id
    return hashlib.sha256(user_id.encode()).hexdigest()


def _render_tool(tool: Tool, *, strict: bool, keep_cache_control: bool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.input_schema
    if strict and tool.strict is not None:
        function["strict"] = tool.strict
    rendered: dict[str, Any] = {"type": "function", "function": function}
    if keep_cache_control and (mark := tool.extra.get(_CACHE_CONTROL)):
        rendered[_CACHE_CONTROL] = mark  # beside ``function``, where OpenRouter reads it
    return rendered


def _render_tool_choice(choice: ToolChoice) -> Any:
    if choice.type == "tool" and choice.name:
        return {"type": "function", "function": {"name": choice.name}}
    return {"any": "required", "none": "none"}.get(choice.type, "auto")


# --- responses, both directions -------------------------------------------------------------


def render_response(response: Response, *, created: int | None = None,
                    legacy_functions: bool = False) -> dict[str, Any]:
    """The ``chat.completion`` object a client expects for a complete answer.

    ``legacy_functions`` answers a client that offered ``functions`` as OpenAI does: the
    (first) call as ``message.function_call``; see :func:`legacy_functions`.
    """
    message = render_assistant_message(response.content)
    finish = FINISH_REASONS.get(response.stop_reason, "stop")
    if legacy_functions and "tool_calls" in message:
        message["function_call"] = message.pop("tool_calls")[0]["function"]
        finish = "function_call"
    if message["content"] is None and not ({"tool_calls", "function_call"} & message.keys()):
        message["content"] = ""
    thinking = "".join(b.thinking for b in response.content if isinstance(b, ThinkingBlock))
    if thinking:
        message["reasoning_content"] = thinking
    if details := details_of(response.content):  # to come back as they are, see parse
        message["reasoning_details"] = details
    return {
        "id": response.id,
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": response.model,
        "choices": [{"index": 0, "message": message, "logprobs": response.logprobs,
                     "finish_reason": finish}],
        "usage": render_usage(response.usage),
    }


def parse_response(body: Any) -> Response:
    """An upstream's ``chat.completion`` object as an internal response."""
    if not isinstance(body, dict):
        raise UpstreamError("upstream returned a chat completion that is not a JSON object")
    error = body.get("error")
    if error:
        message = error.get("message") if isinstance(error, dict) else error
        raise UpstreamError(f"upstream returned an error: {message}")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise UpstreamError("upstream chat completion has no choices")
    choice = choices[0]
    message = choice.get("message")
    try:
        content = parse_assistant_message(message if isinstance(message, dict) else {},
                                          "choices[0].message")
    except InvalidRequest as exc:
        raise UpstreamError(f"upstream returned a malformed chat completion: {exc}") from exc
    usage = body.get("usage")
    logprobs = choice.get("logprobs")
    return Response(
        id=str(body.get("id") or "") or new_message_id(),
        model=str(body.get("model") or ""),
        content=content,
        stop_reason=STOP_REASONS.get(choice.get("finish_reason") or "stop", "end_turn"),
        usage=parse_usage(usage) if isinstance(usage, dict) else Usage(),
        logprobs=logprobs if isinstance(logprobs, dict) else None,
    )
