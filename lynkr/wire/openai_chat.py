"""OpenAI Chat Completions <-> the internal model, both directions.

The same format is spoken by clients (Cursor, the OpenAI SDKs) and by most upstreams (OpenAI,
OpenRouter, DeepSeek, vLLM, llama.cpp, LM Studio), so parsing and building live together here;
streaming lives in :mod:`lynkr.wire.openai_chat_stream` and is re-exported.

What the format cannot carry is dropped on the way out, on purpose: thinking signatures and
redacted thinking, ``is_error`` on tool results, cache breakpoints. Tool results become
``role: tool`` messages right after the assistant turn (OpenAI rejects anything in between),
and images inside tool results move to a user message after them (tool messages are text).
"""

from __future__ import annotations

import time
from typing import Any

import orjson

from lynkr.errors import InvalidRequest, UpstreamError
from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    Request,
    Response,
    TextBlock,
    ThinkingBlock,
    Tool,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)
from lynkr.streams import parse_tool_arguments
from lynkr.wire.fields import messages_of, model_of, openai_tool_choice, optional
from lynkr.wire.openai_chat_stream import (
    FINISH_REASONS,
    STOP_REASONS,
    StreamDecoder,
    StreamEncoder,
    new_call_id,
    parse_usage,
    render_usage,
)

__all__ = [
    "StreamDecoder", "StreamEncoder", "build_request", "include_usage", "parse_request",
    "parse_response", "render_response",
]

_MODELLED = frozenset({
    "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "max_tokens",
    "max_completion_tokens", "stop", "stream", "temperature", "top_p", "user",
})

# --- client request -> internal -------------------------------------------------------------


def parse_request(body: Any) -> Request:
    """Parse a client's chat.completions body; shapes we cannot accept raise InvalidRequest."""
    raw_messages = messages_of(body)
    model = model_of(body)
    system, messages = _parse_messages(raw_messages)
    max_tokens = optional(body, "max_completion_tokens", int, "an integer")
    if max_tokens is None:
        max_tokens = optional(body, "max_tokens", int, "an integer")
    stream = body.get("stream", False)
    if not isinstance(stream, bool) and stream is not None:
        raise InvalidRequest("stream: must be a boolean", param="stream")
    user = body.get("user")
    return Request(
        model=model,
        messages=messages,
        system=system,
        tools=_parse_tools(body.get("tools")),
        tool_choice=openai_tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"),
                                       _chat_choice_name),
        max_tokens=max_tokens,
        temperature=optional(body, "temperature", (int, float), "a number"),
        top_p=optional(body, "top_p", (int, float), "a number"),
        stop=_parse_stop(body.get("stop")),
        stream=bool(stream),
        metadata={"user_id": user} if isinstance(user, str) and user else {},
        extra={k: v for k, v in body.items() if k not in _MODELLED},
        client_format="openai_chat",
    )


def include_usage(request: Request) -> bool:
    """Whether the client asked for the final usage chunk (``stream_options.include_usage``)."""
    options = request.extra.get("stream_options")
    return isinstance(options, dict) and bool(options.get("include_usage"))


def _parse_messages(raw: list[Any]) -> tuple[list[TextBlock], list[Message]]:
    system: list[TextBlock] = []
    messages: list[Message] = []
    # True while the last message holds tool results and may still absorb the next user turn.
    tool_turn_open = False
    for i, item in enumerate(raw):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise InvalidRequest(f"{where}: must be an object", param=where)
        role = item.get("role")
        if role in ("system", "developer"):
            system.extend(b for b in _content_blocks(item.get("content"), where, images=False)
                          if isinstance(b, TextBlock))
        elif role == "user":
            blocks = _content_blocks(item.get("content"), where, images=True)
            if tool_turn_open:
                messages[-1].content.extend(blocks)
            else:
                messages.append(Message("user", blocks))
            tool_turn_open = False
        elif role == "tool":
            result = _parse_tool_message(item, where)
            if tool_turn_open:
                messages[-1].content.append(result)
            else:
                messages.append(Message("user", [result]))
            tool_turn_open = True
        elif role == "assistant":
            messages.append(Message("assistant", parse_assistant_message(item, where)))
            tool_turn_open = False
        else:
            raise InvalidRequest(
                f"{where}.role: unknown role {role!r}; expected system, developer, user, "
                "assistant or tool", param=f"{where}.role")
    return system, messages


