"""Explicit hints in the user's words: "ultrathink" / "think hard" raise, "quick question" lowers.

- ``user_hint``: "ultrathink" / "think harder" 1, "think hard/deeply/carefully" 0.7, "think
  about/through" 0.35; the scorer also floors the tier on the strong ones.
- ``brevity_hint`` (negative weight): 0.5 per "quick question", "just tell me", "briefly",
  "one sentence" …
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lynkr.routing.patterns import rx as _rx

if TYPE_CHECKING:
    from lynkr.routing.features import Features




_HINT_MAX = _rx(r"\bultrathink\b|\bthink (?:super |very |really |extra )?harder\b|"
                r"\bthink (?:super|very|really|extra|extremely) hard\b|\bmegathink\b")
_HINT_STRONG = _rx(r"\bthink (?:hard|deeply|carefully|long|step by step)\b|"
                   r"\breason (?:carefully|step by step)\b|\btake your time\b")
_HINT_MILD = _rx(r"\bthink (?:about|through)\b|\bconsider carefully\b|\bbe thorough\b")
_BRIEF = _rx(r"quick question|\bquick q\b|simple question|^\s*(?:just|quickly) |"
             r"\bjust (?:tell|give|show|list|print|need)\b|\bbriefly\b|short answer|one-liner|"
             r"tl;?dr|\bone (?:line|sentence|word)\b|yes or no|no need to (?:explain|elaborate)|"
             r"don'?t overthink|\bquickly\b|\btrivial\b|\btypo\b")


def user_hint(f: Features) -> tuple[float, str]:
    for pattern, value in ((_HINT_MAX, 1.0), (_HINT_STRONG, 0.7), (_HINT_MILD, 0.35)):
        match = pattern.search(f.task)
        if match:
            return value, f"user asks: {match.group(0)}"
    return 0.0, "no hint"


def brevity_hint(f: Features) -> tuple[float, str]:
    hits = list(dict.fromkeys(m.group(0).strip() for m in _BRIEF.finditer(f.task)))
    if not hits:
        return 0.0, "no brevity"
    return min(1.0, 0.5 * len(hits)), f"brevity: {', '.join(hits[:4])}"
