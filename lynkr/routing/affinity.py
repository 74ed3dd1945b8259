"""Session affinity: a conversation keeps its tier unless there is a clear reason to move.

Turn-by-turn scores wobble (a "yes, go on" after a design question scores low), and bouncing a
conversation between models loses prompt caches and changes voice mid-task. So: moving up is
immediate; moving down needs the new score to sit ``margin`` below the lower bound of the tier
the conversation is on. Forced decisions (side requests, force patterns) pass through untouched
and are not remembered. Memory is a small LRU keyed by :func:`conversation_id`.
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import replace
from threading import Lock

from lynkr.model import Request
from lynkr.routing.scorer import Decision
from lynkr.routing.weights import DEFAULT_WEIGHTS, TIER_ORDER, Thresholds

_ID_PREFIX = 4_000  # chars of the system prompt and first user message hashed


def conversation_id(request: Request) -> str:
    """A stable id for the conversation: hash of the system prompt, the first user message and
    the client's own session id (:func:`client_session`) when it sends one.

    All three are the same on every turn of one conversation. The prompts alone differ between
    most conversations, but not between two Codex sessions in one directory (both open with
    the same environment context) or two Claude Code sessions opened with the same words: run
    at once, they took each other's tier, tool set and memory block. Only a bounded prefix of
    the prompts is hashed so huge prompts cost nothing."""
    first = next((m.text for m in request.messages if m.role == "user" and m.text), "")
    digest = hashlib.blake2b(digest_size=12)
    digest.update(request.system_text[:_ID_PREFIX].encode("utf-8", "replace"))
    digest.update(b"\x00")
    digest.update(first[:_ID_PREFIX].encode("utf-8", "replace"))
    digest.update(b"\x00")
    digest.update(client_session(request).encode("utf-8", "replace"))
    return digest.hexdigest()


def client_session(request: Request) -> str:
    """The session id the client sends, or "": Codex's ``prompt_cache_key``, Claude Code's
    ``session_id`` inside ``metadata.user_id`` (a JSON string since 2.1)."""
    key = request.extra.get("prompt_cache_key")
    if isinstance(key, str):
        return key
    user = request.metadata.get("user_id") if isinstance(request.metadata, dict) else None
    if isinstance(user, str) and user.startswith("{"):
        try:
            session = json.loads(user).get("session_id")
        except (ValueError, AttributeError):
            return ""
        return session if isinstance(session, str) else ""
    return ""


class Affinity:
    """Bounded LRU of each conversation's current tier; thread-safe."""

    def __init__(self, thresholds: Thresholds = DEFAULT_WEIGHTS.thresholds,
                 margin: float = DEFAULT_WEIGHTS.affinity_margin, max_size: int = 4_096) -> None:
        self._thresholds = thresholds
        self._margin = margin
        self._max_size = max(1, max_size)
        self._tiers: OrderedDict[str, str] = OrderedDict()
        self._lock = Lock()

    def __len__(self) -> int:
        return len(self._tiers)

    def apply(self, conversation_id: str, decision: Decision) -> Decision:
        """The decision to act on: ``decision`` itself, or the held tier when it would drop
        without clearing the margin."""
        if decision.forced:
            return decision
        with self._lock:
            held = self._tiers.get(conversation_id)
            result = decision
            if held is not None and TIER_ORDER.index(decision.tier) < TIER_ORDER.index(held):
                bound = self._thresholds.lower_bound(held)
                if decision.score > bound - self._margin:
                    result = replace(decision, tier=held, reason=(
                        f"{held} held by session affinity (score {decision.score:.2f} within "
                        f"{self._margin:.2f} of {bound:.2f}); scorer said {decision.reason}"))
            self._tiers[conversation_id] = result.tier
            self._tiers.move_to_end(conversation_id)
            while len(self._tiers) > self._max_size:
                self._tiers.popitem(last=False)
            return result
