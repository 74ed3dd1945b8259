"""Tool-call ids in the form Anthropic and Bedrock accept (pure).

Both refuse a ``tool_use`` id (Bedrock: ``toolUseId``) outside ``^[a-zA-Z0-9_-]+$``, and
Bedrock one over 64 characters. Other providers mint ids of other shapes: Kimi and Moonshot
``functions.Read:0``, some OpenAI-compatible servers ids with dots or colons. A conversation
that began on one of them and is then routed to Claude (a tier switch, a fallback) would be
refused with a 400 on every later turn, since each carries the id again. So an id goes to
those APIs through :func:`api_tool_id`, which leaves a valid id as it is and maps any other
to a valid one, the same way for a call and its result, so they still pair. The client keeps
the id it was given: only the upstream's copy of the history changes.
"""

from __future__ import annotations

import hashlib
import re

_VALID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")
_LIMIT = 64


def api_tool_id(tool_id: str) -> str:
    """``tool_id`` when Anthropic and Bedrock accept it, else a valid id that only
    ``tool_id`` maps to (its cleaned text, cut, and a digest of the original)."""
    if _VALID.fullmatch(tool_id):
        return tool_id
    digest = hashlib.sha256(tool_id.encode()).hexdigest()[:12]
    cleaned = _UNSAFE.sub("_", tool_id)[:_LIMIT - len(digest) - 1]
    return f"{cleaned}_{digest}" if cleaned else f"toolu_{digest}"
