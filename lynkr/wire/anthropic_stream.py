"""Streaming Anthropic Messages: internal events <-> Anthropic's SSE event stream.

Import from :mod:`lynkr.wire.anthropic`, which re-exports these.

The internal events are modelled on this stream, so both directions are close to one-to-one.
Blocks the internal model has no type for (server tool calls and their results, compaction)
are gathered by the decoder until they stop and passed on whole as a
:class:`~lynkr.model.NativeBlock`, which the encoder streams to an Anthropic client as the API
does (a call's input as one ``input_json_delta``); dropping one would change the answer the
client sends back, and newer Claude models then refuse or drop every later thinking block.
A text block's citations (``citations_delta``) travel as text deltas carrying a citation,
and its opening keys (``citations: []``) in the opened block's ``extra``, so a client of
this format gets them as streamed. The encoder renumbers blocks densely, so indices stay
0, 1, 2... on both sides.
"""

from __future__ import annotations

import uuid
from typing import Any

import orjson

from lynkr.errors import LynkrError, UpstreamError
from lynkr.model import (
    NativeBlock,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
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
from lynkr.wire.errors import anthropic_error_body

_OPAQUE = frozenset({"encrypted_content", "signature"})
_TEXT_START = frozenset({"type", "text"})
_PING = b'event: ping\ndata: {"type":"ping"}\n\n'
_DELTA = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_STOP = b'event: content_block_stop\ndata: {"type":"content_block_stop","index":'
_MESSAGE_STOP = b'event: message_stop\ndata: {"type":"message_stop"}\n\n'
# Status and retryability of errors an upstream reports inside its stream.
_STREAM_ERRORS: dict[str, tuple[int, bool]] = {
    "overloaded_error": (529, True), "rate_limit_error": (429, True), "api_error": (500, True),
    "timeout_error": (504, True), "invalid_request_error": (400, False),
    "authentication_error": (401, False), "permission_error": (403, False),
    "not_found_error": (404, False), "request_too_large": (413, False),
}


def parse_transformations(raw: Any) -> list[dict[str, Any]] | None:
    """An upstream's ``input_transformations`` (None when absent); entries of a type or
    reason newer than this code are kept as they came."""
    if not isinstance(raw, list):
        return None
    return [entry for entry in raw if isinstance(entry, dict)]


def render_usage(usage: Usage) -> dict[str, int]:
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "cache_creation_input_tokens": usage.cache_creation_input_tokens,
        "cache_read_input_tokens": usage.cache_read_input_tokens,
    }


def parse_usage(raw: Any) -> Usage:
    if not isinstance(raw, dict):
        return Usage()
    return Usage(
        input_tokens=_int(raw.get("input_tokens")),
        output_tokens=_int(raw.get("output_tokens")),
        cache_read_input_tokens=_int(raw.get("cache_read_input_tokens")),
        cache_creation_input_tokens=_int(raw.get("cache_creation_input_tokens")),
    )


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _frame(event: str, data: dict[str, Any]) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def client_message_id(upstream_id: str) -> str:
    """The id an Anthropic client is shown for an answer: the upstream's when it is a Messages
    id (Anthropic, Bedrock, lynkr's own), else a fresh one. Claude Code merges assistant turns
    that share an id, and OpenAI-compatible servers that answer every request under one id
    ("chatcmpl-123") made a whole tool loop read back as one turn; ``x-lynkr-request-id`` and
    the upstream request id headers still say which upstream answer it was."""
    return upstream_id if upstream_id.startswith("msg_") else "msg_" + uuid.uuid4().hex[:24]


