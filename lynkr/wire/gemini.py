"""Google Gemini ``generateContent`` / ``streamGenerateContent`` <-> the internal model (pure).

Differences from the Anthropic shape that this module absorbs:

* Turns are ``contents`` of ``parts`` with roles ``user`` / ``model``; the system prompt is
  ``systemInstruction``; tools are ``functionDeclarations`` whose ``parameters`` accept only an
  OpenAPI subset of JSON Schema (``$schema``, ``additionalProperties``, ``$ref``, type arrays
  and the like are removed or rewritten, see :func:`gemini_schema`).
* Function calls carry no id we can rely on, so ids are made here; a function *response*
  names the function rather than the call, so tool results are matched to names through the
  history.
* Gemini 2.5+ attaches a ``thoughtSignature`` to function-call parts and wants it back in the
  next turn. The caller passes a ``signatures`` dict (tool id -> signature) that decoding
  fills and encoding reads; an unknown one gets the documented placeholder that skips the
  check rather than a 400.
* A stream is SSE (``?alt=sse``) of whole ``GenerateContentResponse`` objects and ends when
  the connection closes; the last one has ``finishReason`` and ``usageMetadata``.
"""

from __future__ import annotations

import uuid
from collections.abc import MutableMapping
from typing import Any

import orjson