def parse_assistant_message(item: dict[str, Any], where: str) -> list[Block]:
    """An assistant message (request history or upstream answer) as thinking, text, tool uses."""
    blocks: list[Block] = []
    reasoning = item.get("reasoning_content") or item.get("reasoning")
    if isinstance(reasoning, str) and reasoning:
        blocks.append(ThinkingBlock(reasoning))
    blocks.extend(_content_blocks(item.get("content"), where, images=False))
    refusal = item.get("refusal")
    if isinstance(refusal, str) and refusal and not blocks:
        blocks.append(TextBlock(refusal))
    calls = item.get("tool_calls")
    if calls is None:
        return blocks
    if not isinstance(calls, list):
        raise InvalidRequest(f"{where}.tool_calls: must be a list", param=f"{where}.tool_calls")
    for j, call in enumerate(calls):
        blocks.append(_parse_tool_call(call, f"{where}.tool_calls[{j}]"))
    return blocks


def _parse_tool_call(call: Any, where: str) -> ToolUseBlock:
    function = call.get("function") if isinstance(call, dict) else None
    if not isinstance(function, dict) or not isinstance(function.get("name"), str):
        raise InvalidRequest(f"{where}: must be {{type: function, function: {{name, arguments}}}}",
                             param=where)
    arguments = function.get("arguments")
    if isinstance(arguments, dict):  # some servers send an object rather than a JSON string
        args = arguments
    elif isinstance(arguments, str) or arguments is None:
        args = parse_tool_arguments(arguments or "")
    else:
        raise InvalidRequest(f"{where}.function.arguments: must be a JSON string",
                             param=f"{where}.function.arguments")
    call_id = call.get("id")
    return ToolUseBlock(call_id if isinstance(call_id, str) and call_id else new_call_id(),
                        function["name"], args)


def _parse_tool_message(item: dict[str, Any], where: str) -> ToolResultBlock:
    call_id = item.get("tool_call_id")
    if not isinstance(call_id, str):
        raise InvalidRequest(f"{where}.tool_call_id: required string for role tool",
                             param=f"{where}.tool_call_id")
    content = [b for b in _content_blocks(item.get("content"), where, images=True)
               if isinstance(b, TextBlock | ImageBlock)]
    return ToolResultBlock(call_id, content)


def _content_blocks(content: Any, where: str, *, images: bool) -> list[Block]:
    """String or content-part list -> text/image blocks. Empty text is dropped (Anthropic-shaped
    upstreams reject empty text blocks); unknown part types keep their text, if any."""
    if content is None:
        return []
    if isinstance(content, str):
        return [TextBlock(content)] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: must be a string or a list of content parts",
                             param=f"{where}.content")
    blocks: list[Block] = []
    for j, part in enumerate(content):
        if isinstance(part, str):
            part = {"type": "text", "text": part}
        if not isinstance(part, dict):
            raise InvalidRequest(f"{where}.content[{j}]: must be an object",
                                 param=f"{where}.content[{j}]")
        kind = part.get("type", "text")
        if kind == "image_url" and images:
            blocks.append(_parse_image_part(part, f"{where}.content[{j}]"))
            continue
        text = part.get("text", part.get("refusal") if kind == "refusal" else None)
        if kind in ("text", "input_text", "output_text", "refusal") and not isinstance(text, str):
            raise InvalidRequest(f"{where}.content[{j}].text: must be a string",
                                 param=f"{where}.content[{j}].text")
        if isinstance(text, str) and text:
            blocks.append(TextBlock(text, part.get("cache_control")))
    return blocks


