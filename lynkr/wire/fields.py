"""Typed access to client request fields, shared by the wire codecs: a wrong shape is an
InvalidRequest naming the field (``param``), never a KeyError or TypeError downstream."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lynkr.errors import InvalidRequest
from lynkr.model import ToolChoice


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


def openai_tool_choice(value: Any, parallel: Any, named: Callable[[dict[str, Any]], str | None]
                       ) -> ToolChoice | None:
    """OpenAI's ``tool_choice`` (chat and Responses alike): ``auto`` / ``none`` / ``required``
    or an object naming one tool, which ``named`` reads (the formats nest the name
    differently). Other objects (``allowed_tools``, hosted tools) leave the choice to the
    model. ``parallel_tool_calls: false`` becomes ``disable_parallel``."""
    disable = parallel is False
    if value is None:
        return ToolChoice("auto", disable_parallel=True) if disable else None
    if value in ("auto", "none"):
        return ToolChoice(value, disable_parallel=disable)
    if value == "required":
        return ToolChoice("any", disable_parallel=disable)
    if isinstance(value, dict):
        name = named(value)
        return ToolChoice("tool", name, disable) if name else ToolChoice(
            "auto", disable_parallel=disable)
    raise InvalidRequest('tool_choice: must be "auto", "none", "required" or an object naming '
                         "a tool", param="tool_choice")


# OpenAI reasoning effort -> an Anthropic-style thinking budget (1024 is Anthropic's floor).
_EFFORT_BUDGET = {"minimal": 1024, "low": 2048, "medium": 8192, "high": 24576, "xhigh": 32768}


def thinking_for_effort(effort: Any) -> dict[str, Any] | None:
    """The thinking an OpenAI ``reasoning_effort`` / ``reasoning.effort`` asks for; None for
    none asked (or a value no API knows, left to the upstream that might)."""
    if effort == "none":
        return {"type": "disabled"}
    budget = _EFFORT_BUDGET.get(effort) if isinstance(effort, str) else None
    return {"type": "enabled", "budget_tokens": budget} if budget else None
