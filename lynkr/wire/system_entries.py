"""An Anthropic client's ``role: "system"`` entries, put back where the client put them for
upstreams whose format has no such entry (OpenAI chat, Ollama, Bedrock Converse, Gemini).

Claude Code 2.x sends them inside ``messages``, each right after the user turn it belongs to:
the environment after the first prompt (the same on every later turn), a note such as "the
user included the keyword ultrathink" after the prompt that said it, the skills or agents
lists. The parser also folds their text into :attr:`~lynkr.model.Request.system` (every
reader of the system prompt sees it there). Sent that way to another upstream, a new entry
late in a session changes the leading system prompt, so the whole prompt prefix differs from
the previous turn's: no automatic prefix cache (OpenAI, DeepSeek, OpenRouter) and no KV-cache
reuse on a local server, which then reads a 20-40k token prompt again on every turn.

So for those upstreams (:func:`entries_in_turns`) the leading system prompt is the client's
top-level ``system`` alone (:func:`top_level_system`), and each entry's text goes into the
user turn it sits next to, wrapped in ``<system-reminder>`` tags, Claude Code's own wrapper
for context it puts into a user turn. Appended to the user turn right before it (where Claude
Code puts them), else at the start of the next user turn, else at the end of the last one:
that turn is resent unchanged on every later turn, so the prefix holds up to the entry, which
also keeps a thinking model's earlier turns bound to the prefix they were written after.
Into a user turn rather than a ``role: "system"`` message in place, because many local chat
templates (Mistral, Gemma, some llama.cpp jinja ones) refuse a system message after the first
or roles that do not alternate. A breakpoint (``cache_control``) on an entry stays on its
text. No message is added unless the conversation has no user turn at all.
"""

from __future__ import annotations

from dataclasses import replace

from lynkr.model import Block, Message, Request, SystemMessage, TextBlock

__all__ = ["REMINDER_CLOSE", "REMINDER_OPEN", "entries_in_turns", "reminder",
           "top_level_system"]

REMINDER_OPEN = "<system-reminder>\n"
REMINDER_CLOSE = "\n</system-reminder>"


def top_level_system(request: Request) -> list[TextBlock]:
    """The request's system prompt without the text folded in from its ``role: "system"``
    messages: the same objects, or (when a rewrite made new ones) equal blocks, taken from
    the end."""
    if not request.system_messages:
        return request.system
    kept = list(request.system)
    for block in (b for message in reversed(request.system_messages)
                  for b in reversed(message.blocks)):
        index = next((i for i, b in enumerate(kept) if b is block), None)
        if index is None:
            index = next((i for i in range(len(kept) - 1, -1, -1) if kept[i] == block), None)
        if index is not None:
            del kept[index]
    return kept


def reminder(block: TextBlock) -> TextBlock:
    """An entry's text block as the text that goes into a user turn: wrapped in
    ``<system-reminder>`` tags (unless it already is), keeping its breakpoint."""
    text = block.text
    if not text.lstrip().startswith("<system-reminder>"):
        text = f"{REMINDER_OPEN}{text}{REMINDER_CLOSE}"
    return TextBlock(text, block.cache_control)


def entries_in_turns(request: Request) -> Request:
    """``request`` with its system prompt the client's top-level one and each
    ``role: "system"`` entry's text in the user turn next to it (see the module docstring);
    the same object when it has no entries."""
    if not request.system_messages:
        return request
    messages = list(request.messages)
    before: dict[int, list[Block]] = {}  # message index -> reminders to put at its start
    after: dict[int, list[Block]] = {}  # message index -> reminders to put at its end
    orphans: dict[int, list[Block]] = {}  # position -> reminders with no user turn to join
    targets = {"before": before, "after": after, "orphan": orphans}
    for entry in sorted(request.system_messages, key=lambda e: e.position):
        texts: list[Block] = [reminder(b) for b in entry.blocks if b.text]
        if texts:
            where, index = _home(messages, entry)
            targets[where].setdefault(index, []).extend(texts)
    for index in set(before) | set(after):
        message = messages[index]
        messages[index] = replace(message, content=[
            *before.get(index, []), *message.content, *after.get(index, [])])
    for position in sorted(orphans, reverse=True):
        messages.insert(position, Message("user", orphans[position]))
    return replace(request, system=top_level_system(request), messages=messages,
                   system_messages=[])


def _home(messages: list[Message], entry: SystemMessage) -> tuple[str, int]:
    """Where an entry's text goes: ("after", i) at the end of user turn i, ("before", i) at
    the start of it, or ("orphan", position) as a user turn of its own."""
    position = min(max(entry.position, 0), len(messages))
    if position > 0 and messages[position - 1].role == "user":
        return "after", position - 1
    following = next((i for i in range(position, len(messages))
                      if messages[i].role == "user"), None)
    if following is not None:
        return "before", following
    preceding = next((i for i in range(position - 1, -1, -1)
                      if messages[i].role == "user"), None)
    if preceding is not None:
        return "after", preceding
    return "orphan", position
