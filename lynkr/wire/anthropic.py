"""Anthropic Messages <-> the internal model, both directions.

The internal model is Anthropic-shaped, so this is mostly validation: a client body (Claude
Code sends ~24 tools, cache breakpoints, thinking, a ``role: "system"`` entry inside
``messages`` and fields newer than this code) must be accepted, and anything malformed must be
rejected with a message naming the offending field. Block types we do not model (documents,
server tool calls and results) become their text when they have some, else a
:class:`~lynkr.model.NativeBlock` that an Anthropic upstream gets as sent.
Streaming lives in :mod:`lynkr.wire.anthropic_stream` and is re-exported.
"""

from __future__ import annotations

from typing import Any

from lynkr.errors import InvalidRequest, UpstreamError
from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    NativeBlock,
    RedactedThinkingBlock,
    Request,
    Response,
    TextBlock,
    ThinkingBlock,
    Tool,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
)
from lynkr.wire.anthropic_stream import StreamDecoder, StreamEncoder, parse_usage, render_usage
from lynkr.wire.fields import messages_of, model_of, optional
from lynkr.wire.structured import instruction, json_output

__all__ = [
    "StreamDecoder", "StreamEncoder", "build_request", "parse_request", "parse_response",
    "render_response",
]

DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024  # the Messages API's smallest budget_tokens
# The smallest output limit among the Claude models that think (Opus 4 and 4.1): a default
# max_tokens that makes room for thinking must not pass it.
_THINKING_OUTPUT_CAP = 32_000
_MODELLED = frozenset({
    "model", "messages", "system", "tools", "tool_choice", "max_tokens", "temperature", "top_p",
    "stop_sequences", "stream", "thinking", "metadata",
})
_CHOICES = ("auto", "any", "tool", "none")
_STOP_REASONS = ("end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "pause_turn")


# --- client request -> internal -------------------------------------------------------------


def parse_request(body: Any) -> Request:
    """Parse a client's Messages body; shapes we cannot accept raise InvalidRequest."""
    raw_messages = messages_of(body)
    model = model_of(body)
    system = _parse_system(body.get("system"))
    messages: list[Message] = []
    for i, item in enumerate(raw_messages):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise InvalidRequest(f"{where}: must be an object", param=where)
        role = item.get("role")
        blocks = parse_content(item.get("content"), where)
        if role == "system":  # Claude Code 2.x sends one; its text belongs to the system prompt
            system.extend(b for b in blocks if isinstance(b, TextBlock))
        elif role in ("user", "assistant"):
            messages.append(Message(role, blocks))
        else:
            raise InvalidRequest(f"{where}.role: unknown role {role!r}; expected user or "
                                 "assistant", param=f"{where}.role")
    return Request(
        model=model,
        messages=messages,
        system=system,
        tools=_parse_tools(body.get("tools")),
        tool_choice=_parse_tool_choice(body.get("tool_choice")),
        max_tokens=optional(body, "max_tokens", int, "an integer"),
        temperature=optional(body, "temperature", (int, float), "a number"),
        top_p=optional(body, "top_p", (int, float), "a number"),
        stop=_parse_stop_sequences(body.get("stop_sequences")),
        stream=bool(optional(body, "stream", bool, "a boolean")),
        thinking=optional(body, "thinking", dict, "an object"),
        metadata=optional(body, "metadata", dict, "an object") or {},
        extra={k: v for k, v in body.items() if k not in _MODELLED},
        client_format="anthropic",
    )


def parse_content(content: Any, where: str) -> list[Block]:
    """A message's ``content``: a string or a list of blocks."""
    if isinstance(content, str):
        return [TextBlock(content)]
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: must be a string or a list of content blocks",
                             param=f"{where}.content")
    return [parse_block(raw, f"{where}.content[{j}]") for j, raw in enumerate(content)]


