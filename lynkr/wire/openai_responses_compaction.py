"""Remote compaction on the Responses API, answered by an upstream of any format (pure).

Codex's built-in OpenAI provider compacts a long conversation by sending it with a final
``{"type": "compaction_trigger"}`` input item, and wants back exactly one ``compaction`` output
item ("remote compaction v2 expected exactly one compaction output item"); later turns send
that item back in place of the turns it summarises. Its ``encrypted_content`` is opaque to
the client, so lynkr puts its own summary there, behind :data:`SUMMARY_MARKER`:

* the trigger becomes a request for a summary (:data:`COMPACTION_PROMPT`, in the spirit of
  Codex's own local compaction prompt), with tools still declared (a history of tool calls
  needs them on Anthropic) but not to be called;
* the answer's text is rendered as one ``compaction`` item (:func:`compaction_item`);
* a ``compaction`` input item lynkr made becomes that summary as user text
  (:func:`summary_block`); one made by OpenAI is encrypted for OpenAI alone and is dropped.
"""

from __future__ import annotations

from typing import Any

from lynkr.model import Request, Response, TextBlock

# Request.extra key marking a request whose answer is a compaction item.
COMPACTION = "lynkr_compaction"
# What lynkr's own compaction items' encrypted_content starts with.
SUMMARY_MARKER = "lynkr-summary:v1:"

COMPACTION_PROMPT = (
    "The conversation above is about to be compacted: it will be replaced by the summary "
    "you write now, and another model will carry on the work from that summary alone. Do "
    "not call any tool. Write a concise, structured handoff summary covering:\n"
    "- what the user asked for, and their constraints and preferences\n"
    "- the progress made and the key decisions taken, with their reasons\n"
    "- the files, commands, identifiers and data needed to continue\n"
    "- what remains to be done, as clear next steps"
)
SUMMARY_INTRO = (
    "Earlier turns of this conversation were compacted into the summary below. Build on it "
    "and do not repeat work it says is done.\n\n"
)


def is_compaction(request: Request | None) -> bool:
    """The request ended in a ``compaction_trigger``: its answer is one compaction item."""
    return bool(request) and bool(request.extra.get(COMPACTION))


def summary_block(item: dict[str, Any]) -> TextBlock | None:
    """The summary a ``compaction`` input item carries, as text for the upstream; None for
    an item lynkr did not make (its content is encrypted for OpenAI's servers)."""
    content = item.get("encrypted_content")
    if not isinstance(content, str) or not content.startswith(SUMMARY_MARKER):
        return None
    return TextBlock(SUMMARY_INTRO + content.removeprefix(SUMMARY_MARKER))


def summary_text(response: Response) -> str:
    """The summary the upstream wrote: the answer's text (any tool call it made anyway is
    left out; there is no place for one in a compaction)."""
    return "".join(b.text for b in response.content if isinstance(b, TextBlock)).strip()


# A compaction item replaces the client's whole history: one without a summary (the upstream
# answered with a tool call only, or nothing) would erase it. The turn fails instead.
NO_SUMMARY = ("the upstream wrote no summary for the compaction; the history was left as it "
              "was")


def compaction_item(response_id: str, summary: str) -> dict[str, Any]:
    """The one ``compaction`` output item answering a trigger."""
    return {"id": compaction_item_id(response_id), "type": "compaction",
            "encrypted_content": SUMMARY_MARKER + summary}


def compaction_item_id(response_id: str) -> str:
    return f"cmp_{response_id.removeprefix('resp_')}_0"
