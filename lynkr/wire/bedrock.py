"""Amazon Bedrock Converse / ConverseStream <-> the internal model (pure).

Converse is close to Anthropic's shape under other names: content blocks are one-key objects
(``{"text": ...}``, ``{"toolUse": ...}``, ``{"toolResult": ...}``, ``{"reasoningContent": ...}``),
tool schemas sit under ``inputSchema.json``, sampling under ``inferenceConfig``. Differences
that matter here:

* Messages must alternate user/assistant and text must not be blank, so consecutive turns of
  one role are merged and empty text dropped.
* A stream announces text blocks only by their first ``contentBlockDelta`` (there is a
  ``contentBlockStart`` for tool calls only), and usage arrives in ``metadata`` *after*
  ``messageStop``; the decoder therefore ends the message on ``metadata`` (or at end of stream).
* ``toolChoice`` is sent only when it constrains (``any``/``tool``): not every Bedrock model
  accepts it, and ``auto`` is the default anyway. ``none`` cannot be expressed; tools are still
  declared because Bedrock refuses tool blocks in the history without a ``toolConfig`` (for
  the same reason, a request with tool blocks but no tools declares the tools its history
  used, with an open schema).
* Images must be inline bytes; an image given by URL is replaced by a note in the text.
* With thinking on, Claude wants the assistant turn before the latest tool results to start
  with signed reasoning; a turn another provider answered has none (unsigned thinking is left
  out), so thinking is off for that request, as Claude's own refusal advises.
* Claude reads Anthropic betas from the body (``additionalModelRequestFields.anthropic_beta``).
  Only the ones lynkr knows Bedrock takes go there (:data:`BEDROCK_BETAS`): the client's
  header names first-party betas Bedrock refuses. The thinking-binding beta alone makes
  Bedrock drop thinking bound to a different conversation instead of refusing the request.
* Prompt caching is a ``{"cachePoint": {"type": "default"}}`` block after the cached content
  (Claude and Nova only, at most four; after the tool list for Claude only, Nova does not
  cache tools). Each ``cache_control`` breakpoint (a client's, or one lynkr placed, see
  :mod:`lynkr.optimize.cache_breakpoints`) becomes one, or Claude Code on Bedrock paid full
  price for its whole prompt on every turn.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from lynkr.errors import UpstreamError
from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    RedactedThinkingBlock,
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
from lynkr.wire.anthropic import output_limits
from lynkr.wire.openai_chat_reasoning import carries_detail
from lynkr.wire.structured import instruction, json_output
from lynkr.wire.system_entries import entries_in_turns
from lynkr.wire.thinking_binding import BINDING_BETA
from lynkr.wire.tool_ids import api_tool_id

STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "end_turn", "tool_use": "tool_use", "max_tokens": "max_tokens",
    "stop_sequence": "stop_sequence", "guardrail_intervened": "refusal",
    "content_filtered": "refusal", "model_context_window_exceeded": "max_tokens",
}
# Stream exception type -> (HTTP status, retryable), as documented for ConverseStream.
STREAM_EXCEPTIONS: dict[str, tuple[int, bool]] = {
    "throttlingException": (429, True), "internalServerException": (500, True),
    "serviceUnavailableException": (503, True), "modelStreamErrorException": (502, True),
    "validationException": (400, False),
}
# Betas a client names that go on to Claude on Bedrock.
BEDROCK_BETAS = frozenset({BINDING_BETA})
CACHE_POINT = {"cachePoint": {"type": "default"}}
MAX_CACHE_POINTS = 4
# Model ids (or inference profiles, ARNs) of the families that take cache points.
_CACHING_FAMILIES = ("anthropic.", "amazon.nova")
_IMAGE_FORMATS = {"image/png": "png", "image/jpeg": "jpeg", "image/jpg": "jpeg",
                  "image/gif": "gif", "image/webp": "webp"}


# --- internal -> Converse request -----------------------------------------------------------


def build_request(request: Request, model: str) -> dict[str, Any]:
    """The Converse / ConverseStream body (the model id travels in the URL). An Anthropic
    client's ``role: "system"`` entries go into the user turns next to them
    (:mod:`lynkr.wire.system_entries`)."""
    request = entries_in_turns(request)
    caching = takes_cache_points(model)
    body: dict[str, Any] = {"messages": _messages(request.messages_for("bedrock"), caching)}
    system: list[dict[str, Any]] = []
    for block in request.system:
        if block.text:
            system.append({"text": block.text})
            if caching and block.cache_control is not None:
                system.append(CACHE_POINT)
    if (output := json_output(request)) is not None:
        system.append({"text": instruction(output)})
    if system:
        body["system"] = system
    config: dict[str, Any] = {}
    if request.max_tokens is not None:
        config["maxTokens"] = request.max_tokens
    if request.temperature is not None:
        config["temperature"] = request.temperature
    if request.top_p is not None:
        config["topP"] = request.top_p
    if request.stop:
        config["stopSequences"] = list(request.stop)
    if config:
        body["inferenceConfig"] = config
    tools: list[dict[str, Any]] = []
    for tool in request.tools_for("bedrock"):
        tools.append(_tool_spec(tool.name, tool.description, tool.input_schema))
        if caching and "anthropic." in model and _cache_control(tool) is not None:
            tools.append(CACHE_POINT)
    if not tools:
        used = dict.fromkeys(b.name for m in request.messages for b in m.content
                             if isinstance(b, ToolUseBlock))
        tools = [_tool_spec(name, "", {"type": "object"}) for name in used]
    if tools:
        body["toolConfig"] = {"tools": tools}
        choice = request.tool_choice
        if choice is not None and choice.type == "any":
            body["toolConfig"]["toolChoice"] = {"any": {}}
        elif choice is not None and choice.type == "tool" and choice.name:
            body["toolConfig"]["toolChoice"] = {"tool": {"name": choice.name}}
    if request.thinking and "anthropic." in model:
        max_tokens, thinking = output_limits(request)
        body["inferenceConfig"] = {**config, "maxTokens": max_tokens}
        if thinking is not None and _turn_can_think(body["messages"]):
            body["additionalModelRequestFields"] = {"thinking": thinking}
    betas = [b for b in request.betas if b in BEDROCK_BETAS]
    if betas and "anthropic." in model:
        body.setdefault("additionalModelRequestFields", {})["anthropic_beta"] = betas
    if caching:
        _cap_cache_points(body)
    return body


def _turn_can_think(messages: list[dict[str, Any]]) -> bool:
    """False when the request answers tool results of an assistant turn that does not start
    with reasoning (Claude refuses thinking then)."""
    if len(messages) < 2 or messages[-2]["role"] != "assistant" \
            or not any("toolResult" in block for block in messages[-1]["content"]):
        return True
    return "reasoningContent" in messages[-2]["content"][0]


def takes_cache_points(model: str) -> bool:
    """Whether ``model`` (an id, an inference profile) caches at cache points."""
    return any(family in model for family in _CACHING_FAMILIES)


def _cache_control(item: Any) -> Any:
    """A block's or tool's ``cache_control``: its field, or a key of its ``extra``."""
    marked = getattr(item, "cache_control", None)
    return marked if marked is not None else getattr(item, "extra", {}).get("cache_control")


def _cap_cache_points(body: dict[str, Any]) -> None:
    """Keep at most :data:`MAX_CACHE_POINTS`: the tools' and the system's (the prefix every
    turn shares), then the latest in the conversation (the one the next turn reads)."""
    tools = (body.get("toolConfig") or {}).get("tools") or []
    lists = [tools, body.get("system") or [], *(m["content"] for m in body["messages"])]
    excess = sum(1 for blocks in lists for b in blocks if b is CACHE_POINT) - MAX_CACHE_POINTS
    for blocks in lists[2:]:  # the conversation's oldest first
        while excess > 0 and CACHE_POINT in blocks:
            blocks.remove(CACHE_POINT)
            excess -= 1


def _tool_spec(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"toolSpec": {"name": name, "description": description or name,
                         "inputSchema": {"json": schema}}}


def _messages(messages: list[Message], caching: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for message in messages:
        content: list[dict[str, Any]] = []
        for block in message.content:
            if (converted := _block(block)) is None:
                continue
            content.append(converted)
            if caching and _cache_control(block) is not None:
                content.append(CACHE_POINT)
        if not content:
            continue
        if out and out[-1]["role"] == message.role:
            out[-1]["content"].extend(content)
        else:
            out.append({"role": message.role, "content": content})
    return out


def _block(block: Block) -> dict[str, Any] | None:
    if isinstance(block, TextBlock):
        return {"text": block.text} if block.text.strip() else None
    if isinstance(block, ImageBlock):
        return _image(block)
    if isinstance(block, ToolUseBlock):
        return {"toolUse": {"toolUseId": api_tool_id(block.id), "name": block.name,
                            "input": block.input}}
    if isinstance(block, ToolResultBlock):
        content = [c for part in block.content if (c := _block(part)) is not None]
        result: dict[str, Any] = {"toolUseId": api_tool_id(block.tool_use_id),
                                  "content": content or [{"text": "(no output)"}]}
        if block.is_error:
            result["status"] = "error"
        return {"toolResult": result}
    # Bedrock's Claude refuses unsigned reasoning in the history, and an OpenRouter
    # reasoning_details entry's signature is not one it can verify.
    if carries_detail(block):
        return None
    if isinstance(block, ThinkingBlock):
        if not block.signature:
            return None
        return {"reasoningContent": {"reasoningText": {"text": block.thinking,
                                                       "signature": block.signature}}}
    if isinstance(block, RedactedThinkingBlock):
        return {"reasoningContent": {"redactedContent": block.data}}
    return None


def _image(block: ImageBlock) -> dict[str, Any]:
    fmt = _IMAGE_FORMATS.get(block.media_type)
    if block.data is None or fmt is None:
        return {"text": f"[image not sent: Bedrock needs inline png/jpeg/gif/webp bytes; "
                        f"got {block.url or block.media_type}]"}
    return {"image": {"format": fmt, "source": {"bytes": block.data}}}


# --- Converse response -> internal ----------------------------------------------------------


def parse_response(body: Any, model: str) -> Response:
    if not isinstance(body, dict):
        raise UpstreamError("bedrock answered with something that is not a JSON object")
    message = (body.get("output") or {}).get("message") or {}
    content: list[Block] = []
    for raw in message.get("content") or ():
        block = _parse_block(raw) if isinstance(raw, dict) else None
        if block is not None:
            content.append(block)
    reason = str(body.get("stopReason") or "end_turn")
    return Response(id=_message_id(), model=model, content=content,
                    stop_reason=STOP_REASONS.get(reason, "end_turn"),
                    usage=parse_usage(body.get("usage")))


def _parse_block(raw: dict[str, Any]) -> Block | None:
    if "text" in raw:
        return TextBlock(str(raw["text"]))
    if "toolUse" in raw:
        use = raw["toolUse"] or {}
        arguments = use.get("input")
        return ToolUseBlock(str(use.get("toolUseId") or _tool_id()), str(use.get("name") or ""),
                            arguments if isinstance(arguments, dict) else {})
    if "reasoningContent" in raw:
        reasoning = raw["reasoningContent"] or {}
        if "redactedContent" in reasoning:
            return RedactedThinkingBlock(str(reasoning["redactedContent"]))
        text = reasoning.get("reasoningText") or {}
        return ThinkingBlock(str(text.get("text") or ""), text.get("signature"))
    return None


def parse_usage(raw: Any) -> Usage:
    raw = raw if isinstance(raw, dict) else {}
    return Usage(input_tokens=_int(raw.get("inputTokens")),
                 output_tokens=_int(raw.get("outputTokens")),
                 cache_read_input_tokens=_int(raw.get("cacheReadInputTokens")),
                 cache_creation_input_tokens=_int(raw.get("cacheWriteInputTokens")))


def stream_exception(exception_type: str, payload: bytes) -> UpstreamError:
    """The error for an ``exception`` / ``error`` message inside a ConverseStream."""
    try:
        message = orjson.loads(payload).get("message") or ""
    except (orjson.JSONDecodeError, AttributeError):
        message = payload.decode("utf-8", "replace")[:300]
    status, retryable = STREAM_EXCEPTIONS.get(exception_type, (502, True))
    return UpstreamError(f"bedrock stream failed: {exception_type}: {message}".rstrip(": "),
                         status=status, provider="bedrock", retryable=retryable)


class StreamDecoder:
    """ConverseStream events (event type + JSON payload) -> internal events."""

    def __init__(self, model: str) -> None:
        self._model = model
        self._started = False
        self._open: dict[int, str] = {}  # upstream block index -> kind of the open block
        self._stop: StopReason | None = None
        self._usage = Usage()
        self.finished = False

    def feed(self, event_type: str, payload: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        if not self._started:
            self._started = True
            events.append(MessageStart(_message_id(), self._model))
        if event_type == "contentBlockStart":
            index = _int(payload.get("contentBlockIndex"))
            use = (payload.get("start") or {}).get("toolUse")
            if isinstance(use, dict):
                self._open[index] = "tool"
                events.append(BlockStart(index, ToolUseBlock(
                    str(use.get("toolUseId") or _tool_id()), str(use.get("name") or ""), {})))
        elif event_type == "contentBlockDelta":
            self._delta(_int(payload.get("contentBlockIndex")), payload.get("delta") or {}, events)
        elif event_type == "contentBlockStop":
            index = _int(payload.get("contentBlockIndex"))
            if self._open.pop(index, None) is not None:
                events.append(BlockStop(index))
        elif event_type == "messageStop":
            self._close_all(events)
            reason = str(payload.get("stopReason") or "end_turn")
            self._stop = STOP_REASONS.get(reason, "end_turn")
        elif event_type == "metadata":
            self._usage = parse_usage(payload.get("usage"))
            if self._stop is not None:
                events.extend(self._end())
        return events  # messageStart and event types added after this was written: nothing

    def finish(self) -> list[StreamEvent]:
        """End of the HTTP body: complete a message whose ``metadata`` never came; a stream
        without ``messageStop`` was cut."""
        if self.finished:
            return []
        if self._stop is None:
            raise UpstreamError("bedrock stream ended before messageStop (stream cut)",
                                provider="bedrock", retryable=True)
        return self._end()

    def _delta(self, index: int, delta: dict[str, Any], events: list[StreamEvent]) -> None:
        if "text" in delta:
            self._ensure(index, "text", events)
            events.append(TextDelta(index, str(delta["text"])))
        elif "toolUse" in delta:
            if index not in self._open:  # a model that skipped contentBlockStart
                self._open[index] = "tool"
                events.append(BlockStart(index, ToolUseBlock(_tool_id(), "", {})))
            events.append(ToolArgsDelta(index, str((delta["toolUse"] or {}).get("input") or "")))
        elif "reasoningContent" in delta:
            reasoning = delta["reasoningContent"] or {}
            if "redactedContent" in reasoning:
                self._ensure(index, "redacted", events, str(reasoning["redactedContent"]))
                return
            self._ensure(index, "thinking", events)
            events.append(ThinkingDelta(index, str(reasoning.get("text") or ""),
                                        reasoning.get("signature") or None))

    def _ensure(self, index: int, kind: str, events: list[StreamEvent], data: str = "") -> None:
        if index in self._open:
            return
        self._open[index] = kind
        block: TextBlock | ThinkingBlock | RedactedThinkingBlock = (
            TextBlock("") if kind == "text" else ThinkingBlock("") if kind == "thinking"
            else RedactedThinkingBlock(data))
        events.append(BlockStart(index, block))

    def _close_all(self, events: list[StreamEvent]) -> None:
        events.extend(BlockStop(i) for i in sorted(self._open))
        self._open.clear()

    def _end(self) -> list[StreamEvent]:
        self.finished = True
        events: list[StreamEvent] = []
        self._close_all(events)
        return [*events, MessageDelta(stop_reason=self._stop, usage=self._usage), MessageStop()]


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _message_id() -> str:
    return f"msg_bedrock_{uuid.uuid4().hex[:24]}"


def _tool_id() -> str:
    return f"tooluse_{uuid.uuid4().hex[:22]}"
