"""Prompt-cache breakpoints for clients that set none (Codex, any OpenAI SDK client, an
Anthropic client that leaves caching to the caller).

Anthropic caches a prompt only up to explicit breakpoints (``cache_control`` on a block; on
Bedrock a ``cachePoint`` after it). A request without any pays full input price for its whole
prefix every time, so a Codex tool loop sent to Claude paid for its ~26K-character
instructions, its tool list and the growing history again on every turn. With breakpoints a
turn reads what the previous one wrote at 0.1x the input price and writes only what is new at
1.25x (the default 5-minute TTL; lynkr never asks for the 1-hour one, which writes at 2x).

Where they go (:func:`with_cache_breakpoints`), at most :data:`MAX_BREAKPOINTS` as the APIs
allow, each on a block that can carry one:

* the end of the tool list and the end of the system prompt: the part of the prefix that
  changes least, still read when the history is rewritten;
* the last block of the newest message: the next turn, which repeats this request and adds
  to it, reads everything up to here;
* the last block of the message the previous turn ended with (the one before the newest
  assistant answer): exactly where the previous turn wrote, so it is read even when one turn
  adds more than 20 blocks (parallel tool calls), the farthest the API looks back for an
  earlier entry from a breakpoint.

Thinking blocks cannot carry ``cache_control`` (400), nor can empty text blocks; blocks lynkr
does not model (server tool results, documents) are left alone. Moving the message
breakpoints forward each turn is what Claude Code does itself, and preserved thinking's prefix
check leaves ``cache_control`` out of its comparison, so signed thinking stays valid. A prefix
shorter than the model's minimum (1,024 tokens for Sonnet and Opus 4.x, 2,048 or 4,096 for
Haiku and the newest Opus) is not cached and not charged as a write, so no length is checked
here.

When (:func:`breakpoints_for_target`): never on a request that carries any ``cache_control``
already (Claude Code places its own, and a client that placed some chose where); only for an
upstream that reads them (Anthropic and Azure-hosted Anthropic; Claude and Nova on Bedrock;
Claude through OpenRouter, see below); and only when the request is likely to be repeated, i.e.
it offers tools or continues a conversation: a one-off question would pay the 1.25x write and
never read it back.

OpenRouter speaks OpenAI chat and hands ``cache_control`` on a content part, a tool message's
text or a tool definition to the Claude model behind it, with Anthropic's prices and its limit
of four. Its Claude models (``anthropic/...``) get the same breakpoints, placed only where the
chat body carries one (``chat=True``): text with something in it and tool results; a tool
call, an image or a turn of tool calls alone has no part to hold it, so the block before it is
marked instead. Gemini and Qwen behind OpenRouter get a client's own breakpoints carried
(:mod:`lynkr.providers.openai_compat`) but none placed here: Gemini 2.5 and later cache
implicitly, and OpenRouter documents explicit caching for named Qwen models only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    Request,
    TextBlock,
    Tool,
    ToolResultBlock,
    ToolUseBlock,
)
from lynkr.wire.bedrock import takes_cache_points

__all__ = ["MAX_BREAKPOINTS", "OPENROUTER_CLAUDE", "breakpoints_for_target",
           "carries_cache_control", "likely_repeated", "reads_breakpoints",
           "with_cache_breakpoints"]

MAX_BREAKPOINTS = 4  # per request, on Anthropic, on Bedrock and through OpenRouter alike
#: OpenRouter's model ids of the family that caches only at breakpoints lynkr places.
OPENROUTER_CLAUDE = "anthropic/"
_KEY = "cache_control"


def breakpoints_for_target(request: Request, family: str | None, model: str, mode: str,
                           *, provider: str | None = None) -> Request:
    """``request`` as it should go to ``model`` on upstream ``provider`` (its
    ``MODEL_PROVIDER`` name), an adapter of ``family``: with breakpoints when ``mode`` is
    ``auto``, the upstream reads them, the request is likely to be repeated and it has none of
    its own; otherwise unchanged (the same object)."""
    if mode != "auto" or not reads_breakpoints(family, model, provider) \
            or not likely_repeated(request):
        return request
    return with_cache_breakpoints(request, chat=family == "openai_chat")


def reads_breakpoints(family: str | None, model: str, provider: str | None = None) -> bool:
    """Whether an upstream of adapter ``family`` serving ``model`` caches at breakpoints: an
    Anthropic Messages endpoint, Bedrock serving a model that takes cache points, or OpenRouter
    serving a Claude model."""
    return (family == "anthropic" or family == "bedrock" and takes_cache_points(model)
            or provider == "openrouter" and model.startswith(OPENROUTER_CLAUDE))


def likely_repeated(request: Request) -> bool:
    """Whether the prefix is likely to be sent again within the cache's TTL: an agent offers
    tools (a tool call brings the same prefix back), and a conversation sends its history
    again on the next turn. A single question without tools usually is not."""
    return bool(request.tools) or len(request.messages) > 1


def carries_cache_control(request: Request) -> bool:
    """Whether the client placed any ``cache_control`` (even an explicit null): on the request
    itself (Anthropic's automatic caching), a tool, a system block, a message or any block."""
    if _KEY in request.extra:
        return True
    if any(_KEY in t.extra or (t.raw is not None and _KEY in t.raw) for t in request.tools):
        return True
    if any(_marked(b) for b in request.system):
        return True
    if any(_KEY in m.extra or any(_marked(b) for b in m.content) for m in request.messages):
        return True
    return any(isinstance(b, dict) and _KEY in b for placed in request.system_messages
               for b in _listed(placed.raw.get("content")))


def with_cache_breakpoints(request: Request, *, chat: bool = False) -> Request:
    """``request`` with breakpoints where an agent loop reads them back (see the module
    docstring); unchanged, the same object, when it carries any ``cache_control`` already or
    nothing in it can take one. ``chat``: it goes out as OpenAI chat, where only text and tool
    results carry one. Blocks and tools that get one are copies: nothing is mutated."""
    if carries_cache_control(request):
        return request
    tools = _mark_last_tool(request.tools)
    system = _mark_last_system(request)
    messages = _mark_messages(request.messages, _carried_in_chat if chat else _markable)
    if tools is request.tools and system is request.system and messages is request.messages:
        return request
    return replace(request, tools=tools, system=system, messages=messages)


# --- where -----------------------------------------------------------------------------------


def _mark_last_tool(tools: list[Tool]) -> list[Tool]:
    """The last tool rendered from its fields gets one. A native tool goes as its raw form (or
    is left out or rebuilt for another format) and a deferred one is not part of the prefix
    until loaded, so neither can hold it."""
    for i in range(len(tools) - 1, -1, -1):
        tool = tools[i]
        if tool.raw is None and tool.extra.get("defer_loading") is not True:
            marked = replace(tool, extra={**tool.extra, _KEY: _ephemeral()})
            return [*tools[:i], marked, *tools[i + 1:]]
    return tools


def _mark_last_system(request: Request) -> list[TextBlock]:
    """The last system block with text gets one, unless it came from a ``role: "system"``
    message (an Anthropic upstream gets that message back in its place, found by identity)."""
    system = request.system
    placed = {id(b) for m in request.system_messages for b in m.blocks}
    if placed and not placed <= {id(b) for b in system}:
        return system  # a rewrite made new blocks: which are whose is no longer certain
    for i in range(len(system) - 1, -1, -1):
        if id(system[i]) not in placed and system[i].text.strip():
            marked = replace(system[i], cache_control=_ephemeral())
            return [*system[:i], marked, *system[i + 1:]]
    return system


def _mark_messages(messages: list[Message],
                   markable: Callable[[Block], bool]) -> list[Message]:
    """The last markable block of the conversation, and the last one of the message the
    previous turn ended with (just before the newest assistant answer)."""
    newest = _last_markable(messages, len(messages), markable)
    if newest is None:
        return messages
    spots = [newest]
    answer = next((i for i in range(len(messages) - 1, -1, -1)
                   if messages[i].role == "assistant"), None)
    if answer is not None \
            and (earlier := _last_markable(messages, answer, markable)) is not None \
            and earlier < newest:
        spots.append(earlier)
    out = list(messages)
    for i, j in spots:  # with the tools' and the system's: MAX_BREAKPOINTS at most
        content = list(out[i].content)
        content[j] = _with_mark(content[j])
        out[i] = replace(out[i], content=content)
    return out


def _last_markable(messages: list[Message], end: int,
                   markable: Callable[[Block], bool]) -> tuple[int, int] | None:
    """(message, block) of the last block before message ``end`` that can carry a
    breakpoint."""
    for i in range(end - 1, -1, -1):
        for j in range(len(messages[i].content) - 1, -1, -1):
            if markable(messages[i].content[j]):
                return i, j
    return None


def _markable(block: Block) -> bool:
    """Text with something in it, a tool call or result, an image. Thinking cannot carry one,
    nor an empty text block (both 400s)."""
    if isinstance(block, TextBlock):
        return bool(block.text.strip())
    return isinstance(block, ToolResultBlock | ToolUseBlock | ImageBlock)


def _carried_in_chat(block: Block) -> bool:
    """What an OpenAI chat body holds a breakpoint on: a text part with something in it (a
    user's, or an answer's text) and a tool result with text (a tool message's one part)."""
    if isinstance(block, TextBlock):
        return bool(block.text.strip())
    return isinstance(block, ToolResultBlock) and bool(block.text.strip())


# --- how -------------------------------------------------------------------------------------


def _ephemeral() -> dict[str, Any]:
    return {"type": "ephemeral"}


def _with_mark(block: Block) -> Block:
    """A copy of ``block`` carrying a breakpoint: in its field where the model has one, in its
    ``extra`` otherwise (written back as a key of the block)."""
    if isinstance(block, TextBlock | ToolResultBlock):
        return replace(block, cache_control=_ephemeral())
    if isinstance(block, ToolUseBlock | ImageBlock):
        return replace(block, extra={**block.extra, _KEY: _ephemeral()})
    return block  # never chosen: see _markable


def _marked(block: Block) -> bool:
    """Whether ``block`` (or a part of a tool result) carries ``cache_control``."""
    if getattr(block, _KEY, None) is not None:
        return True
    extra = getattr(block, "extra", None)
    if isinstance(extra, dict) and _KEY in extra:
        return True
    raw = getattr(block, "raw", None)
    if isinstance(raw, dict) and _KEY in raw:
        return True
    return isinstance(block, ToolResultBlock) and any(_marked(part) for part in block.content)


def _listed(content: Any) -> list[Any]:
    return content if isinstance(content, list) else []
