"""A tool result as data, narrowed server-side by a JMESPath ``select``, sent as TOON.

Third-party tools often answer with far more than the model needs (whole objects, every
field). ``select`` lets the model ask for the part it wants, and only that part crosses into
its context. Pure functions.
"""

from __future__ import annotations

import json
from typing import Any

import jmespath
from jmespath.exceptions import JMESPathError
from mcp.types import CallToolResult, ContentBlock

from lynkr.optimize.compressors.tables import factor_if_it_pays
from lynkr.optimize.toon import encode


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
