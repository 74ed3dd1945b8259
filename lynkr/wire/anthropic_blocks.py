"""Anthropic Messages content blocks and tools <-> the internal model, both directions.

Import from :mod:`lynkr.wire.anthropic`, which re-exports these.

Newer Claude models check that every earlier part of a conversation comes back exactly as it
was sent (preserved thinking's prefix check), so what a client sends must reach an Anthropic
upstream unchanged: keys the model has no field for (``citations``, ``defer_loading``, a tool's
``cache_control``, a ``strict: false``, an empty ``description``) are kept in ``extra`` and
written back, and block types lynkr does not model (documents, search results, server tool
calls and results) are kept whole as :class:`~lynkr.model.NativeBlock`. Only the JSON value
counts, so a string ``content`` may go back as one text block.
"""

from __future__ import annotations

from typing import Any

from lynkr.errors import InvalidRequest
from lynkr.model import (
    Block,
    ImageBlock,
    NativeBlock,
    RedactedThinkingBlock,
    TextBlock,
    ThinkingBlock,
    Tool,
    ToolChoice,
    ToolResultBlock,
    ToolUseBlock,
)

_CHOICES = ("auto", "any", "tool", "none")
# Keys each modelled shape has fields for; any other key is kept in ``extra``.
_TEXT_KEYS = frozenset({"type", "text", "cache_control"})
_IMAGE_KEYS = frozenset({"type", "source"})
_TOOL_USE_KEYS = frozenset({"type", "id", "name", "input"})
_RESULT_KEYS = frozenset({"type", "tool_use_id", "content", "is_error", "cache_control"})
_TOOL_KEYS = frozenset({"name", "description", "input_schema", "strict"})


def unmodelled(raw: dict[str, Any], known: frozenset[str]) -> dict[str, Any]:
    """The keys of ``raw`` that are not in ``known``, as sent; an explicit
    ``"cache_control": null`` too (the model holds None for it, which is not written)."""
    extra = {k: v for k, v in raw.items() if k not in known}
    if "cache_control" in raw and raw["cache_control"] is None:
        extra["cache_control"] = None
    return extra


# --- client -> internal ---------------------------------------------------------------------


def parse_content(content: Any, where: str) -> list[Block]:
    """A message's ``content``: a string or a list of blocks."""
    if isinstance(content, str):
        return [TextBlock(content)]
    if not isinstance(content, list):
        raise InvalidRequest(f"{where}.content: must be a string or a list of content blocks",
                             param=f"{where}.content")
    return [parse_block(raw, f"{where}.content[{j}]") for j, raw in enumerate(content)]


