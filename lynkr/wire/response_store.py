"""Conversations behind Responses API ids, so ``previous_response_id`` can continue them.

The Responses API is stateful: a client may send only the new input plus the id of the last
response. Upstreams we route to are stateless, so we keep each finished turn's conversation
here and the app prepends it (``parse_request(..., history=...)``). In memory, bounded (least
recently used entries go first) and expiring: a proxy restart forgets, which the client sees
as the 404 the real API gives for an unknown id.
"""

from __future__ import annotations

import copy
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from lynkr.errors import NotFound
from lynkr.model import Message, TextBlock


class ResponseStore:
    """Bounded LRU + TTL map ``response_id -> (messages, system)``.

    Operations are short and never await, so they are atomic within one event loop; a lock
    makes them safe from worker threads too. ``clock`` is injectable for tests.
    """

    def __init__(self, max_entries: int = 1000, ttl_seconds: float = 3600,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, list[Message], list[TextBlock]]] = (
            OrderedDict())
        self._lock = threading.Lock()

    def put(self, response_id: str, messages: list[Message], system: list[TextBlock]) -> None:
        """Remember the conversation that ``response_id`` ended."""
        with self._lock:
            self._entries[response_id] = (self._clock(), list(messages), list(system))
            self._entries.move_to_end(response_id)
            self._evict()

    def get(self, response_id: str) -> tuple[list[Message], list[TextBlock]] | None:
        """The conversation behind ``response_id``, or None if unknown or expired.

        Returns copies: optimizers rewrite request blocks in place, and that must not change
        what a later turn continues from.
        """
        with self._lock:
            entry = self._entries.get(response_id)
            if entry is None:
                return None
            stored_at, messages, system = entry
            if self._clock() - stored_at > self.ttl_seconds:
                del self._entries[response_id]
                return None
            self._entries.move_to_end(response_id)
        return copy.deepcopy(messages), copy.deepcopy(system)

    def __len__(self) -> int:
        return len(self._entries)

    def _evict(self) -> None:
        now = self._clock()
        expired = [key for key, (at, _, _) in self._entries.items()
                   if now - at > self.ttl_seconds]
        for key in expired:
            del self._entries[key]
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)


def previous_response_not_found(response_id: str) -> NotFound:
    """The error for an unknown ``previous_response_id``, worded as the OpenAI API words it."""
    return NotFound(f"Previous response with id '{response_id}' not found.",
                    param="previous_response_id")
