"""Reasoning items of the Responses API <-> thinking blocks (pure).

The thinking text goes in the item's ``content`` (``reasoning_text``: what the model
thought), and in ``summary`` too only when the request asked for one (``reasoning.summary``
other than ``none``), so a client that asked for no summary shows none
(:func:`wants_summary`); Codex sends ``content`` back as it got it, and it is read first.

``encrypted_content`` is opaque to the client: lynkr puts a thinking block's signature there
behind :data:`THINKING_MARKER`, so a thinking block with empty text (Anthropic with the
thinking display omitted) comes back as thinking, not as redacted thinking carrying a
signature as its data, which Anthropic refuses. An item without the marker (older lynkr,
another server) is read as before: text is thinking signed by ``encrypted_content``,
``encrypted_content`` alone is redacted thinking.

A turn cut off upstream after a finished thinking block leaves the client an item of
reasoning alone, which it keeps in its history; :func:`drop_orphan_reasoning` leaves such
reasoning out of what the upstream is sent.
"""

from __future__ import annotations

import re
from typing import Any

from lynkr.model import Block, RedactedThinkingBlock, Request, Role, ThinkingBlock

THINKING_MARKER = "lynkr.thinking:"

# lynkr's own output item ids: {kind}_{response}_{index} (see render.item_id).
_OWN_ITEM_ID = re.compile(r"^[a-z]+_([0-9a-f]{32})_\d+$")


def reasoning_block(item: dict[str, Any]) -> ThinkingBlock | RedactedThinkingBlock | None:
    """The thinking a ``reasoning`` input item carries; None for an item with nothing."""
    parts = item.get("content") or item.get("summary") or []
    text = "".join(p.get("text", "") for p in parts if isinstance(p, dict))
    encrypted = item.get("encrypted_content") or None
    if isinstance(encrypted, str) and encrypted.startswith(THINKING_MARKER):
        return ThinkingBlock(text, encrypted.removeprefix(THINKING_MARKER) or None)
    if text:
        return ThinkingBlock(text, encrypted)
    return RedactedThinkingBlock(encrypted) if encrypted else None


def reasoning_item(block: ThinkingBlock | RedactedThinkingBlock, item_id: str,
                   request: Request | None, *, status: str = "completed") -> dict[str, Any]:
    """The ``reasoning`` output item for a thinking block (without its text while in
    progress)."""
    item: dict[str, Any] = {"id": item_id, "type": "reasoning", "summary": []}
    if isinstance(block, RedactedThinkingBlock):
        if status == "completed":
            item["encrypted_content"] = block.data
        return item
    item["content"] = []
    if status != "completed":
        return item
    if block.thinking:
        item["content"] = [{"type": "reasoning_text", "text": block.thinking}]
        if wants_summary(request):
            item["summary"] = [{"type": "summary_text", "text": block.thinking}]
    if block.signature:
        item["encrypted_content"] = THINKING_MARKER + block.signature
    return item


def wants_summary(request: Request | None) -> bool:
    """The request asked for reasoning summaries (``reasoning.summary`` set, not ``none``)."""
    reasoning = request.extra.get("reasoning") if request else None
    summary = reasoning.get("summary") if isinstance(reasoning, dict) else None
    return isinstance(summary, str) and summary not in ("", "none")


def item_origin(item: dict[str, Any]) -> str | None:
    """The lynkr response an output item sent back came from, read from its id."""
    match = _OWN_ITEM_ID.match(str(item.get("id") or ""))
    return match.group(1) if match else None


def drop_orphan_reasoning(turns: list[tuple[Role, Block]], origins: dict[int, str]
                          ) -> list[tuple[Role, Block]]:
    """``turns`` without the reasoning of answers that produced nothing else.

    ``origins`` maps the index of an assistant turn entry to the lynkr response it came
    from. Within one run of assistant entries, reasoning is dropped when its response gave
    no text or call in that run while another of lynkr's did (a cut answer, followed by
    the retry's items); a run of
    nothing but reasoning is dropped whatever its origin: sent last it would be a prefill
    no API takes with thinking on (Anthropic: a trailing thinking-only message; OpenAI
    chat: an empty assistant message), and elsewhere it carries nothing to continue from.
    """
    keep = [True] * len(turns)
    start = 0
    while start < len(turns):
        end = start
        while end < len(turns) and turns[end][0] == turns[start][0]:
            end += 1
        if turns[start][0] == "assistant":
            _mark_orphans(turns, origins, range(start, end), keep)
        start = end
    return [turn for turn, kept in zip(turns, keep, strict=True) if kept]


def _mark_orphans(turns: list[tuple[Role, Block]], origins: dict[int, str], run: range,
                  keep: list[bool]) -> None:
    thinking = [i for i in run if _is_reasoning(turns[i][1])]
    if len(thinking) == len(run):
        for i in run:
            keep[i] = False
        return
    # Judged only against answers known to be lynkr's: a client that keeps no item ids
    # leaves nothing to tell a cut answer from the one that goes on.
    answered = {origins[i] for i in run if i not in thinking and i in origins}
    for i in thinking:
        if i in origins and answered and origins[i] not in answered:
            keep[i] = False


def _is_reasoning(block: Block) -> bool:
    return isinstance(block, ThinkingBlock | RedactedThinkingBlock)
