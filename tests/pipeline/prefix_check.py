"""The preserved-thinking prefix check, as two Anthropic Messages request bodies show it.

A later request of a conversation must carry the same ``system``, the same ``tools`` and every
message of the earlier request unchanged, in order, before what it appends. ``cache_control``
does not count (it may move or go), and neither does JSON key order; everything else does,
whitespace inside a text included. A string ``content`` or ``system`` is one text block.
"""

from __future__ import annotations

from typing import Any


def prefix_break(earlier: dict[str, Any], later: dict[str, Any]) -> str | None:
    """What in ``later`` differs from ``earlier``'s prefix, or None when it only appends."""
    for part in ("system", "tools"):
        before, after = _part(earlier, part), _part(later, part)
        if before != after:
            return f"{part} differs: {_short(before)} then {_short(after)}"
    before, after = _part(earlier, "messages"), _part(later, "messages")
    if len(after) < len(before):
        return f"messages shrank from {len(before)} to {len(after)}"
    for index, (old, new) in enumerate(zip(before, after, strict=False)):
        if old != new:
            return f"messages.{index} differs: {_short(old)} then {_short(new)}"
    return None


def _part(body: dict[str, Any], name: str) -> list[Any]:
    value = body.get(name) or []
    if name == "system":
        return _content(value)
    if name == "messages":
        return [{**_plain(m), "content": _content(m.get("content"))} for m in value]
    return [_plain(item) for item in value]


def _content(value: Any) -> list[Any]:
    if isinstance(value, str):
        return [{"type": "text", "text": value}]
    return [_plain(block) for block in value or []]


def _plain(value: Any) -> Any:
    """``value`` without ``cache_control`` at any depth."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 300 else text[:300] + "…"
