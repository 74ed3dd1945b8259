"""Where the text left out of lossy tool results waits until the model asks for it.

Lossy compression is only safe if nothing is really lost: the dropped text is kept here under
an id derived from its content, and the compressed result names that id so the model can call
``lynkr_expand``. Ids are content hashes, so the same omitted text gets the same id on every
turn (the compressed request is byte-stable and the provider's prompt cache keeps working) and
storing it twice costs nothing.

The store is bounded in bytes (least recently used entries go first) and in age (``ttl``);
an expired id answers ``None`` and the caller tells the model to re-run the tool. Storing,
refreshing and reading all count as use and restart an entry's clock.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

__all__ = ["ExpandStore", "expand_id"]

ID_LENGTH = 12  # hex digits: 48 bits, collision-free for any realistic store size


def expand_id(text: str) -> str:
    """The id a text is stored under: a prefix of its SHA-256."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:ID_LENGTH]


class ExpandStore:
    """A bounded, expiring, thread-safe map of content id -> omitted text."""

    def __init__(
        self,
        max_bytes: int = 64 * 1024 * 1024,
        ttl_seconds: float = 3600.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_bytes = max_bytes
        self.ttl_seconds = ttl_seconds
        self._clock = clock
        self._entries: OrderedDict[str, tuple[str, float, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, text: str) -> str:
        """Store ``text`` (or refresh it if already there) and return its id.

        A text larger than ``max_bytes`` cannot be kept; callers check :meth:`fits` first.
        """
        key = expand_id(text)
        self.refresh(key, text)
        return key

    def refresh(self, key: str, text: str) -> None:
        """Store ``text`` under a known id, or make an existing entry young and recent again.

        Used when a cached compression is re-sent: its omitted text must stay expandable for
        as long as the conversation keeps showing the marker.
        """
        size = _size(text)
        with self._lock:
            now = self._clock()
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[2]
            if size > self.max_bytes:
                return
            self._entries[key] = (text, now, size)
            self._bytes += size
            self._evict(now)

    def get(self, key: str) -> str | None:
        """The text stored under ``key``, or None if unknown or expired."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if self._clock() - entry[1] > self.ttl_seconds:
                del self._entries[key]
                self._bytes -= entry[2]
                return None
            # Reading counts as use: the conversation still refers to this text.
            self._entries[key] = (entry[0], self._clock(), entry[2])
            self._entries.move_to_end(key)
            return entry[0]

    def fits(self, text: str) -> bool:
        """Whether ``text`` is small enough to be kept at all."""
        return _size(text) <= self.max_bytes

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __len__(self) -> int:
        return len(self._entries)

    def __bool__(self) -> bool:
        # An empty store is still a store: `store or ExpandStore()` must not replace it.
        return True

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def _evict(self, now: float) -> None:
        # Entries are in recency order and refreshes restamp them, so the oldest stamps
        # are at the front: expired ones go first, then LRU until the budget holds.
        while self._entries:
            key, (_, stamp, size) = next(iter(self._entries.items()))
            if now - stamp <= self.ttl_seconds and self._bytes <= self.max_bytes:
                break
            del self._entries[key]
            self._bytes -= size


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))
