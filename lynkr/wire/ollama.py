"""Ollama's native ``/api/chat`` (JSON, and NDJSON when streaming) to and from the model.

Ollama differs from the OpenAI shape in ways that matter here: tool call arguments are JSON
objects (not strings), tool calls usually carry no id (we make stable ones), a tool result is
a ``role: "tool"`` message naming the tool, images ride on a message as bare base64, thinking
is a separate ``thinking`` field, and a stream is one JSON object per line ending with a line
that has ``done: true`` plus the token counts. A line ``{"error": "..."}`` is a failure.

What cannot be carried: images given by URL (Ollama wants the bytes; we say so in the text
rather than fetch anything) and provider-native tools (web search and the like) are left out.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from lynkr.errors import UpstreamError
from lynkr.model import (
    ImageBlock,
    Message,
    Request,
    Response,
    StopReason,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    Usage,
)
from lynkr.stream_events import (
    BlockStart,
    BlockStop,
    MessageDelta,
    MessageStart,
    MessageStop,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolArgsDelta,
)
from lynkr.streams import parse_tool_arguments
from lynkr.wire.structured import json_output
from lynkr.wire.system_entries import entries_in_turns

PROVIDER = "ollama"


# --- request --------------------------------------------------------------------------------


def build_request(request: Request, model: str, *, stream: bool, keep_alive: str | None,
                  num_ctx: int | None = None) -> dict[str, Any]:
    """The ``/api/chat`` body for ``request`` sent to ``model``.

    ``num_ctx`` sets the context window: Ollama's own default (4,096 tokens below 24 GB of
    VRAM) silently cuts a coding agent's prompt, tools first, without an error. An Anthropic
    client's ``role: "system"`` entries go into the user turns next to them, so the system
    prompt, and the KV cache behind it, hold from turn to turn
    (:mod:`lynkr.wire.system_entries`)."""
    request = entries_in_turns(request)
    messages: list[dict[str, Any]] = []
    if request.system:
        messages.append({"role": "system", "content": request.system_text})
    tool_names = {b.id: b.name for m in request.messages for b in m.content
                  if isinstance(b, ToolUseBlock)}
    for message in request.messages_for("ollama"):
        if message.role == "assistant":
            messages.append(_assistant_message(message))
        else:
            messages.extend(_user_messages(message, tool_names))
    body: dict[str, Any] = {"model": model, "messages": messages, "stream": stream}
    choice = request.tool_choice
    tools = [_tool(t.name, t.description, t.input_schema)
             for t in request.tools_for("ollama")]
    if tools and not (choice and choice.type == "none"):
        body["tools"] = tools
    options = {key: value for key, value in (
        ("temperature", request.temperature), ("top_p", request.top_p),
        ("num_predict", request.max_tokens), ("stop", request.stop or None),
        ("num_ctx", num_ctx),
    ) if value is not None}
    if options:
        body["options"] = options
    if request.thinking is not None:
        body["think"] = request.thinking.get("type") != "disabled"
    if (output := json_output(request)) is not None:
        body["format"] = output.schema or "json"
    if keep_alive is not None:
        body["keep_alive"] = keep_alive
    return body


def _assistant_message(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": "assistant", "content": message.text}
    thinking = "".join(b.thinking for b in message.content if isinstance(b, ThinkingBlock))
    if thinking:
        out["thinking"] = thinking
    calls = [{"id": b.id, "function": {"name": b.name, "arguments": b.input}}
             for b in message.content if isinstance(b, ToolUseBlock)]
    if calls:
        out["tool_calls"] = calls
    return out


def _user_messages(message: Message, tool_names: dict[str, str]) -> list[dict[str, Any]]:
    """A user turn becomes tool messages (one per result) and user messages, in order."""
    out: list[dict[str, Any]] = []
    pending: list[TextBlock | ImageBlock] = []
    for block in message.content:
        if isinstance(block, ToolResultBlock):
            if pending:
                out.append(_content_message("user", pending))
                pending = []
            result = _content_message("tool", block.content)
            result["tool_call_id"] = block.tool_use_id
            if block.tool_use_id in tool_names:
                result["tool_name"] = tool_names[block.tool_use_id]
            out.append(result)
        elif isinstance(block, TextBlock | ImageBlock):
            pending.append(block)
    if pending or not out:
        out.append(_content_message("user", pending))
    return out


def _content_message(role: str, blocks: list[TextBlock | ImageBlock]) -> dict[str, Any]:
    texts, images = [], []
    for block in blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif block.data:
            images.append(block.data)
        elif block.url:
            texts.append(f"[image not sent: Ollama needs inline image data; url {block.url}]")
    out: dict[str, Any] = {"role": role, "content": "\n".join(texts)}
    if images:
        out["images"] = images
    return out


def _tool(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function",
            "function": {"name": name, "description": description, "parameters": schema}}


# --- response -------------------------------------------------------------------------------


def parse_response(body: dict[str, Any]) -> Response:
    """A non-streaming ``/api/chat`` answer as a :class:`Response`."""
    _raise_if_error(body, retryable=False)
    message = body.get("message") or {}
    content: list[Any] = []
    if message.get("thinking"):
        content.append(ThinkingBlock(message["thinking"]))
    if message.get("content"):
        content.append(TextBlock(message["content"]))
    message_id = _message_id()
    calls = [_tool_use(call, message_id, n)
             for n, call in enumerate(message.get("tool_calls") or [])]
    content.extend(calls)
    return Response(
        id=message_id,
        model=body.get("model", ""),
        content=content,
        stop_reason=_stop_reason(body.get("done_reason"), bool(calls)),
        usage=_usage(body),
    )


def _tool_use(call: dict[str, Any], message_id: str, n: int) -> ToolUseBlock:
    function = call.get("function") or {}
    name = str(function.get("name", ""))
    arguments = function.get("arguments")
    if isinstance(arguments, str):
        arguments = parse_tool_arguments(arguments)
    elif not isinstance(arguments, dict):
        arguments = {}
    return ToolUseBlock(call.get("id") or tool_call_id(message_id, n), name, arguments)


def tool_call_id(message_id: str, n: int) -> str:
    """The id of the ``n``-th tool call of an answer, for Ollama versions that send none.

    Unique per answer: a client keys tool calls by id, and Claude Code skips a call whose id
    it has already run, so a model repeating ``git status`` later must get a new id.
    """
    return f"call_{message_id.removeprefix('msg_')}_{n}"


def _stop_reason(done_reason: Any, called_tools: bool) -> StopReason:
    if called_tools:
        return "tool_use"  # Ollama says "stop" even when the model called a tool
    return "max_tokens" if done_reason == "length" else "end_turn"


def _usage(body: dict[str, Any]) -> Usage:
    return Usage(input_tokens=int(body.get("prompt_eval_count") or 0),
                 output_tokens=int(body.get("eval_count") or 0))


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex[:24]}"


def _raise_if_error(obj: dict[str, Any], *, retryable: bool) -> None:
    if "error" in obj:
        raise UpstreamError(f"ollama error: {obj['error']}", provider=PROVIDER,
                            retryable=retryable)


# --- streaming ------------------------------------------------------------------------------


class StreamDecoder:
    """NDJSON chunk objects -> internal stream events, one object at a time.

    Thinking and content deltas open a thinking / text block when the kind changes; each tool
    call arrives whole in one chunk and becomes a complete tool_use block at once.
    """

    def __init__(self, model: str) -> None:
        self.model = model
        self.done = False
        self._started = False
        self._index = -1
        self._open: str | None = None  # "text" | "thinking" while a block is open
        self._calls = 0
        self._message_id = ""

    def feed(self, obj: dict[str, Any]) -> list[StreamEvent]:
        """The events for one NDJSON object."""
        # An error before any output can be retried invisibly; after, the client saw text.
        _raise_if_error(obj, retryable=self._index < 0)
        if self.done:
            return []
        events: list[StreamEvent] = []
        if not self._started:
            self._started = True
            self._message_id = _message_id()
            events.append(MessageStart(self._message_id, obj.get("model") or self.model))
        message = obj.get("message") or {}
        if message.get("thinking"):
            events += self._delta("thinking", message["thinking"])
        if message.get("content"):
            events += self._delta("text", message["content"])
        for call in message.get("tool_calls") or []:
            events += self._close()
            block = _tool_use(call, self._message_id, self._calls)
            self._calls += 1
            self._index += 1
            events += [BlockStart(self._index, ToolUseBlock(block.id, block.name, {})),
                       ToolArgsDelta(self._index, orjson.dumps(block.input).decode()),
                       BlockStop(self._index)]
        if obj.get("done"):
            self.done = True
            events += self._close()
            events += [MessageDelta(_stop_reason(obj.get("done_reason"), self._calls > 0),
                                    _usage(obj)),
                       MessageStop()]
        return events

    def finish(self) -> None:
        """Call when the byte stream ends: a stream without its ``done`` line was cut."""
        if not self.done:
            raise UpstreamError("ollama stream ended before the final done message",
                                provider=PROVIDER, retryable=self._index < 0)

    def _delta(self, kind: str, text: str) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if self._open != kind:
            events += self._close()
            self._index += 1
            self._open = kind
            events.append(BlockStart(self._index,
                                     TextBlock("") if kind == "text" else ThinkingBlock("")))
        events.append(TextDelta(self._index, text) if kind == "text"
                      else ThinkingDelta(self._index, text))
        return events

    def _close(self) -> list[StreamEvent]:
        if self._open is None:
            return []
        self._open = None
        return [BlockStop(self._index)]


class NDJSONParser:
    """Bytes as they arrive -> complete JSON objects, one per line, across chunk boundaries."""

    def __init__(self) -> None:
        self._buffer = b""

    def feed(self, chunk: bytes) -> list[dict[str, Any]]:
        """The objects completed by ``chunk`` (a partial last line waits for the next)."""
        self._buffer += chunk
        if b"\n" not in chunk:
            return []
        *lines, self._buffer = self._buffer.split(b"\n")
        return [obj for line in lines if (obj := _parse_line(line)) is not None]

    def flush(self) -> list[dict[str, Any]]:
        """Whatever the stream ended with when its last line had no newline."""
        line, self._buffer = self._buffer, b""
        obj = _parse_line(line)
        return [obj] if obj is not None else []


def _parse_line(line: bytes) -> dict[str, Any] | None:
    if not line.strip():
        return None
    try:
        obj = orjson.loads(line)
    except orjson.JSONDecodeError:
        obj = None
    if not isinstance(obj, dict):
        preview = line[:200].decode("utf-8", "replace")
        raise UpstreamError(f"ollama sent a stream line that is not a JSON object: {preview!r}",
                            provider=PROVIDER)
    return obj
