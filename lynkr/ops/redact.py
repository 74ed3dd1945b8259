"""Secret redaction for anything a person reads: log lines, the dashboard, error messages
that echo upstream text (an upstream's "invalid key sk-..." must not leak the key further)."""

from __future__ import annotations

import re

MASK = "[REDACTED]"

_PATTERNS = [
    # Bearer tokens and Basic credentials, whatever follows the scheme.
    re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{6,}"),
    # Provider key shapes: OpenAI/Anthropic/OpenRouter sk-..., Google AIza..., AWS AKIA...
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bdapi[0-9a-f]{20,}\b"),
]
# key=value / "key": "value" pairs whose name says they are secret.
_NAMED = re.compile(
    r"(?i)(?P<name>[\"']?(?:x-)?(?:api[_-]?key|access[_-]?token|auth[_-]?token|secret"
    r"(?:[_-]?access[_-]?key)?|password|admin[_-]?token)[\"']?\s*[:=]\s*[\"']?)"
    r"(?P<value>[^\s\"',;&}]{4,})")


def redact(text: str) -> str:
    """``text`` with API keys, bearer tokens and named secrets replaced by ``[REDACTED]``."""
    if not text:
        return text
    text = _NAMED.sub(lambda m: m.group("name") + MASK, text)
    for pattern in _PATTERNS:
        text = pattern.sub(_mask_keep_scheme, text)
    return text


def _mask_keep_scheme(match: re.Match[str]) -> str:
    scheme = match.group(1) if match.re.groups else None
    return f"{scheme} {MASK}" if scheme else MASK
