"""Conversations whose thinking an Anthropic-family upstream refused as bound to a different
conversation, and the one retry that gets them going again.

When something before a thinking block changed since Claude produced it (a client, or lynkr
itself, edited the history), newer Claude models refuse the request with a 400. Sending the
same body again cannot work, since the history still holds the change; the documented way out
is ``drop_block`` (:mod:`lynkr.wire.thinking_binding`), which drops the invalid thinking and
answers. The API does not remember it, so the conversation is remembered here and its later
requests carry ``drop_block`` from the start (after a restart it costs one more refused
request). A request whose client chose a behaviour itself is left alone, and so is a tampered
signature's bare 400, which ``drop_block`` does not cover. When the retry is refused too, the
client gets the first refusal as it was: Claude Code recognises it and strips its thinking.

Bedrock reads the beta in the body and drops by default once it is named, so there only the
beta is added (its documentation and Anthropic's name the field differently).
"""

from __future__ import annotations

import dataclasses
import logging
from collections import OrderedDict
from threading import Lock

from lynkr.errors import UpstreamError
from lynkr.model import Request
from lynkr.routing.affinity import conversation_id
from lynkr.wire.anthropic import top_level_system
from lynkr.wire.thinking_binding import (
    BINDING_BETA,
    is_bound_elsewhere,
    merge_betas,
    mismatch_behavior,
    what_changed,
    with_drop_block,
)

log = logging.getLogger("lynkr.thinking")

_MESSAGES_FAMILY = frozenset({"anthropic", "azure-anthropic"})


def conversation_key(request: Request) -> str:
    """The pipeline's conversation id, over the client's own system prompt (the text of its
    ``role: "system"`` messages, which changes every turn, left out)."""
    return conversation_id(dataclasses.replace(request, system=top_level_system(request)))


def binds_thinking(target: object) -> bool:
    """Whether ``target`` (``provider:model``) serves Claude through an API that checks
    thinking blocks: Anthropic, Azure-hosted Anthropic, Claude on Bedrock."""
    provider, _, model = str(target).partition(":")
    return provider in _MESSAGES_FAMILY or provider == "bedrock" and "claude" in model.lower()


class BoundConversations:
    """Bounded LRU of conversations sent with ``drop_block``; thread-safe."""

    def __init__(self, max_size: int = 4096) -> None:
        self._max_size = max(1, max_size)
        self._keys: OrderedDict[str, None] = OrderedDict()
        self._lock = Lock()

    def remembers(self, request: Request) -> bool:
        """Whether ``request``'s conversation goes with ``drop_block``."""
        with self._lock:
            return conversation_key(request) in self._keys

    def apply(self, request: Request, target: object) -> Request:
        """``request`` with ``drop_block`` when its conversation was refused before."""
        if not binds_thinking(target) or mismatch_behavior(request.thinking) is not None:
            return request
        key = conversation_key(request)
        with self._lock:
            if key not in self._keys:
                return request
            self._keys.move_to_end(key)
        return _dropping(request, target)

    def learn(self, request: Request, target: object, error: UpstreamError) -> Request | None:
        """The request to send once more after ``error``, or None when it is not a prefix
        mismatch lynkr may answer with ``drop_block``."""
        if error.status != 400 or error.kind != "invalid_request_error" \
                or not is_bound_elsewhere(error.message) or not binds_thinking(target):
            return None
        key = conversation_key(request)
        if mismatch_behavior(request.thinking) is not None:
            # The client chose (then it is its answer), or lynkr's drop_block was not heard.
            self._forget(key)
            return None
        with self._lock:
            self._keys[key] = None
            self._keys.move_to_end(key)
            while len(self._keys) > self._max_size:
                self._keys.popitem(last=False)
        log.warning("%s refused thinking as bound to a different conversation (%s); sent "
                    "again with drop_block, as every later request of this conversation "
                    "will be", target, what_changed(error.message) or "no change named")
        return _dropping(request, target)

    def after_retry(self, request: Request, target: object, first: UpstreamError,
                    again: UpstreamError) -> UpstreamError:
        """What the client gets when the request :meth:`learn` returned fails as well: the
        first refusal, unchanged, when the retry was refused too (its own strip-and-retry
        reads it), and the conversation is no longer sent with ``drop_block``."""
        if again.retryable or self.learn_would_not(request, target, first):
            return again
        self._forget(conversation_key(request))
        log.warning("%s refused the drop_block retry too (%s); the client gets the first "
                    "refusal", target, again.message)
        return first

    def learn_would_not(self, request: Request, target: object, first: UpstreamError) -> bool:
        """Whether ``first`` was not a refusal :meth:`learn` answers with a retry."""
        return first.status != 400 or not is_bound_elsewhere(first.message) \
            or not binds_thinking(target) or mismatch_behavior(request.thinking) is not None

    def _forget(self, key: str) -> None:
        with self._lock:
            self._keys.pop(key, None)


def _dropping(request: Request, target: object) -> Request:
    """``request`` as sent with ``drop_block``: the beta named, and (but on Bedrock, where
    the beta alone makes it the default) the behaviour set."""
    betas = merge_betas(request.betas, [BINDING_BETA])
    if str(target).startswith("bedrock:"):
        return dataclasses.replace(request, betas=betas)
    return dataclasses.replace(request, betas=betas, thinking=with_drop_block(request.thinking))
