"""Anthropic Messages <-> the internal model, both directions.

The internal model is Anthropic-shaped, so this is mostly validation: a client body (Claude
Code sends ~24 tools, cache breakpoints, thinking, ``role: "system"`` entries inside
``messages`` and fields newer than this code) must be accepted, and anything malformed must be
rejected with a message naming the offending field.

An Anthropic client's request reaches an Anthropic upstream as it was sent (newer Claude
models refuse or drop thinking when any earlier part changed, see
:mod:`lynkr.wire.anthropic_blocks`): fields, keys and blocks lynkr does not model go along
unchanged, and each ``role: "system"`` message goes back in its place, while every other
reader (optimizers, the router) sees its text folded into the system prompt (other upstream
formats get it in the user turn next to it: :mod:`lynkr.wire.system_entries`).
Blocks (:mod:`lynkr.wire.anthropic_blocks`) and streaming (:mod:`lynkr.wire.anthropic_stream`)
are re-exported.
"""

from __future__ import annotations

from typing import Any

from lynkr.errors import InvalidRequest, UpstreamError
from lynkr.model import (
    Block,
    Message,
    Request,
    Response,
    SystemMessage,
    TextBlock,
    ThinkingBlock,
)
from lynkr.wire.anthropic_blocks import (
    parse_block,
    parse_content,
    parse_tool_choice,
    parse_tools,
    render_block,
    render_tool,
    render_tool_choice,
    unmodelled,
)
from lynkr.wire.anthropic_stream import (
    StreamDecoder,
    StreamEncoder,
    client_message_id,
    parse_transformations,
    parse_usage,
    render_usage,
)
from lynkr.wire.fields import messages_of, model_of, optional
from lynkr.wire.openai_chat_reasoning import carries_detail
from lynkr.wire.structured import instruction, json_output
from lynkr.wire.system_entries import top_level_system
from lynkr.wire.tool_ids import api_tool_id

__all__ = [
    "StreamDecoder", "StreamEncoder", "build_request", "parse_block", "parse_content",
    "parse_request", "parse_response", "render_block", "render_response",
]

# max_tokens for a client that set none (Codex, OpenAI SDKs: "as long as the model can"),
# which the Messages API requires: the smallest output limit among the Claude models that
# think (Opus 4 and 4.1), as Claude Code asks. An older model's smaller limit is learned from
# its refusal (lynkr.providers.upstream_limits). 4,096 cut Codex's long patches short.
DEFAULT_MAX_TOKENS = 32_000
MIN_THINKING_BUDGET = 1024  # the Messages API's smallest budget_tokens
# What a thinking budget that came with no max_tokens leaves at least for the answer.
ANSWER_ROOM = 4096
_MODELLED = frozenset({
    "model", "messages", "system", "tools", "tool_choice", "max_tokens", "temperature", "top_p",
    "stop_sequences", "stream", "thinking", "metadata",
})
_MESSAGE_KEYS = frozenset({"role", "content"})


# --- client request -> internal -------------------------------------------------------------


