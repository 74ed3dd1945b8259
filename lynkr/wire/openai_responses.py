"""The OpenAI Responses API (``POST /v1/responses``, what Codex CLI speaks with
``wire_api = "responses"``) to and from the internal model.

Mapping decisions worth knowing:

* ``instructions`` and the ``system``/``developer`` messages that open ``input`` become the
  system prompt. A developer message *after* the conversation started becomes user text, so
  its position (and the upstream's prompt cache prefix) is kept.
* ``function_call`` / ``custom_tool_call`` / ``local_shell_call`` items become tool_use blocks
  in an assistant turn (``id`` = ``call_id``); their ``*_output`` items become tool_result
  blocks in a user turn. Consecutive items of one role merge into one message.
* ``reasoning`` items become thinking blocks: summary (or content) text is the thinking,
  ``encrypted_content`` is the signature, so an upstream's signed thinking survives the round
  trip through a client that sends reasoning back. A reasoning item with only
  ``encrypted_content`` is redacted thinking; one with nothing is dropped, and so is the
  reasoning of an answer cut off before it said or called anything
  (:mod:`lynkr.wire.openai_responses_reasoning`).
* A final ``compaction_trigger`` asks for a summary, answered as one ``compaction`` item;
  a ``compaction`` item lynkr made is read back as its summary
  (:mod:`lynkr.wire.openai_responses_compaction`).
* Item types we cannot model (``web_search_call``, ``item_reference``...) are dropped rather
  than failing the turn: they are server-side records the upstream could not use anyway.
* Tools (functions, custom tools, Codex's ``namespace`` tools and client ``tool_search``,
  server-side kinds, and those of ``additional_tools`` input items, where Codex puts all its
  tools for its newer models) are read by :mod:`lynkr.wire.openai_responses_tools`; a client tool
  search's call and output become a ``tool_search`` call and a result of ``tool_reference``
  blocks carrying each found tool's definition, as Claude Code's ToolSearch results are.
* ``input_file`` parts given inline (``file_data``) are read as the chat codec reads its
  ``file`` parts (:func:`~lynkr.wire.openai_chat_messages.file_block`): a PDF stays whole for
  an Anthropic upstream; files by ``file_id`` / ``file_url`` are refused, lynkr cannot fetch
  them.

Streams are rendered as the real event sequence (see :class:`StreamEncoder`); the final
``response.completed`` carries the same object :func:`render_response` returns. Errors become
``response.failed`` (Codex reads ``response.error``); no separate ``error`` event is sent
because the OpenAI SDK turns any frame with a top-level ``error`` key into an exception and
Codex ignores it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lynkr.errors import InvalidRequest
from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    NativeBlock,
    Request,
    Role,
    TextBlock,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
)
from lynkr.streams import parse_tool_arguments
from lynkr.wire.fields import openai_tool_choice, thinking_for_effort
from lynkr.wire.openai_chat_messages import file_block
from lynkr.wire.openai_responses_compaction import COMPACTION, COMPACTION_PROMPT, summary_block
from lynkr.wire.openai_responses_reasoning import (
    drop_orphan_reasoning,
    item_origin,
    reasoning_block,
)

# One import path per wire format: rendering and streaming live in their own modules.
from lynkr.wire.openai_responses_render import CALL_FORMS
from lynkr.wire.openai_responses_render import render_response as render_response
from lynkr.wire.openai_responses_render import response_to_history as response_to_history
from lynkr.wire.openai_responses_stream import StreamEncoder as StreamEncoder
from lynkr.wire.openai_responses_tools import (
    add_loaded_tools,
    functions,
    parse_tools,
    required_str,
    responses_choice_name,
    upstream_tool_name,
)

CLIENT_FORMAT = "openai_responses"

_MODELED = {
    "model", "input", "instructions", "tools", "tool_choice", "max_output_tokens",
    "temperature", "top_p", "stream", "metadata",
}


# --- request --------------------------------------------------------------------------------


def parse_request(body: Any, *, history: list[Message] | None = None) -> Request:
    """Turn a Responses request body into a :class:`Request`.

    ``history`` is the stored conversation behind ``previous_response_id``, prepended to the
    new input (as the API does); the caller looks it up, this function stays pure.
    """
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise InvalidRequest("`model` is required and must be a string", param="model")
    instructions = body.get("instructions")
    if instructions is not None and not isinstance(instructions, str):
        raise InvalidRequest("`instructions` must be a string", param="instructions")
    system = [TextBlock(instructions)] if instructions else []
    parsed = _parse_input(body.get("input"))
    stream = body.get("stream", False)
    if not isinstance(stream, bool):
        raise InvalidRequest("`stream` must be a boolean", param="stream")
    metadata = body.get("metadata") or {}
    if not isinstance(metadata, dict):
        raise InvalidRequest("`metadata` must be an object", param="metadata")
    before = [(m.role, b) for m in history or [] for b in m.content]
    origins = {len(before) + i: origin for i, origin in parsed.origins.items()}
    messages = _merge_turns(drop_orphan_reasoning(before + parsed.turns, origins))
    tools, forms = parse_tools(body.get("tools"), parsed.additional)
    add_loaded_tools(tools, forms, messages)
    extra = {k: v for k, v in body.items() if k not in _MODELED}
    if forms:
        extra[CALL_FORMS] = forms
    choice = openai_tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"),
                                lambda c: responses_choice_name(c, tools, forms))
    if parsed.compact:
        extra[COMPACTION] = True
        choice = ToolChoice("none")
    return Request(
        model=model,
        messages=messages,
        system=system + parsed.system,
        tools=tools,
        tool_choice=choice,
        max_tokens=_number(body, "max_output_tokens", integer=True),  # type: ignore[arg-type]
        temperature=_number(body, "temperature"),
        top_p=_number(body, "top_p"),
        stream=stream,
        thinking=_thinking(body.get("reasoning")),
        metadata=metadata,
        extra=extra,
        client_format=CLIENT_FORMAT,
    )


@dataclass(slots=True)
class _Input:
    """What a request's ``input`` holds besides its turns."""

    system: list[TextBlock] = field(default_factory=list)  # the leading system text
    turns: list[tuple[Role, Block]] = field(default_factory=list)
    additional: list[Any] = field(default_factory=list)  # tools of additional_tools items
    compact: bool = False  # it ends in a compaction_trigger
    # turn index -> the lynkr response an assistant entry came from (see item_origin)
    origins: dict[int, str] = field(default_factory=dict)