def parse_block(raw: Any, where: str, native_format: str | None = None) -> Block:
    """One content block; a type we do not model is kept whole (NativeBlock, written in
    ``native_format``: None for the client's own)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("type"), str):
        raise InvalidRequest(f"{where}: must be a content block object with a type", param=where)
    kind = raw["type"]
    if kind == "text":
        return TextBlock(_field(raw, "text", str, where), raw.get("cache_control"),
                         extra=unmodelled(raw, _TEXT_KEYS))
    if kind == "image":
        return _parse_image(raw, where)
    if kind == "tool_use":
        arguments = raw.get("input")
        if arguments is not None and not isinstance(arguments, dict):
            raise InvalidRequest(f"{where}.input: must be an object", param=f"{where}.input")
        return ToolUseBlock(_field(raw, "id", str, where), _field(raw, "name", str, where),
                            arguments or {}, extra=unmodelled(raw, _TOOL_USE_KEYS))
    if kind == "tool_result":
        return _parse_tool_result(raw, where)
    if kind == "thinking":
        signature = raw.get("signature")
        return ThinkingBlock(_field(raw, "thinking", str, where),
                             signature if isinstance(signature, str) and signature else None)
    if kind == "redacted_thinking":
        return RedactedThinkingBlock(_field(raw, "data", str, where))
    return NativeBlock(raw, format=native_format)


def _parse_image(raw: dict[str, Any], where: str) -> ImageBlock | NativeBlock:
    source = raw.get("source")
    if not isinstance(source, dict):
        raise InvalidRequest(f"{where}.source: must be an object", param=f"{where}.source")
    extra = unmodelled(raw, _IMAGE_KEYS)
    if source.get("type") == "base64" and set(source) == {"type", "media_type", "data"}:
        return ImageBlock(media_type=_field(source, "media_type", str, f"{where}.source"),
                          data=_field(source, "data", str, f"{where}.source"), extra=extra)
    if source.get("type") == "url" and set(source) == {"type", "url"}:
        return ImageBlock(url=_field(source, "url", str, f"{where}.source"), extra=extra)
    return NativeBlock(raw)  # a Files API id: only Anthropic itself can read it


def _parse_tool_result(raw: dict[str, Any], where: str) -> ToolResultBlock:
    content = raw.get("content")
    blocks = [] if content is None or content == "" else parse_content(content, where)
    is_error = raw.get("is_error", False)
    if not isinstance(is_error, bool) and is_error is not None:
        raise InvalidRequest(f"{where}.is_error: must be a boolean", param=f"{where}.is_error")
    extra = unmodelled(raw, _RESULT_KEYS)
    if "content" in raw and not blocks:  # "" or []: written back as sent
        extra["content"] = content
    if "is_error" in raw and not is_error:
        extra["is_error"] = raw["is_error"]
    return ToolResultBlock(
        tool_use_id=_field(raw, "tool_use_id", str, where),
        content=[b for b in blocks if isinstance(b, TextBlock | ImageBlock | NativeBlock)],
        is_error=bool(is_error),
        cache_control=raw.get("cache_control"),
        extra=extra,
    )


def parse_tools(raw: Any) -> list[Tool]:
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
        extra = unmodelled(item, _TOOL_KEYS)
        if description == "":
            extra["description"] = ""
        if strict is False:
            extra["strict"] = False
        tools.append(Tool(
            name=_field(item, "name", str, where),
            description=description if isinstance(description, str) else "",
            input_schema=schema if schema is not None else {"type": "object"},
            strict=strict,
            extra=extra,
        ))
    return tools


def parse_tool_choice(raw: Any) -> ToolChoice | None:
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


def _field(raw: dict[str, Any], key: str, type_: type, where: str) -> Any:
    value = raw.get(key)
    if not isinstance(value, type_):
        raise InvalidRequest(f"{where}.{key}: required {type_.__name__}", param=f"{where}.{key}")
    return value


# --- internal -> wire -----------------------------------------------------------------------


def render_block(block: Block) -> dict[str, Any]:
    """One internal block in Messages form (request and response side alike); the keys in
    its ``extra`` go along, under what the model holds."""
    if isinstance(block, TextBlock):
        out: dict[str, Any] = {"type": "text", "text": block.text}
        if block.cache_control is not None:
            out["cache_control"] = block.cache_control
        return {**block.extra, **out} if block.extra else out
    if isinstance(block, ToolUseBlock):
        out = {"type": "tool_use", "id": block.id, "name": block.name, "input": block.input}
        return {**block.extra, **out} if block.extra else out
    if isinstance(block, ToolResultBlock):
        out = {"type": "tool_result", "tool_use_id": block.tool_use_id}
        if block.content:
            out["content"] = [render_block(b) for b in block.content]
        if block.is_error:
            out["is_error"] = True
        if block.cache_control is not None:
            out["cache_control"] = block.cache_control
        return {**block.extra, **out} if block.extra else out
    if isinstance(block, ImageBlock):
        if block.data is None:
            out = {"type": "image", "source": {"type": "url", "url": block.url or ""}}
        else:
            out = {"type": "image", "source": {"type": "base64", "media_type": block.media_type,
                                               "data": block.data}}
        return {**block.extra, **out} if block.extra else out
    if isinstance(block, ThinkingBlock):
        return {"type": "thinking", "thinking": block.thinking, "signature": block.signature or ""}
    if isinstance(block, NativeBlock):
        return block.raw
    return {"type": "redacted_thinking", "data": block.data}


def render_tool(tool: Tool) -> dict[str, Any]:
    if tool.raw is not None:
        return tool.raw
    out: dict[str, Any] = {"name": tool.name}
    if tool.description:
        out["description"] = tool.description
    out["input_schema"] = tool.input_schema
    if tool.strict:  # strict tool use: inputs sampled to match the schema
        out["strict"] = True
    return {**tool.extra, **out} if tool.extra else out


def render_tool_choice(choice: ToolChoice) -> dict[str, Any]:
    out: dict[str, Any] = {"type": choice.type}
    if choice.type == "tool":
        out["name"] = choice.name or ""
    if choice.disable_parallel and choice.type != "none":
        out["disable_parallel_tool_use"] = True
    return out
