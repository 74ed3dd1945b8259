"""The memory block each conversation was given, so that its later turns get the same bytes.

Recall follows the newest prompt, so a block recalled afresh on every turn changed the system
prompt turn after turn, and every provider's prompt or KV-prefix cache missed from there on
(Anthropic's cache breakpoints on the messages, OpenAI's automatic prefix caching, llama.cpp
and Ollama's KV reuse). So the first turn's recall is pinned for the conversation and sent
again, byte for byte, on every later turn. It is recalled afresh only when:

- a memory in it is gone: replaced by a changed or reworded fact, forgotten, cleared (one
  by-id read per turn checks this); a block that holds a retired fact would keep telling the
  model the old choice;
- the request is a first turn (no answer in it yet): it opens a conversation, even when the
  same words opened an earlier one (a one-shot question asked again after the project
  learned something gets the new fact);
- lynkr restarted, or the conversation fell out of the bounded table (the least recently
  used of 4,096 go first); then the next turn pins again: one changed prefix, not one per
  turn;
- recall has found nothing so far and the user has typed something new: a session that
  opens on something else ("look at the code here") would otherwise keep memory silent for
  good, though a later prompt ("which formatter do we use?") finds what it needs. The first
  block found is pinned: one changed prefix, as after a restart.

A fact learned *in* the conversation does not refresh the block: it is in the conversation's
own history already, which the model reads; the next conversation gets it from recall.

A conversation is named as everywhere else in lynkr
(:func:`lynkr.providers.bound_conversations.conversation_key`: the client's system prompt
and first user message) together with the project, since two sessions in different
directories can open with the same words. The conversation key holds the client's own session
id where it sends one (:func:`lynkr.routing.affinity.client_session`).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from threading import Lock

from lynkr.model import TextBlock


@dataclass(frozen=True, slots=True)
class PinnedRecall:
    """What one conversation was given: the ids of the memories in ``block``, and ``block``
    itself (None when recall found nothing: recalled again when the user's words change),
    and those words (``query``): a tool loop's turns repeat them, and asking recall the same
    words again cost an embedding and a vector query on every request."""

    memory_ids: tuple[str, ...]
    block: TextBlock | None
    query: str = ""


class MemoryPins:
    """Bounded LRU of each conversation's pinned recall; thread-safe."""

    def __init__(self, max_size: int = 4_096) -> None:
        self._max_size = max(1, max_size)
        self._pins: OrderedDict[tuple[str, str], PinnedRecall] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._pins)

    def get(self, conversation: str, project: str) -> PinnedRecall | None:
        """The recall pinned for ``conversation`` in ``project``, if any."""
        with self._lock:
            pinned = self._pins.get((conversation, project))
            if pinned is not None:
                self._pins.move_to_end((conversation, project))
            return pinned

    def pin(self, conversation: str, project: str, pinned: PinnedRecall) -> None:
        """Keep ``pinned`` for ``conversation`` in ``project``, dropping the least recently
        used conversation when the table is full."""
        with self._lock:
            self._pins[(conversation, project)] = pinned
            self._pins.move_to_end((conversation, project))
            while len(self._pins) > self._max_size:
                self._pins.popitem(last=False)