class StreamEncoder:
    """Internal events -> the exact SSE bytes the Messages API streams.

    A tool call's arguments are held until its block stops and sent as one checked JSON
    object, as the API itself does unless fine-grained tool streaming is asked for: a small
    local model's ``{"x": 1,,}`` would otherwise reach the SDK, which fails the whole answer
    on it. Unparseable arguments go as ``{"_raw": ...}``, like a whole answer's.

    ``model``, when given, is the name shown in ``message_start``: see
    :func:`lynkr.wire.anthropic.render_response` for why it is the one the client asked for.
    """

    def __init__(self, model: str | None = None) -> None:
        self._model = model
        self._wire_index: dict[int, bytes] = {}
        self._arguments: dict[int, list[str]] = {}  # tool blocks still open: fragments so far

    def encode(self, event: StreamEvent) -> bytes:
        """The frame(s) for one event; ``b""`` when an event has nothing to say."""
        match event:
            case TextDelta(index=index, text=text, citation=citation):
                frame = b""
                if citation is not None:
                    frame = (_DELTA + self._index(index) + b',"delta":{"type":"citations_delta",'
                             b'"citation":' + orjson.dumps(citation) + b"}}\n\n")
                if text or citation is None:
                    frame += (_DELTA + self._index(index) + b',"delta":{"type":"text_delta",'
                              b'"text":' + orjson.dumps(text) + b"}}\n\n")
                return frame
            case ToolArgsDelta(index=index, partial_json=fragment):
                self._arguments.setdefault(index, []).append(fragment)
                return b""
            case ThinkingDelta(index=index, thinking=text, signature=signature):
                frames = b""
                if text:
                    frames += (_DELTA + self._index(index)
                               + b',"delta":{"type":"thinking_delta","thinking":'
                               + orjson.dumps(text) + b"}}\n\n")
                if signature:
                    frames += (_DELTA + self._index(index)
                               + b',"delta":{"type":"signature_delta","signature":'
                               + orjson.dumps(signature) + b"}}\n\n")
                return frames
            case BlockStart(index=index, block=block):
                if isinstance(block, ToolUseBlock):
                    self._arguments[index] = []
                wire = self._wire_index[index] = str(len(self._wire_index)).encode()
                frame = _frame("content_block_start", {
                    "type": "content_block_start", "index": int(wire),
                    "content_block": _start_block(block)})
                if isinstance(block, NativeBlock) and isinstance(block.raw.get("input"), dict):
                    frame += (_DELTA + wire + b',"delta":{"type":"input_json_delta",'
                              b'"partial_json":' + orjson.dumps(orjson.dumps(
                                  block.raw["input"]).decode()) + b"}}\n\n")
                return frame
            case BlockStop(index=index):
                return self._arguments_of(index) + _STOP + self._index(index) + b"}\n\n"
            case MessageStart(id=id_, model=model, usage=usage,
                              input_transformations=transformations):
                message: dict[str, Any] = {
                    "id": client_message_id(id_), "type": "message", "role": "assistant",
                    "model": self._model or model,
                    "content": [], "stop_reason": None, "stop_sequence": None,
                    "usage": render_usage(usage)}
                if transformations is not None:
                    message["input_transformations"] = transformations
                return _frame("message_start", {"type": "message_start", "message": message})
            case MessageDelta(stop_reason=reason, usage=usage, stop_sequence=sequence,
                              input_transformations=transformations):
                delta_usage: dict[str, int] = {"output_tokens": usage.output_tokens}
                # An OpenAI-style upstream tells its input and cache use only at the end:
                # the API's message_delta carries them too, and Claude Code counts them.
                for name in ("input_tokens", "cache_creation_input_tokens",
                             "cache_read_input_tokens"):
                    if getattr(usage, name):
                        delta_usage[name] = getattr(usage, name)
                final: dict[str, Any] = {
                    "type": "message_delta",
                    "delta": {"stop_reason": reason, "stop_sequence": sequence},
                    "usage": delta_usage}
                if transformations is not None:
                    final["input_transformations"] = transformations
                return _frame("message_delta", final)
            case MessageStop():
                return _MESSAGE_STOP
        return b""

    def encode_error(self, err: LynkrError) -> bytes:
        """An ``event: error`` frame, as the API sends when it fails mid-stream."""
        return _frame("error", anthropic_error_body(err))

    def ping(self) -> bytes:
        """A keep-alive the SDKs ignore; worth sending while an upstream is slow to start."""
        return _PING

    def _arguments_of(self, index: int) -> bytes:
        """The one ``input_json_delta`` of a tool block that stops (nothing for no arguments)."""
        raw = "".join(self._arguments.pop(index, ()))
        if not raw.strip():
            return b""
        try:
            valid = isinstance(orjson.loads(raw), dict)
        except orjson.JSONDecodeError:
            valid = False
        fixed = raw if valid else orjson.dumps(parse_tool_arguments(raw)).decode()
        return (_DELTA + self._index(index) + b',"delta":{"type":"input_json_delta",'
                b'"partial_json":' + orjson.dumps(fixed) + b"}}\n\n")

    def _index(self, index: int) -> bytes:
        wire = self._wire_index.get(index)
        return wire if wire is not None else str(index).encode()


def _start_block(block: Any) -> dict[str, Any]:
    if isinstance(block, ToolUseBlock):
        return {"type": "tool_use", "id": block.id, "name": block.name, "input": {}}
    if isinstance(block, ThinkingBlock):
        return {"type": "thinking", "thinking": "", "signature": ""}
    if isinstance(block, RedactedThinkingBlock):
        return {"type": "redacted_thinking", "data": block.data}
    if isinstance(block, NativeBlock):  # a call's input follows as one input_json_delta
        return {**block.raw, "input": {}} if isinstance(block.raw.get("input"), dict) \
            else block.raw
    if isinstance(block, TextBlock) and block.extra:  # citations: [] and the like
        return {**block.extra, "type": "text", "text": ""}
    return {"type": "text", "text": ""}