def _parse_image_part(part: dict[str, Any], where: str) -> ImageBlock:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str) or not url:
        raise InvalidRequest(f"{where}.image_url.url: must be a URL string",
                             param=f"{where}.image_url.url")
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        if header.endswith(";base64"):
            return ImageBlock(media_type=header[5:-7] or "image/png", data=data)
    return ImageBlock(url=url)


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
        schema = function.get("parameters")
        tools.append(Tool(
            name=function["name"],
            description=function.get("description") or "",
            input_schema=schema if isinstance(schema, dict) else {"type": "object"},
        ))
    return tools




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
                  max_tokens_field: str = "max_tokens") -> dict[str, Any]:
    """The chat.completions body for an OpenAI-compatible upstream.

    ``max_tokens_field`` is "max_completion_tokens" for OpenAI's reasoning models, which reject
    ``max_tokens``; most compatible servers know only ``max_tokens``.
    """
    body: dict[str, Any] = dict(request.extra) if passthrough_extra else {}
    client_options = body.pop("stream_options", None)
    messages: list[dict[str, Any]] = []
    if request.system_text:
        messages.append({"role": "system", "content": request.system_text})
    for message in request.messages:
        messages.extend(_render_message(message))
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
    tools = [_render_tool(t) for t in request.tools if t.raw is None]
    if tools:
        body["tools"] = tools
        if request.tool_choice is not None:
            body["tool_choice"] = _render_tool_choice(request.tool_choice)
            if request.tool_choice.disable_parallel:
                body["parallel_tool_calls"] = False
    user = request.metadata.get("user_id")
    if isinstance(user, str) and user:
        body["user"] = user
    body["stream"] = stream
    if stream:  # OpenAI rejects stream_options on non-streaming requests
        options = client_options if isinstance(client_options, dict) else {}
        body["stream_options"] = {**options, "include_usage": True}
    return body


def _render_message(message: Message) -> list[dict[str, Any]]:
    if message.role == "assistant":
        return [render_assistant_message(message.content)]
    tool_messages: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for block in message.content:
        if isinstance(block, ToolResultBlock):
            tool_messages.append(
                {"role": "tool", "tool_call_id": block.tool_use_id, "content": block.text})
            parts.extend(_image_part(b) for b in block.content if isinstance(b, ImageBlock))
        elif isinstance(block, TextBlock):
            rest.append({"type": "text", "text": block.text})
        elif isinstance(block, ImageBlock):
            rest.append(_image_part(block))
    parts.extend(rest)
    if tool_messages and not parts:
        return tool_messages
    if len(parts) == 1 and parts[0]["type"] == "text":
        return [*tool_messages, {"role": "user", "content": parts[0]["text"]}]
    return [*tool_messages, {"role": "user", "content": parts or ""}]


def render_assistant_message(content: list[Block]) -> dict[str, Any]:
    """Assistant blocks as one chat message: joined text plus ``tool_calls``."""
    text = "".join(b.text for b in content if isinstance(b, TextBlock))
    calls = [
        {"id": b.id, "type": "function",
         "function": {"name": b.name, "arguments": orjson.dumps(b.input).decode()}}
        for b in content if isinstance(b, ToolUseBlock)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _image_part(block: ImageBlock) -> dict[str, Any]:
    url = block.url if block.data is None else f"data:{block.media_type};base64,{block.data}"
    return {"type": "image_url", "image_url": {"url": url or ""}}


def _render_tool(tool: Tool) -> dict[str, Any]:
    function: dict[str, Any] = {"name": tool.name}
    if tool.description:
        function["description"] = tool.description
    function["parameters"] = tool.input_schema
    return {"type": "function", "function": function}


def _render_tool_choice(choice: ToolChoice) -> Any:
    if choice.type == "tool" and choice.name:
        return {"type": "function", "function": {"name": choice.name}}
    return {"any": "required", "none": "none"}.get(choice.type, "auto")


# --- responses, both directions -------------------------------------------------------------


def render_response(response: Response, *, created: int | None = None) -> dict[str, Any]:
    """The ``chat.completion`` object a client expects for a complete answer."""
    message = render_assistant_message(response.content)
    if message["content"] is None and "tool_calls" not in message:
        message["content"] = ""
    thinking = "".join(b.thinking for b in response.content if isinstance(b, ThinkingBlock))
    if thinking:
        message["reasoning_content"] = thinking
    return {
        "id": response.id,
        "object": "chat.completion",
        "created": int(time.time()) if created is None else created,
        "model": response.model,
        "choices": [{"index": 0, "message": message, "logprobs": None,
                     "finish_reason": FINISH_REASONS.get(response.stop_reason, "stop")}],
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
    return Response(
        id=str(body.get("id") or ""),
        model=str(body.get("model") or ""),
        content=content,
        stop_reason=STOP_REASONS.get(choice.get("finish_reason") or "stop", "end_turn"),
        usage=parse_usage(usage) if isinstance(usage, dict) else Usage(),
    )