def _parse_input(value: Any) -> _Input:
    if value is None:
        return _Input()
    if isinstance(value, str):
        return _Input(turns=[("user", TextBlock(value))])
    if not isinstance(value, list):
        raise InvalidRequest("`input` must be a string or a list of items", param="input")
    parsed = _Input()
    turns = parsed.turns
    for i, item in enumerate(value):
        param = f"input[{i}]"
        if not isinstance(item, dict):
            raise InvalidRequest(f"{param} must be an object", param=param)
        first = len(turns)
        _parse_item(item, param, parsed)
        origin = item_origin(item)
        if origin is not None:
            parsed.origins.update((j, origin) for j in range(first, len(turns))
                                  if turns[j][0] == "assistant")
    return parsed


def _parse_item(item: dict[str, Any], param: str, parsed: _Input) -> None:
    """Add one input item to ``parsed``."""
    system, turns, additional = parsed.system, parsed.turns, parsed.additional
    kind = item.get("type", "message")
    if kind == "message":
        role = item.get("role")
        blocks = _content_blocks(item.get("content"), f"{param}.content")
        if role in ("system", "developer"):
            texts = [b for b in blocks if isinstance(b, TextBlock)]
            if turns:
                turns.extend(("user", b) for b in texts)
            else:
                system.extend(texts)
        elif role in ("user", "assistant"):
            turns.extend((role, b) for b in blocks)
        else:
            raise InvalidRequest(
                f"{param}.role must be user, assistant, system or developer",
                param=f"{param}.role",
            )
    elif kind in ("function_call", "custom_tool_call", "local_shell_call"):
        turns.append(("assistant", _tool_call(item, kind, param)))
    elif kind in ("function_call_output", "custom_tool_call_output",
                  "local_shell_call_output"):
        call_id = required_str(item, "call_id", param)
        content = _output_blocks(item.get("output"), f"{param}.output")
        turns.append(("user", ToolResultBlock(call_id, content)))
    elif kind == "reasoning":
        block = reasoning_block(item)
        if block is not None:
            turns.append(("assistant", block))
    elif kind in ("tool_search_call", "tool_search_output") \
            and item.get("execution") != "server" and isinstance(item.get("call_id"), str):
        turns.append(_tool_search_turn(item, kind))
    elif kind == "additional_tools":
        tools = item.get("tools")
        if not isinstance(tools, list):
            raise InvalidRequest(f"{param}.tools must be a list", param=f"{param}.tools")
        additional.extend(tools)
    elif kind in ("compaction", "compaction_summary"):
        summary = summary_block(item)
        if summary is not None:
            turns.append(("user", summary))
    elif kind == "compaction_trigger":
        parsed.compact = True
        turns.append(("user", TextBlock(COMPACTION_PROMPT)))


