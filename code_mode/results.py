"""A tool result as data, narrowed server-side by a JMESPath ``select``, sent as TOON.

Third-party tools often answer with far more than the model needs (whole objects, every
field). ``select`` lets the model ask for the part it wants, and only that part crosses into
its context. What still exceeds ``MAX_RESULT_TOKENS`` is cut (the first items of its biggest
list, or the head of its text) with a note saying how to ask for the rest, as lynkr's own
tools page their output. Pure functions.
"""

from __future__ import annotations

import json
import re
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from mcp.types import CallToolResult, ContentBlock

from lynkr.optimize.compressors.tables import factor_if_it_pays
from lynkr.optimize.toon import encode
from lynkr.tokens import count_tokens

# About what lynkr's own tools send at most per page (read's outline plus head, grep's first
# page of 100 matches): a result past this costs a model more than it can use in one go.
MAX_RESULT_TOKENS = 8_000
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


class SelectError(ValueError):
    """The ``select`` expression is not valid JMESPath."""


def _block_value(block: ContentBlock) -> Any:
    kind = getattr(block, "type", "")
    if kind == "text":
        text = block.text  # type: ignore[union-attr]
        try:
            return json.loads(text)
        except ValueError:
            return text
    if kind in ("image", "audio"):
        data = getattr(block, "data", "") or ""
        # Base64 media is useless to a model as text; say what it is instead.
        return {"type": kind, "mimeType": getattr(block, "mime_type", None),
                "bytes": len(data) * 3 // 4}
    if kind == "resource":
        resource = block.resource  # type: ignore[union-attr]
        return {"type": "resource", "uri": str(resource.uri),
                "text": getattr(resource, "text", None)}
    return block.model_dump(mode="json", by_alias=True, exclude_none=True)


def result_value(result: CallToolResult) -> Any:
    """The result as JSON data: structured content when the server gave it, else the
    content blocks (a lone text block parsed as JSON when it is JSON)."""
    if result.structured_content is not None:
        value = result.structured_content
        # SDK servers wrap non-object returns as {"result": ...}; the wrapper says nothing.
        return value["result"] if list(value) == ["result"] else value
    values = [_block_value(block) for block in result.content]
    return values[0] if len(values) == 1 else values


def apply_select(value: Any, select: str | None) -> Any:
    """``value`` narrowed by the JMESPath expression ``select`` (None: unchanged)."""
    if not select:
        return value
    try:
        return jmespath.search(select, value)
    except JMESPathError as exc:
        raise SelectError(f"invalid select expression {select!r}: {exc}") from exc


def render(value: Any) -> str:
    """Text for the model: strings as they are, everything else as TOON (a table column's
    shared prefix or suffix stated once when that pays, as for tool results)."""
    if isinstance(value, str):
        return value
    return factor_if_it_pays(value, encode(value))


def raw_text(result: CallToolResult) -> str:
    """What the model would have received without Code Mode (the result's JSON)."""
    return json.dumps(result.model_dump(mode="json", by_alias=True, exclude_none=True,
                                        include={"content", "structured_content"}))


def render_capped(value: Any, max_tokens: int = MAX_RESULT_TOKENS) -> str:
    """``render(value)``, cut to about ``max_tokens`` when it is longer: the first items of
    its biggest list (a JMESPath slice for the next ones in the note), else the head of the
    text; the note says how much there was and how to narrow it."""
    text = render(value)
    total = count_tokens(text)
    if total <= max_tokens:
        return text
    path, items = _biggest_list(value)
    if len(items) > 1:
        shown, count = _first_items(value, path, items, total, max_tokens)
        if count:
            where = _jmespath(path)
            step = f"{where}[{count}:{2 * count}]"
            return (f"{shown}\n[cut: {where or 'the result'} has {len(items)} items "
                    f"({total} tokens), the first {count} are shown; use select to keep only "
                    f"what you need, e.g. a field per item, or a slice such as {step}]")
    head = _head(text, total, max_tokens)
    return (f"{head}\n[cut at about {max_tokens} of {total} tokens; use select (JMESPath) "
            "to keep only the part you need]")


def _biggest_list(value: Any, path: tuple[str, ...] = ()) -> tuple[tuple[str, ...], list[Any]]:
    """The longest list in ``value`` reached through object keys only (the part a slice in
    ``select`` can page), with its key path."""
    if isinstance(value, list):
        return path, value
    best: tuple[tuple[str, ...], list[Any]] = (path, [])
    if isinstance(value, dict):
        for key, child in value.items():
            found = _biggest_list(child, (*path, str(key)))
            if len(found[1]) > len(best[1]):
                best = found
    return best


def _with_list(value: Any, path: tuple[str, ...], items: list[Any]) -> Any:
    if not path:
        return items
    return {**value, path[0]: _with_list(value[path[0]], path[1:], items)}


def _first_items(value: Any, path: tuple[str, ...], items: list[Any], total: int,
                 max_tokens: int) -> tuple[str, int]:
    """The rendering with only the first items of the list at ``path`` that fit, and how
    many that is (0 when not even one does)."""
    # Guess from the average item size, then shrink: a few renders, never one per item.
    count = min(len(items) - 1, max(1, len(items) * max_tokens // total))
    while count:
        shown = render(_with_list(value, path, items[:count]))
        if count_tokens(shown) <= max_tokens:
            return shown, count
        count = count * 3 // 4 if count > 1 else 0
    return "", 0


def _head(text: str, total: int, max_tokens: int) -> str:
    """The start of ``text`` within ``max_tokens``, ended at a line break when one is near."""
    chars = len(text) * max_tokens // total
    while chars and count_tokens(text[:chars]) > max_tokens:
        chars = chars * 9 // 10
    head = text[:chars]
    cut = head.rfind("\n")
    return head[:cut] if cut > chars // 2 else head


def _jmespath(path: tuple[str, ...]) -> str:
    return ".".join(key if _IDENTIFIER.match(key) else json.dumps(key) for key in path)