def parse_block(raw: Any, where: str) -> Block:
    """One content block; a type we do not model is its text, else kept whole (NativeBlock)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise InvalidRequest(f"{where}: must be a content block object with a type", param=where)
    kind = raw["type"]
    if kind == "text":
        return TextBlock(_field(raw, "text", str, where), raw.get("cache_control"))
    if kind == "image":
        return _parse_image(raw, where)
    if kind == "tool_use":
        arguments = raw.get("input")
        if arguments is not None and not isinstance(arguments, dict):
            raise InvalidRequest(f"{where}.input: must be an object", param=f"{where}.input")
        return ToolUseBlock(_field(raw, "id", str, where), _field(raw, "name", str, where),
                            arguments or {})
    if kind == "tool_result":
        return _parse_tool_result(raw, where)
    if kind == "thinking":
        signature = raw.get("signature")
        return ThinkingBlock(_field(raw, "thinking", str, where),
                             signature if isinstance(signature, str) and signature else None)
    if kind == "redacted_thinking":
        return RedactedThinkingBlock(_field(raw, "data", str, where))
    text = raw.get("text")
    source = raw.get("source")
    if not isinstance(text, str) and isinstance(source, dict) and source.get("type") == "text":
        text = source.get("data")  # a plain-text document
    return TextBlock(text) if isinstance(text, str) and text else NativeBlock(raw)


def _parse_image(raw: dict[str, Any], where: str) -> ImageBlock | NativeBlock:
    source = raw.get("source")
    if not isinstance(source, dict):
        raise InvalidRequest(f"{where}.source: must be an object", param=f"{where}.source")
    if source.get("type") == "base64":
        return ImageBlock(media_type=_field(source, "media_type", str, f"{where}.source"),
                          data=_field(source, "data", str, f"{where}.source"))
    if source.get("type") == "url":
        return ImageBlock(url=_field(source, "url", str, f"{where}.source"))
    return NativeBlock(raw)  # a Files API id: only Anthropic itself can read it


def _parse_tool_result(raw: dict[str, Any], where: str) -> ToolResultBlock:
    content = raw.get("content")
    if content is None or content == "":
        blocks: list[Block] = []
    else:
        blocks = parse_content(content, where)
    is_error = raw.get("is_error", False)
    if not isinstance(is_error, bool) and is_error is not None:
        raise InvalidRequest(f"{where}.is_error: must be a boolean", param=f"{where}.is_error")
    return ToolResultBlock(
        tool_use_id=_field(raw, "tool_use_id", str, where),
        content=[b for b in blocks if isinstance(b, TextBlock | ImageBlock | NativeBlock)],
        is_error=bool(is_error),
        cache_control=raw.get("cache_control"),
    )


def _parse_system(raw: Any) -> list[TextBlock]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [TextBlock(raw)] if raw else []
    if not isinstance(raw, list):
        raise InvalidRequest("system: must be a string or a list of text blocks", param="system")
    blocks = (parse_block(item, f"system[{j}]") for j, item in enumerate(raw))
    return [b for b in blocks if isinstance(b, TextBlock)]


def _parse_tools(raw: Any) -> list[Tool]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidRequest("tools: must be a list", param="tools")
    tools: list[Tool] = []
    for i, item in enumerate(raw):
        where = f"tools[{i}]"
        if not isinstance(item, dict):
            raise InvalidRequest(f"{where}: must be an object", param=where)
        if item.get("type") not in (None, "custom"):  # a server tool such as web_search
            tools.append(Tool(name=str(item.get("name") or item["type"]), raw=item))
            continue
        schema = item.get("input_schema")
        if schema is not None and not isinstance(schema, dict):
            raise InvalidRequest(f"{where}.input_schema: must be an object",
                                 param=f"{where}.input_schema")
        description = item.get("description")
        strict = item.get("strict")
        if strict is not None and not isinstance(strict, bool):
            raise InvalidRequest(f"{where}.strict: must be a boolean", param=f"{where}.strict")
        tools.append(Tool(
            name=_field(item, "name", str, where),
            description=description if isinstance(description, str) else "",
            input_schema=schema if schema is not None else {"type": "object"},
            strict=strict,
        ))
    return tools


def _parse_tool_choice(raw: Any) -> ToolChoice | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or raw.get("type") not in _CHOICES:
        raise InvalidRequest("tool_choice.type: must be one of auto, any, tool, none",
                             param="tool_choice")
    name = raw.get("name")
    if raw["type"] == "tool" and not isinstance(name, str):
        raise InvalidRequest("tool_choice.name: required string when type is tool",
                             param="tool_choice.name")
    return ToolChoice(raw["type"], name if raw["type"] == "tool" else None,
                      raw.get("disable_parallel_tool_use") is True)


def _parse_stop_sequences(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise InvalidRequest("stop_sequences: must be a list of strings", param="stop_sequences")
    return list(raw)


def _field(raw: dict[str, Any], key: str, type_: type, where: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, type_):
        raise InvalidRequest(f"{where}.{key}: required {type_.__name__}", param=f"{where}.{key}")
    return value


# --- internal -> upstream request -----------------------------------------------------------


def build_request(request: Request, model: str, *, stream: bool,
                  passthrough_extra: bool) -> dict[str, Any]:
    """The Messages body for an Anthropic upstream.

    Thinking blocks without a signature (they came from another provider) are left out: the API
    rejects them, and they only ever echo the model's own past reasoning.
    """
    body: dict[str, Any] = dict(request.extra) if passthrough_extra else {}
    body["model"] = model
    body["max_tokens"], thinking = output_limits(request)
    system = [render_block(b) for b in request.system]
    if not passthrough_extra and (output := json_output(request)) is not None:
        system.append({"type": "text", "text": instruction(output)})
    if system:
        body["system"] = system
    body["messages"] = [
        {"role": m.role, "content": [render_block(b) for b in m.content
                                     if not (isinstance(b, ThinkingBlock) and not b.signature)]}
        for m in request.messages_for("anthropic")
    ]
    tools = [_render_tool(t) for t in request.tools_for("anthropic")]
    if tools:
        body["tools"] = tools
        if request.tool_choice is not None:
            body["tool_choice"] = _render_tool_choice(request.tool_choice)
    if request.temperature is not None:
        body["temperature"] = request.temperature
    if request.top_p is not None:
        body["top_p"] = request.top_p
    if request.stop:
        body["stop_sequences"] = list(request.stop)
    if thinking is not None:
        body["thinking"] = thinking
    user_id = request.metadata.get("user_id")
    if user_id is not None:  # the only metadata key the API accepts
        body["metadata"] = {"user_id": user_id}
    body["stream"] = stream
    return body


def output_limits(request: Request) -> tuple[int, dict[str, Any] | None]:
    """``max_tokens`` and ``thinking`` as the Messages API accepts them: it wants
    ``max_tokens > budget_tokens >= 1024``.

    An Anthropic client that set both gets them as sent (a mistake there is its own to see).
    A budget that came from elsewhere (Codex's reasoning effort) gets room for the answer when
    the client left ``max_tokens`` to us, or shrinks to fit the client's limit, and thinking is
    left out when under 1024 tokens would remain for it.
    """
    thinking = request.thinking
    if thinking is None or thinking.get("type") != "enabled" \
            or type(thinking.get("budget_tokens")) is not int:
        return (request.max_tokens if request.max_tokens is not None else DEFAULT_MAX_TOKENS,
                thinking)
    budget: int = thinking["budget_tokens"]
    if request.max_tokens is None:
        max_tokens = min(budget + DEFAULT_MAX_TOKENS, _THINKING_OUTPUT_CAP)
        return max_tokens, {**thinking, "budget_tokens": min(budget,
                                                             max_tokens - DEFAULT_MAX_TOKENS)}
    if budget < request.max_tokens or request.client_format == "anthropic":
        return request.max_tokens, thinking
    fitted = request.max_tokens - 1
    return request.max_tokens, ({**thinking, "budget_tokens": fitted}
                                if fitted >= MIN_THINKING_BUDGET else None)


def render_block(block: Block) -> dict[str, Any]:
    """One internal block in Messages form (request and response side alike)."""
    if isinstance(block, TextBlock):
        out: dict[str, Any] = {"type": "text", "text": block.text}
        if block.cache_control is not None:
            out["cache_control"] = block.cache_control
        return out
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
    if isinstance(block, ToolResultBlock):
        out = {"type": "tool_result", "tool_use_id": block.tool_use_id}
        if block.content:
            out["content"] = [render_block(b) for b in block.content]
        if block.is_error:
            out["is_error"] = True
        if block.cache_control is not None:
            out["cache_control"] = block.cache_control
        return out
    if isinstance(block, ImageBlock):
        if block.data is None:
            return {"type": "image", "source": {"type": "url", "url": block.url or ""}}
        return {"type": "image", "source": {"type": "base64", "media_type": block.media_type,
                                            "data": block.data}}
    if isinstance(block, ThinkingBlock):
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature or ""}
    if isinstance(block, NativeBlock):
        return block.raw
    return {"type": "redacted_thinking", "data": block.data}


def _render_tool(tool: Tool) -> dict[str, Any]:
    if tool.raw is not None:
        return tool.raw
    out: dict[str, Any] = {"name": tool.name}
    if tool.description:
        out["description"] = tool.description
    out["input_schema"] = tool.input_schema
    if tool.strict:  # strict tool use: inputs sampled to match the schema
        out["strict"] = True
    return out


def _render_tool_choice(choice: ToolChoice) -> dict[str, Any]:
    out: dict[str, Any] = {"type": choice.type}
    if choice.type == "tool":
        out["name"] = choice.name or ""
    if choice.disable_parallel and choice.type != "none":
        out["disable_parallel_tool_use"] = True
    return out


# --- responses, both directions -------------------------------------------------------------


def render_response(response: Response, model: str | None = None) -> dict[str, Any]:
    """The Messages response object a client expects for a complete answer.

    ``model``, when given, is shown instead of the upstream's name: the model the client asked
    for. Claude Code strips the signed thinking from an answer whose model differs from the
    one it asked for (as after switching models), so the upstream's own name broke thinking in
    tool loops; ``x-lynkr-model`` still says what served it.
    """
    return {
        "id": response.id,
        "type": "message",
        "role": "assistant",
        "model": model or response.model,
        "content": [render_block(b) for b in response.content],
        "stop_reason": response.stop_reason,
        "stop_sequence": response.stop_sequence,
        "usage": render_usage(response.usage),
    }


def parse_response(body: Any) -> Response:
    """An upstream's Messages response as an internal response."""
    if not isinstance(body, dict):
        raise UpstreamError("upstream returned a message that is not a JSON object")
    if body.get("type") == "error":
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        raise UpstreamError(f"upstream returned an error: {error.get('message') or body}",
                            kind=str(error.get("type") or "api_error"))
    try:
        content = parse_content(body.get("content") or [], "content")
    except InvalidRequest as exc:
        raise UpstreamError(f"upstream returned a malformed message: {exc}") from exc
    # Server tool blocks in an answer are skipped, as the stream decoder skips them.
    content = [b for b in content if not isinstance(b, NativeBlock)]
    stop_reason = body.get("stop_reason")
    return Response(
        id=str(body.get("id") or ""),
        model=str(body.get("model") or ""),
        content=content,
        stop_reason=stop_reason if stop_reason in _STOP_REASONS else "end_turn",
        stop_sequence=body.get("stop_sequence"),
        usage=parse_usage(body.get("usage")),
    )