def _tool_search_turn(item: dict[str, Any], kind: str) -> tuple[Role, Block]:
    """A client tool search and what it found, as the call and result of a ``tool_search``
    function; a hosted search's items (no call id) are dropped like other server records."""
    if kind == "tool_search_call":
        arguments = item.get("arguments")
        return "assistant", ToolUseBlock(item["call_id"], "tool_search",
                                         arguments if isinstance(arguments, dict) else {})
    found: list[TextBlock | ImageBlock | NativeBlock] = [
        NativeBlock({"type": "tool_reference", "tool_name": upstream_tool_name(ns, fn["name"]),
                     "namespace": ns, "namespace_description": about, "tool": fn})
        for ns, about, fn in functions(item.get("tools"))]
    return "user", ToolResultBlock(item["call_id"],
                                   found or [TextBlock("No tools matched the search.")])


def _tool_call(item: dict[str, Any], kind: str, param: str) -> ToolUseBlock:
    call_id = required_str(item, "call_id", param)
    if kind == "local_shell_call":
        action = item.get("action")
        return ToolUseBlock(call_id, "local_shell", action if isinstance(action, dict) else {})
    name = required_str(item, "name", param)
    namespace = item.get("namespace")
    if isinstance(namespace, str) and namespace:
        name = upstream_tool_name(namespace, name)
    if kind == "custom_tool_call":
        return ToolUseBlock(call_id, name, {"input": str(item.get("input", ""))})
    arguments = item.get("arguments", "")
    if not isinstance(arguments, str):
        raise InvalidRequest(f"{param}.arguments must be a JSON string",
                             param=f"{param}.arguments")
    return ToolUseBlock(call_id, name, parse_tool_arguments(arguments))


def _content_blocks(content: Any, param: str) -> list[Block]:
    if isinstance(content, str):
        return [TextBlock(content)] if content else []
    if not isinstance(content, list):
        raise InvalidRequest(f"{param} must be a string or a list of parts", param=param)
    blocks: list[Block] = []
    for i, part in enumerate(content):
        where = f"{param}[{i}]"
        if not isinstance(part, dict):
            raise InvalidRequest(f"{where} must be an object", param=where)
        kind = part.get("type")
        if kind in ("input_text", "output_text", "text"):
            blocks.append(TextBlock(required_str(part, "text", where)))
        elif kind == "refusal":
            blocks.append(TextBlock(required_str(part, "refusal", where)))
        elif kind == "input_image":
            blocks.append(_image(part, where))
        elif kind == "input_file":
            blocks.append(file_block(part, where))
        else:
            raise InvalidRequest(f"{where}: content type {kind!r} is not supported", param=where)
    return blocks


def _output_blocks(output: Any, param: str) -> list[TextBlock | ImageBlock | NativeBlock]:
    if isinstance(output, str):
        return [TextBlock(output)]
    blocks = _content_blocks(output, param)
    return [b for b in blocks if isinstance(b, TextBlock | ImageBlock | NativeBlock)]


def _image(part: dict[str, Any], param: str) -> ImageBlock:
    url = part.get("image_url")
    if not isinstance(url, str) or not url:
        raise InvalidRequest(f"{param}: only images given by `image_url` are supported",
                             param=f"{param}.image_url")
    if url.startswith("data:") and ";base64," in url:
        media_type, data = url[5:].split(";base64,", 1)
        return ImageBlock(media_type=media_type or "image/png", data=data)
    return ImageBlock(url=url)


def _merge_turns(turns: list[tuple[Role, Block]]) -> list[Message]:
    messages: list[Message] = []
    for role, block in turns:
        if messages and messages[-1].role == role:
            messages[-1].content.append(block)
        else:
            messages.append(Message(role, [block]))
    return messages


def _thinking(reasoning: Any) -> dict[str, Any] | None:
    if not isinstance(reasoning, dict):
        return None
    return thinking_for_effort(reasoning.get("effort") or "medium")


def _number(body: dict[str, Any], key: str, *, integer: bool = False) -> float | int | None:
    value = body.get(key)
    if value is None:
        return None
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise InvalidRequest(f"`{key}` must be {'an integer' if integer else 'a number'}",
                             param=key)
    return value