class StreamDecoder:
    """Parsed upstream Anthropic SSE events -> internal events."""

    def __init__(self) -> None:
        self._index: dict[int, int] = {}
        self._native: dict[int, _Gathered] = {}  # unmodelled blocks still open, by wire index
        self.finished = False

    def feed(self, event_name: str, data: dict[str, Any]) -> list[StreamEvent]:
        """Events for one SSE event. ``ping`` yields none; ``error`` raises UpstreamError."""
        kind = data.get("type") if isinstance(data, dict) else None
        kind = kind if isinstance(kind, str) else event_name
        if kind == "content_block_delta":
            return self._delta(data)
        if kind == "content_block_start":
            return self._start(data)
        if kind == "content_block_stop":
            wire = data.get("index", -1)
            index = self._index.get(wire)
            if index is None:
                return []
            gathered = self._native.pop(wire, None)
            if gathered is not None:
                return [BlockStart(index, NativeBlock(gathered.block(), format="anthropic")),
                        BlockStop(index)]
            return [BlockStop(index)]
        if kind == "message_start":
            message = data.get("message") or {}
            return [MessageStart(id=str(message.get("id") or ""),
                                 model=str(message.get("model") or ""),
                                 usage=parse_usage(message.get("usage")),
                                 input_transformations=parse_transformations(
                                     message.get("input_transformations")))]
        if kind == "message_delta":
            delta = data.get("delta") or {}
            return [MessageDelta(stop_reason=delta.get("stop_reason"),
                                 usage=parse_usage(data.get("usage")),
                                 stop_sequence=delta.get("stop_sequence"),
                                 input_transformations=parse_transformations(
                                     data.get("input_transformations")))]
        if kind == "message_stop":
            self.finished = True
            return [MessageStop()]
        if kind == "error":
            raise _stream_error(data)
        return []  # ping and event types added after this was written

    def finish(self) -> list[StreamEvent]:
        """At end of stream: a stream without ``message_stop`` was cut."""
        if not self.finished:
            raise UpstreamError("upstream stream ended before message_stop (stream cut)",
                                retryable=True)
        return []

    def _start(self, data: dict[str, Any]) -> list[StreamEvent]:
        raw = data.get("content_block") or {}
        kind = raw.get("type")
        wire = data.get("index", len(self._index))
        index = self._index[wire] = len(self._index)
        if kind not in ("text", "tool_use", "thinking", "redacted_thinking"):
            self._native[wire] = _Gathered(dict(raw))  # passed on whole when it stops
            return []
        if kind == "text":
            text = raw.get("text") or ""
            opened = TextBlock("", extra={k: v for k, v in raw.items() if k not in _TEXT_START})
            return [BlockStart(index, opened)] + ([TextDelta(index, text)] if text else [])
        if kind == "tool_use":
            start: list[StreamEvent] = [BlockStart(index, ToolUseBlock(
                str(raw.get("id") or ""), str(raw.get("name") or ""), {}))]
            initial = raw.get("input")
            if isinstance(initial, dict) and initial:
                start.append(ToolArgsDelta(index, orjson.dumps(initial).decode()))
            return start
        if kind == "thinking":
            thinking, signature = raw.get("thinking") or "", raw.get("signature") or None
            events: list[StreamEvent] = [BlockStart(index, ThinkingBlock(""))]
            if thinking or signature:
                events.append(ThinkingDelta(index, thinking, signature))
            return events
        return [BlockStart(index, RedactedThinkingBlock(str(raw.get("data") or "")))]

    def _delta(self, data: dict[str, Any]) -> list[StreamEvent]:
        index = self._index.get(data.get("index", -1))
        delta = data.get("delta") or {}
        if index is None:
            return []
        gathered = self._native.get(data.get("index", -1))
        if gathered is not None:
            gathered.add(delta)
            return []
        kind = delta.get("type")
        if kind == "text_delta":
            return [TextDelta(index, delta.get("text") or "")]
        if kind == "input_json_delta":
            return [ToolArgsDelta(index, delta.get("partial_json") or "")]
        if kind == "thinking_delta":
            return [ThinkingDelta(index, delta.get("thinking") or "")]
        if kind == "signature_delta":
            return [ThinkingDelta(index, "", delta.get("signature") or None)]
        if kind == "citations_delta" and isinstance(delta.get("citation"), dict):
            return [TextDelta(index, "", citation=delta["citation"])]
        return []  # delta types added after this was written


class _Gathered:
    """An unmodelled block's start and deltas, folded as the SDKs fold them: a call's
    ``input_json_delta`` fragments into its ``input``; in other deltas (``compaction_delta``...)
    a string continues the block's string of the same key (an opaque ``encrypted_content`` or
    ``signature`` is replaced), anything else replaces it."""

    def __init__(self, start: dict[str, Any]) -> None:
        self._raw = start
        self._json: list[str] = []

    def add(self, delta: dict[str, Any]) -> None:
        if delta.get("type") == "input_json_delta":
            self._json.append(str(delta.get("partial_json") or ""))
            return
        for key, value in delta.items():
            if key == "type":
                continue
            now = self._raw.get(key)
            continues = isinstance(now, str) and isinstance(value, str) and key not in _OPAQUE
            self._raw[key] = now + value if continues else value

    def block(self) -> dict[str, Any]:
        if self._json:
            self._raw["input"] = parse_tool_arguments("".join(self._json))
        return self._raw


def _stream_error(data: dict[str, Any]) -> UpstreamError:
    error = data.get("error") if isinstance(data, dict) else None
    error = error if isinstance(error, dict) else {}
    kind = str(error.get("type") or "api_error")
    status, retryable = _STREAM_ERRORS.get(kind, (502, True))
    return UpstreamError(f"upstream stream failed: {error.get('message') or kind}",
                         status=status, kind=kind, retryable=retryable)