from lynkr.errors import UpstreamError, kind_for_status
from lynkr.model import (
    Block,
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
from lynkr.wire.structured import instruction, json_output
from lynkr.wire.system_entries import entries_in_turns

Signatures = MutableMapping[str, str]
#: Google's documented value for a function call whose real thought signature is unknown.
SKIP_SIGNATURE = "skip_thought_signature_validator"
_REFUSALS = {"SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE",
             "IMAGE_SAFETY"}
_SCHEMA_KEYS = {"type", "format", "description", "nullable", "enum", "maxItems", "minItems",
                "properties", "required", "items", "anyOf", "minimum", "maximum", "minLength",
                "maxLength", "pattern", "title", "propertyOrdering", "minProperties",
                "maxProperties"}
_CHOICE_MODES = {"auto": "AUTO", "any": "ANY", "tool": "ANY", "none": "NONE"}


# --- internal -> generateContent request -----------------------------------------------------


def build_request(request: Request, signatures: Signatures | None = None) -> dict[str, Any]:
    """The ``generateContent`` body (the model travels in the URL). An Anthropic client's
    ``role: "system"`` entries go into the user turns next to them
    (:mod:`lynkr.wire.system_entries`)."""
    request = entries_in_turns(request)
    signatures = signatures if signatures is not None else {}
    body: dict[str, Any] = {"contents": _contents(request.messages_for("gemini"), signatures)}
    system = [request.system_text] if request.system_text else []
    if (output := json_output(request)) is not None:
        system.append(instruction(output))
    if system:
        body["systemInstruction"] = {"parts": [{"text": "\n\n".join(system)}]}
    declarations = [_declaration(t.name, t.description, t.input_schema)
                    for t in request.tools_for("gemini")]
    if declarations:
        body["tools"] = [{"functionDeclarations": declarations}]
        choice = request.tool_choice
        if choice is not None and choice.type != "auto":
            config: dict[str, Any] = {"mode": _CHOICE_MODES[choice.type]}
            if choice.type == "tool" and choice.name:
                config["allowedFunctionNames"] = [choice.name]
            body["toolConfig"] = {"functionCallingConfig": config}
    generation: dict[str, Any] = {}
    if request.max_tokens is not None:
        generation["maxOutputTokens"] = request.max_tokens
    if request.temperature is not None:
        generation["temperature"] = request.temperature
    if request.top_p is not None:
        generation["topP"] = request.top_p
    if request.stop:
        generation["stopSequences"] = list(request.stop)
    budget = (request.thinking or {}).get("budget_tokens")
    if (request.thinking or {}).get("type") == "enabled" and isinstance(budget, int):
        generation["thinkingConfig"] = {"thinkingBudget": budget, "includeThoughts": True}
    if generation:
        body["generationConfig"] = generation
    return body


def _contents(messages: list[Message], signatures: Signatures) -> list[dict[str, Any]]:
    names: dict[str, str] = {}
    contents: list[dict[str, Any]] = []
    for message in messages:
        role = "model" if message.role == "assistant" else "user"
        parts: list[dict[str, Any]] = []
        for block in message.content:
            if isinstance(block, ToolUseBlock):
                names[block.id] = block.name
                parts.append({"functionCall": {"name": block.name, "args": block.input},
                              "thoughtSignature": signatures.get(block.id, SKIP_SIGNATURE)})
            elif isinstance(block, ToolResultBlock):
                key = "error" if block.is_error else "content"
                parts.append({"functionResponse": {
                    "name": names.get(block.tool_use_id, block.tool_use_id),
                    "response": {key: block.text}}})
                parts += [_image(i) for i in block.content if isinstance(i, ImageBlock)]
            elif isinstance(block, TextBlock) and block.text:
                parts.append({"text": block.text})
            elif isinstance(block, ImageBlock):
                parts.append(_image(block))
        if not parts:
            continue
        if contents and contents[-1]["role"] == role:
            contents[-1]["parts"].extend(parts)
        else:
            contents.append({"role": role, "parts": parts})
    return contents


def _image(block: ImageBlock) -> dict[str, Any]:
    if block.data is not None:
        return {"inlineData": {"mimeType": block.media_type, "data": block.data}}
    return {"fileData": {"mimeType": block.media_type, "fileUri": block.url or ""}}


def _declaration(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    declaration: dict[str, Any] = {"name": name, "description": description or name}
    parameters = gemini_schema(schema)
    if parameters.get("properties"):  # Gemini refuses an OBJECT without properties
        declaration["parameters"] = parameters
    return declaration


def gemini_schema(schema: Any) -> dict[str, Any]:
    """JSON Schema -> the OpenAPI subset Gemini accepts: unknown keywords dropped, ``const``
    as a one-value enum, ``["string", "null"]`` as ``type`` + ``nullable``."""
    if not isinstance(schema, dict):
        return {}
    out: dict[str, Any] = {}
    kind = schema.get("type")
    if isinstance(kind, list):
        concrete = [k for k in kind if k != "null"]
        if len(concrete) < len(kind):
            out["nullable"] = True
        kind = concrete[0] if concrete else "string"
    if isinstance(kind, str):
        out["type"] = kind
    if "const" in schema:
        out["enum"] = [schema["const"]]
    for key, value in schema.items():
        if key not in _SCHEMA_KEYS or key == "type":
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: gemini_schema(v) for k, v in value.items()}
        elif key == "items":
            out[key] = gemini_schema(value)
        elif key == "anyOf" and isinstance(value, list):
            out[key] = [gemini_schema(v) for v in value]
        elif key == "enum" and isinstance(value, list):
            out[key] = [str(v) for v in value]  # Gemini enums are strings
        else:
            out[key] = value
    if isinstance(out.get("required"), list) and isinstance(out.get("properties"), dict):
        out["required"] = [r for r in out["required"] if r in out["properties"]]
    return out


# --- generateContent response -> internal ----------------------------------------------------


def parse_response(body: Any, model: str, signatures: Signatures | None = None) -> Response:
    if not isinstance(body, dict):
        raise UpstreamError("gemini answered with something that is not a JSON object")
    raise_if_error(body)
    candidate = _candidate(body)
    content: list[Block] = []
    for part in (candidate.get("content") or {}).get("parts") or ():
        if not isinstance(part, dict):
            continue
        if "functionCall" in part:
            content.append(_tool_use(part, signatures))
        elif part.get("thought") and isinstance(part.get("text"), str):
            content.append(ThinkingBlock(part["text"], part.get("thoughtSignature")))
        elif isinstance(part.get("text"), str):
            content.append(TextBlock(part["text"]))
    called = any(isinstance(b, ToolUseBlock) for b in content)
    return Response(id=_response_id(body), model=str(body.get("modelVersion") or model),
                    content=content, stop_reason=_stop_reason(body, candidate, called),
                    usage=parse_usage(body.get("usageMetadata")))


def raise_if_error(body: dict[str, Any]) -> None:
    error = body.get("error")
    if not isinstance(error, dict):
        return
    status = error.get("code") if isinstance(error.get("code"), int) else 502
    raise UpstreamError(f"gemini failed: {error.get('message') or error.get('status')}",
                        status=status, kind=kind_for_status(status), provider="gemini",
                        retryable=status == 429 or status >= 500)


def parse_usage(raw: Any) -> Usage:
    raw = raw if isinstance(raw, dict) else {}
    cached = _int(raw.get("cachedContentTokenCount"))
    return Usage(input_tokens=max(0, _int(raw.get("promptTokenCount")) - cached),
                 output_tokens=_int(raw.get("candidatesTokenCount"))
                 + _int(raw.get("thoughtsTokenCount")),
                 cache_read_input_tokens=cached)


def _candidate(body: dict[str, Any]) -> dict[str, Any]:
    candidates = body.get("candidates")
    first = candidates[0] if isinstance(candidates, list) and candidates else {}
    return first if isinstance(first, dict) else {}


def _stop_reason(body: dict[str, Any], candidate: dict[str, Any], called: bool) -> StopReason:
    reason = candidate.get("finishReason")
    if reason is None and (body.get("promptFeedback") or {}).get("blockReason"):
        return "refusal"
    if reason == "MAX_TOKENS":
        return "max_tokens"
    if reason in _REFUSALS:
        return "refusal"
    return "tool_use" if called else "end_turn"


def _tool_use(part: dict[str, Any], signatures: Signatures | None) -> ToolUseBlock:
    call = part.get("functionCall") or {}
    args = call.get("args")
    block = ToolUseBlock(str(call.get("id") or f"call_{uuid.uuid4().hex[:24]}"),
                         str(call.get("name") or ""), args if isinstance(args, dict) else {})
    if signatures is not None and isinstance(part.get("thoughtSignature"), str):
        signatures[block.id] = part["thoughtSignature"]
    return block


class StreamDecoder:
    """``streamGenerateContent?alt=sse`` chunks -> internal events."""

    def __init__(self, model: str, signatures: Signatures | None = None) -> None:
        self._model = model
        self._signatures = signatures
        self._started = False
        self._index = -1
        self._open = ""  # "text" | "thinking" | ""
        self._called = False
        self._reason: str | None = None
        self._body: dict[str, Any] = {}
        self._usage = Usage()

    def feed(self, chunk: Any) -> list[StreamEvent]:
        if not isinstance(chunk, dict):
            raise UpstreamError("gemini sent a stream chunk that is not a JSON object",
                                provider="gemini", retryable=True)
        raise_if_error(chunk)
        events: list[StreamEvent] = []
        if not self._started:
            self._started = True
            events.append(MessageStart(_response_id(chunk),
                                       str(chunk.get("modelVersion") or self._model)))
        candidate = _candidate(chunk)
        for part in (candidate.get("content") or {}).get("parts") or ():
            if isinstance(part, dict):
                self._part(part, events)
        if chunk.get("usageMetadata"):
            self._usage = parse_usage(chunk["usageMetadata"])
        if candidate.get("finishReason"):
            self._reason = str(candidate["finishReason"])
            self._body = chunk
        elif (chunk.get("promptFeedback") or {}).get("blockReason"):
            self._reason, self._body = "BLOCKED", chunk
        return events

    def finish(self) -> list[StreamEvent]:
        """End of the SSE body: a stream that never gave a ``finishReason`` was cut."""
        if self._reason is None:
            raise UpstreamError("gemini stream ended before a finishReason (stream cut)",
                                provider="gemini", retryable=True)
        events: list[StreamEvent] = []
        self._close(events)
        stop = _stop_reason(self._body, _candidate(self._body), self._called)
        return [*events, MessageDelta(stop_reason=stop, usage=self._usage), MessageStop()]

    def _part(self, part: dict[str, Any], events: list[StreamEvent]) -> None:
        if "functionCall" in part:
            self._close(events)
            block = _tool_use(part, self._signatures)
            self._called = True
            self._index += 1
            events += [BlockStart(self._index, ToolUseBlock(block.id, block.name, {})),
                       ToolArgsDelta(self._index, orjson.dumps(block.input).decode()),
                       BlockStop(self._index)]
            return
        text = part.get("text")
        if not isinstance(text, str):
            return
        kind = "thinking" if part.get("thought") else "text"
        if self._open != kind:
            self._close(events)
            self._index += 1
            self._open = kind
            events.append(BlockStart(self._index, TextBlock("") if kind == "text"
                                     else ThinkingBlock("")))
        if kind == "text":
            if text:
                events.append(TextDelta(self._index, text))
        else:
            events.append(ThinkingDelta(self._index, text, part.get("thoughtSignature")))

    def _close(self, events: list[StreamEvent]) -> None:
        if self._open:
            events.append(BlockStop(self._index))
            self._open = ""


def _response_id(body: dict[str, Any]) -> str:
    return str(body.get("responseId") or f"msg_gemini_{uuid.uuid4().hex[:24]}")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