def parse_request(body: Any) -> Request:
    """Parse a client's Messages body; shapes we cannot accept raise InvalidRequest."""
    raw_messages = messages_of(body)
    model = model_of(body)
    system = _parse_system(body.get("system"))
    messages: list[Message] = []
    placed: list[SystemMessage] = []
    for i, item in enumerate(raw_messages):
        where = f"messages[{i}]"
        if not isinstance(item, dict):
            raise InvalidRequest(f"{where}: must be an object", param=where)
        role = item.get("role")
        blocks = parse_content(item.get("content"), where)
        if role == "system":  # Claude Code 2.x sends them; see SystemMessage
            texts = [b for b in blocks if isinstance(b, TextBlock)]
            system.extend(texts)
            placed.append(SystemMessage(len(messages), item, texts))
        elif role in ("user", "assistant"):
            messages.append(Message(role, blocks, unmodelled(item, _MESSAGE_KEYS)))
        else:
            raise InvalidRequest(f"{where}.role: unknown role {role!r}; expected user, "
                                 "assistant or system", param=f"{where}.role")
    return Request(
        model=model,
        messages=messages,
        system=system,
        tools=parse_tools(body.get("tools")),
        tool_choice=parse_tool_choice(body.get("tool_choice")),
        max_tokens=optional(body, "max_tokens", int, "an integer"),
        temperature=optional(body, "temperature", (int, float), "a number"),
        top_p=optional(body, "top_p", (int, float), "a number"),
        stop=_parse_stop_sequences(body.get("stop_sequences")),
        stream=bool(optional(body, "stream", bool, "a boolean")),
        thinking=optional(body, "thinking", dict, "an object"),
        metadata=optional(body, "metadata", dict, "an object") or {},
        extra={k: v for k, v in body.items() if k not in _MODELLED},
        client_format="anthropic",
        system_messages=placed,
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


def _parse_stop_sequences(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or not all(isinstance(s, str) for s in raw):
        raise InvalidRequest("stop_sequences: must be a list of strings", param="stop_sequences")
    return list(raw)


# --- internal -> upstream request -----------------------------------------------------------


def build_request(request: Request, model: str, *, stream: bool,
                  passthrough_extra: bool) -> dict[str, Any]:
    """The Messages body for an Anthropic upstream.

    ``passthrough_extra`` (the client speaks Anthropic too): top-level fields lynkr does not
    model go along, and ``role: "system"`` messages go back in their places instead of into
    ``system``. Thinking blocks without a signature (they came from another provider) are left
    out: the API rejects them, and they only ever echo the model's own past reasoning. A turn
    that held nothing else is left out with them, as the API refuses empty content (the turns
    around it are then combined, as the API does with consecutive same-role turns).
    """
    body: dict[str, Any] = dict(request.extra) if passthrough_extra else {}
    body["model"] = model
    body["max_tokens"], thinking = output_limits(request)
    placed = request.system_messages if passthrough_extra else []
    system = [render_block(b) for b in (top_level_system(request) if placed else request.system)]
    if not passthrough_extra and (output := json_output(request)) is not None:
        system.append({"type": "text", "text": instruction(output)})
    if system:
        body["system"] = system
    messages: list[dict[str, Any]] = []
    emptied: list[dict[str, Any]] = []  # turns that held only thinking it cannot take
    for m in request.messages_for("anthropic"):
        kept = [_with_api_ids(render_block(b)) for b in m.content if not _foreign_thinking(b)]
        messages.append({**m.extra, "role": m.role, "content": kept})
        if not kept and m.content:
            emptied.append(messages[-1])
    body["messages"] = [m for m in _in_place(messages, placed)
                        if not any(m is e for e in emptied)]
    tools = [render_tool(t) for t in request.tools_for("anthropic")]
    if tools:
        body["tools"] = tools
        if request.tool_choice is not None:
            body["tool_choice"] = render_tool_choice(request.tool_choice)
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


def _with_api_ids(block: dict[str, Any]) -> dict[str, Any]:
    """``block`` with its tool-call id in the form the API accepts (another provider's
    ``functions.Read:0`` is refused; see :mod:`lynkr.wire.tool_ids`)."""
    key = {"tool_use": "id", "tool_result": "tool_use_id"}.get(block["type"])
    if key is None or (valid := api_tool_id(block[key])) == block[key]:
        return block
    return {**block, key: valid}


def _foreign_thinking(block: Block) -> bool:
    """Thinking the API would refuse: unsigned (another provider's reasoning), or carrying an
    OpenRouter ``reasoning_details`` entry, whose signature only OpenRouter can verify ("Invalid
    signature" when a later turn of the same conversation is routed here)."""
    return (isinstance(block, ThinkingBlock) and not block.signature) or carries_detail(block)


def _in_place(messages: list[dict[str, Any]],
              placed: list[SystemMessage]) -> list[dict[str, Any]]:
    """``messages`` with each placed system message back before the message it preceded."""
    if not placed:
        return messages
    out: list[dict[str, Any]] = []
    pending = iter(sorted(placed, key=lambda p: p.position))
    upcoming = next(pending, None)
    for index, message in enumerate(messages):
        while upcoming is not None and upcoming.position <= index:
            out.append(upcoming.raw)
            upcoming = next(pending, None)
        out.append(message)
    while upcoming is not None:
        out.append(upcoming.raw)
        upcoming = next(pending, None)
    return out


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
        return DEFAULT_MAX_TOKENS, {**thinking, "budget_tokens": min(
            budget, DEFAULT_MAX_TOKENS - ANSWER_ROOM)}
    if budget < request.max_tokens or request.client_format == "anthropic":
        return request.max_tokens, thinking
    fitted = request.max_tokens - 1
    return request.max_tokens, ({**thinking, "budget_tokens": fitted}
                                if fitted >= MIN_THINKING_BUDGET else None)


# --- responses, both directions -------------------------------------------------------------


def render_response(response: Response, model: str | None = None) -> dict[str, Any]:
    """The Messages response object a client expects for a complete answer.

    ``model``, when given, is shown instead of the upstream's name: the model the client asked
    for. Claude Code strips the signed thinking from an answer whose model differs from the
    one it asked for (as after switching models), so the upstream's own name broke thinking in
    tool loops; ``x-lynkr-model`` still says what served it.
    """
    out = {
        "id": client_message_id(response.id),
        "type": "message",
        "role": "assistant",
        "model": model or response.model,
        "content": [render_block(b) for b in response.content],
        "stop_reason": response.stop_reason,
        "stop_sequence": response.stop_sequence,
        "usage": render_usage(response.usage),
    }
    if response.input_transformations is not None:
        out["input_transformations"] = response.input_transformations
    return out


def parse_response(body: Any) -> Response:
    """An upstream's Messages response as an internal response; blocks lynkr does not model
    (server tool calls and results, compaction) are kept whole for an Anthropic client."""
    if not isinstance(body, dict):
        raise UpstreamError("upstream returned a message that is not a JSON object")
    if body.get("type") == "error":
        error = body.get("error") if isinstance(body.get("error"), dict) else {}
        raise UpstreamError(f"upstream returned an error: {error.get('message') or body}",
                            kind=str(error.get("type") or "api_error"))
    raw = body.get("content") or []
    if not isinstance(raw, list):
        raise UpstreamError("upstream returned a malformed message: content is not a list")
    try:
        content = [parse_block(block, f"content[{j}]", native_format="anthropic")
                   for j, block in enumerate(raw)]
    except InvalidRequest as exc:
        raise UpstreamError(f"upstream returned a malformed message: {exc}") from exc
    stop_reason = body.get("stop_reason")
    return Response(
        id=str(body.get("id") or ""),
        model=str(body.get("model") or ""),
        content=content,
        stop_reason=stop_reason if isinstance(stop_reason, str) and stop_reason else "end_turn",
        stop_sequence=body.get("stop_sequence"),
        usage=parse_usage(body.get("usage")),
        input_transformations=parse_transformations(body.get("input_transformations")),
    )
