"""Small helpers every routing rule module shares: compiled patterns, distinct matches,
clamping to [0, 1]."""

from __future__ import annotations

import re


def rx(pattern: str) -> re.Pattern[str]:
    """Compile once at import time; rules run over multi-line task text."""
    return re.compile(pattern, re.MULTILINE)


def distinct(pattern: re.Pattern[str], text: str) -> list[str]:
    """Distinct matches, in order; repeats of one word say nothing new."""
    seen: dict[str, None] = {}
    for match in pattern.finditer(text):
        seen.setdefault(match.group(0).strip(), None)
    return list(seen)


def clamp(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value
