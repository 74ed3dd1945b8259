"""OpenAI Chat Completions messages <-> internal messages, both directions.

:mod:`lynkr.wire.openai_chat` wraps these in the request and response bodies. The asymmetries
live here: a client's ``role: tool`` messages fold into one user turn of tool results (which
also absorbs the user text that follows them), while on the way out tool results become
``role: tool`` messages right after the assistant turn and images inside them move to a user
message after those (tool messages are text).

Legacy function calling has no call ids: an assistant ``function_call`` gets one made from its
message's position (the same on every turn the client resends, so upstream prompt caches
hold), and a ``role: function`` result takes the id of the latest unanswered call of its name.
File parts (``{"type": "file"}``) are read by :func:`file_block`, shared with the Responses
codec.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from collections.abc import Sequence
from typing import Any

from lynkr.errors import InvalidRequest
from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    NativeBlock,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
)
from lynkr.streams import parse_tool_arguments, tool_arguments_text
from lynkr.wire.openai_chat_reasoning import detail_block, details_in
from lynkr.wire.openai_chat_stream import new_call_id

__all__ = ["file_block", "parse_assistant_message", "parse_messages",
           "render_assistant_message", "render_message"]

# --- chat messages -> internal --------------------------------------------------------------


def parse_messages(raw: list[Any]) -> tuple[list[TextBlock], list[Message]]:
    """A client's ``messages`` as (system text, conversation); system/developer turns go to the
    system prompt wherever they appear."""
    system: list[TextBlock] = []
    messages: list[Message] = []
    # True while the last message holds tool results and may still absorb the next user turn.
    tool_turn_open = False
    awaiting: list[ToolUseBlock] = []  # legacy function calls without a result yet
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
        elif role in ("tool", "function"):
            result = _parse_tool_message(item, where) if role == "tool" \
                else _parse_function_message(item, where, awaiting)
            if tool_turn_open:
                messages[-1].content.append(result)
            else:
                messages.append(Message("user", [result]))
            tool_turn_open = True
        elif role == "assistant":
            legacy_id = f"call_function_{i}"
            blocks = parse_assistant_message(item, where, legacy_id=legacy_id)
            awaiting.extend(b for b in blocks if isinstance(b, ToolUseBlock) and b.id == legacy_id)
            messages.append(Message("assistant", blocks))
            tool_turn_open = False
        else:
            raise InvalidRequest(
                f"{where}.role: unknown role {role!r}; expected system, developer, user, "
                "assistant, tool or function", param=f"{where}.role")
    return system, messages


def parse_assistant_message(item: dict[str, Any], where: str,
                            legacy_id: str | None = None) -> list[Block]:
    """An assistant message (request history or upstream answer) as thinking, text, tool uses.

    A legacy ``function_call`` becomes a tool use with id ``legacy_id`` (a new one if None).
    """
    blocks: list[Block] = []
    details = details_in(item.get("reasoning_details"))
    reasoning = item.get("reasoning_content") or item.get("reasoning")
    if details is not None:  # OpenRouter's, to send back whole; ``reasoning`` repeats them
        blocks.extend(detail_block(d) for d in details)
    elif isinstance(reasoning, str) and reasoning:
        blocks.append(ThinkingBlock(reasoning))
    blocks.extend(_content_blocks(item.get("content"), where, images=False))
    refusal = item.get("refusal")
    if isinstance(refusal, str) and refusal and not blocks:
        blocks.append(TextBlock(refusal))
    function_call = item.get("function_call")
    if function_call is not None:
        call = {"id": legacy_id, "function": function_call}
        blocks.append(_parse_tool_call(call, f"{where}.function_call"))
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
               if isinstance(b, TextBlock | ImageBlock | NativeBlock)]
    return ToolResultBlock(call_id, content)


def _parse_function_message(item: dict[str, Any], where: str,
                            awaiting: list[ToolUseBlock]) -> ToolResultBlock:
    """A legacy ``role: function`` result, paired by name with the latest call awaiting one."""
    name = item.get("name")
    if not isinstance(name, str):
        raise InvalidRequest(f"{where}.name: required string for role function",
                             param=f"{where}.name")
    call = next((c for c in reversed(awaiting) if c.name == name), None)
    if call is None:
        raise InvalidRequest(f"{where}: no earlier assistant function_call of {name!r} awaits "
                             "this result", param=f"{where}.name")
    awaiting.remove(call)
    return _parse_tool_message({**item, "tool_call_id": call.id}, where)


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
        if kind == "file" and images:
            file = part.get("file")
            blocks.append(file_block(file if isinstance(file, dict) else {},
                                     f"{where}.content[{j}].file"))
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


_SUPPORTED = "a data: URL (data:<type>;base64,...) of a PDF, text or image file"
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
_TEXT_TYPES = ("application/json", "application/xml", "application/x-yaml", "application/yaml",
               "application/javascript", "application/x-sh", "application/toml")


def file_block(part: dict[str, Any], where: str) -> Block:
    """An inline file (chat ``file`` part, Responses ``input_file``) as a block: a PDF is kept
    whole as an Anthropic ``document`` (other upstreams get its note), text becomes text and
    an image an image, which every upstream reads. Files lynkr would have to fetch (``file_id``,
    ``file_url``) are refused with what is supported instead."""
    data = part.get("file_data")
    if not isinstance(data, str) or not data:
        given = next((k for k in ("file_id", "file_url") if part.get(k)), None)
        what = f"{given} is not supported (lynkr cannot fetch files)" if given \
            else "file_data is required"
        raise InvalidRequest(f"{where}: {what}; send the file inline as file_data, {_SUPPORTED}",
                             param=f"{where}.{given}" if given else where)
    filename = part.get("filename")
    filename = filename if isinstance(filename, str) and filename else None
    media_type, payload = _file_payload(data, filename, where)
    if media_type in _IMAGE_TYPES:
        return ImageBlock(media_type=media_type, data=payload)
    raw = _decoded(payload, where)
    if media_type == "application/pdf" or raw.startswith(b"%PDF"):
        document: dict[str, Any] = {"type": "document", "source": {
            "type": "base64", "media_type": "application/pdf", "data": payload}}
        if filename:
            document["title"] = filename
        return NativeBlock(document, format="anthropic")
    text = raw.decode("utf-8", errors="replace") \
        if media_type.startswith("text/") or media_type in _TEXT_TYPES else _text_or_none(raw)
    if text is None:
        raise InvalidRequest(f"{where}.file_data: {media_type} files are not supported; send "
                             f"{_SUPPORTED}", param=f"{where}.file_data")
    return TextBlock(f"[file {filename}]\n{text}" if filename else text)


def _file_payload(data: str, filename: str | None, where: str) -> tuple[str, str]:
    """(media type, base64) of ``file_data``: a data: URL, or bare base64 typed by its name."""
    if data.startswith("data:"):
        header, comma, payload = data[5:].partition(",")
        if not comma or not header.endswith(";base64"):
            raise InvalidRequest(f"{where}.file_data: not a base64 data: URL; send "
                                 f"{_SUPPORTED}", param=f"{where}.file_data")
        # Parameters (``;name=...``) may sit between the type and ``;base64``.
        return header.split(";", 1)[0] or "application/octet-stream", payload
    guessed = mimetypes.guess_type(filename)[0] if filename else None
    return guessed or "application/octet-stream", data


def _decoded(payload: str, where: str) -> bytes:
    try:
        return base64.b64decode("".join(payload.split()), validate=True)  # wrapped lines too
    except (binascii.Error, ValueError) as exc:
        raise InvalidRequest(f"{where}.file_data: not valid base64; send {_SUPPORTED}",
                             param=f"{where}.file_data") from exc


def _text_or_none(raw: bytes) -> str | None:
    """``raw`` as text when it is UTF-8 without NUL bytes (a file of unknown type)."""
    if b"\0" in raw:
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


# --- internal -> chat messages --------------------------------------------------------------


def render_message(message: Message, *, keep_cache_control: bool = False
                   ) -> list[dict[str, Any]]:
    """One internal message as the chat messages it becomes (a user turn of tool results can
    become several ``role: tool`` messages plus a user message). With ``keep_cache_control``
    a text block or tool result carrying a cache breakpoint (on itself or on a part of its
    content) keeps it on its text part, a one-part list; an answer's breakpoint (on its text
    or on one of its tool calls, which hold none in this format) goes on its text. A
    breakpoint with no text to hold it is dropped: Anthropic refuses one on empty text.

    The chat format reads no native block, so each is written as its note (see
    :meth:`~lynkr.model.NativeBlock.note`) on a line of its own: Claude Code's ToolSearch
    result of two tools read ``[tool a loaded...][tool b loaded...]`` when the notes came in
    as text."""
    if message.role == "assistant":
        answer = render_assistant_message(message.content, notes=True)
        mark = _last_mark(message.content) if keep_cache_control else None
        if mark and answer["content"]:
            answer["content"] = [text_part(answer["content"], mark)]
        return [answer]
    tool_messages: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    rest: list[dict[str, Any]] = []
    for block in message.content:
        if isinstance(block, ToolResultBlock):
            text = _joined(block.content, notes=True)
            mark = _result_mark(block) if keep_cache_control and text else None
            tool_messages.append({"role": "tool", "tool_call_id": block.tool_use_id,
                                  "content": [text_part(text, mark)] if mark else text})
            parts.extend(_image_part(b) for b in block.content if isinstance(b, ImageBlock))
        elif isinstance(block, TextBlock):
            rest.append(text_part(block.text, block.cache_control
                                  if keep_cache_control and block.text else None))
        elif isinstance(block, NativeBlock):
            rest.append(text_part(block.note()))
        elif isinstance(block, ImageBlock):
            rest.append(_image_part(block))
    parts.extend(rest)
    if tool_messages and not parts:
        return tool_messages
    if len(parts) == 1 and parts[0]["type"] == "text" and "cache_control" not in parts[0]:
        return [*tool_messages, {"role": "user", "content": parts[0]["text"]}]
    return [*tool_messages, {"role": "user", "content": parts or ""}]


def _result_mark(block: ToolResultBlock) -> dict[str, Any] | None:
    """A tool result's breakpoint: on the result, or on the last part of it that has one
    (an OpenAI chat client marks the parts of a tool message)."""
    return block.cache_control or next(
        (b.cache_control for b in reversed(block.content)
         if isinstance(b, TextBlock) and b.cache_control), None)


def _last_mark(content: Sequence[Block]) -> dict[str, Any] | None:
    """The breakpoint an answer carries on its text or on a tool call (in ``extra``), the
    last one if several."""
    for block in reversed(content):
        if isinstance(block, TextBlock) and block.cache_control:
            return block.cache_control
        mark = block.extra.get("cache_control") if isinstance(block, ToolUseBlock) else None
        if isinstance(mark, dict):
            return mark
    return None


def _joined(blocks: Sequence[Block], *, notes: bool) -> str:
    """The text of ``blocks`` as one string: text blocks as written, one after another (an
    answer's cited pieces are one text), and with ``notes`` each native block's note on a
    line of its own."""
    joined = ""
    after_note = False
    for block in blocks:
        note = notes and isinstance(block, NativeBlock)
        if not (note or isinstance(block, TextBlock)):
            continue
        text = block.note() if isinstance(block, NativeBlock) else block.text
        if joined and (note or after_note) and not joined.endswith("\n"):
            joined += "\n"
        joined += text
        after_note = note
    return joined


def text_part(text: str, cache_control: dict[str, Any] | None = None) -> dict[str, Any]:
    part: dict[str, Any] = {"type": "text", "text": text}
    if cache_control:
        part["cache_control"] = cache_control
    return part


def render_assistant_message(content: Sequence[Block], *, notes: bool = False
                             ) -> dict[str, Any]:
    """Assistant blocks as one chat message: joined text plus ``tool_calls``. Thinking is
    the caller's to add, in the field its reader knows (``reasoning_content`` for DeepSeek,
    ``reasoning_details`` for OpenRouter). With ``notes`` (a turn going upstream) native
    blocks are written as their notes; an answer to a client leaves them out."""
    text = _joined(content, notes=notes)
    calls = [
        {"id": b.id, "type": "function",
         "function": {"name": b.name, "arguments": tool_arguments_text(b.input)}}
        for b in content if isinstance(b, ToolUseBlock)
    ]
    message: dict[str, Any] = {"role": "assistant", "content": text if text or not calls else None}
    if calls:
        message["tool_calls"] = calls
    return message


def _image_part(block: ImageBlock) -> dict[str, Any]:
    url = block.url if block.data is None else f"data:{block.media_type};base64,{block.data}"
    return {"type": "image_url", "image_url": {"url": url or ""}}
