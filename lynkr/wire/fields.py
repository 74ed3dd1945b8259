"""Typed access to client request fields, shared by the wire codecs: a wrong shape is an
InvalidRequest naming the field (``param``), never a KeyError or TypeError downstream."""

from __future__ import annotations

from typing import Any

from lynkr.errors import InvalidRequest


def messages_of(body: Any) -> list[Any]:
    """The ``messages`` list of a chat-shaped body (Anthropic Messages, OpenAI chat)."""
    if not isinstance(body, dict):
        raise InvalidRequest("request body must be a JSON object")
    raw = body.get("messages")
    if not isinstance(raw, list):
        problem = "field required" if raw is None else "must be a list of messages"
        raise InvalidRequest(f"messages: {problem}", param="messages")
    return raw


def model_of(body: dict[str, Any]) -> str:
    model = body.get("model", "")
    if not isinstance(model, str):
        raise InvalidRequest("model: must be a string", param="model")
    return model


def optional(body: dict[str, Any], key: str, types: type | tuple[type, ...], what: str) -> Any:
    """``body[key]`` if present and of ``types`` (a boolean never passes as a number), else
    None."""
    value = body.get(key)
    if value is None:
        return None
    wants_bool = bool in (types if isinstance(types, tuple) else (types,))
    if not isinstance(value, types) or (isinstance(value, bool) and not wants_bool):
        raise InvalidRequest(f"{key}: must be {what}", param=key)
    return value
