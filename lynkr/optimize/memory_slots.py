"""When a new fact takes back an earlier one: "We use yarn" then "We use pnpm now".

Embeddings do not see a changed choice as a restatement: "I prefer tabs" and "I prefer
spaces" are 0.50 apart with lynkr's embedder, "We use yarn" and "We use pnpm" 0.36, so both
sides of a change were kept and both were recalled into later prompts. Two readings find the
change instead, and :func:`replaces` holds when either does:

- :func:`changes_setting` reads a fact as a *template* with *values*: numbers and members of
  the choice groups (:data:`lynkr.optimize.memory_choices.CHOICES`) are the values, every
  other word is the template. Two facts about the same template whose values differ in
  exactly one place, or are swapped, state two settings of one thing ("The API runs on port
  8080" / "... 9090"). Symmetric, and narrow: a word outside the groups is template ("We use
  pytest" and "We use docker" both hold), facts differing in two places ("service 1 runs on
  port 8001" / "service 2 ... 8002") are different things, languages are not values ("single
  quotes in Python" and "... in Go" both hold), and words that only mark the change ("now",
  "instead", "here", "in this project") are dropped first.
- :func:`lynkr.optimize.memory_choices.takes_back` reads what a fact chooses and drops per
  group, for the phrasings whose templates differ: "We don't use yarn anymore, we use pnpm
  now", "Let's use pnpm instead of yarn", "We switched to pnpm", "We moved the database to
  MySQL", "Never use double quotes, use single quotes".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from lynkr.optimize.memory_choices import GROUP_OF, takes_back

_CHANGE_MARKERS = re.compile(r"\b(?:from\s+now\s+on|going\s+forward|these\s+days|now|instead"
                             r"|anymore|any\s+more|really|strongly|actually|rather|here"
                             r"|(?:in|for|across)\s+(?:this|the|our)\s+(?:project|repo"
                             r"|repository|codebase))\b")
_WORD = re.compile(r"[\w#+]+(?:[.\-][\w#+]+)*")
_NUMBER = re.compile(r"\d+(?:\.\d+)*")


@dataclass(frozen=True, slots=True)
class Slot:
    """A fact read as ``template`` (placeholders where values were) and its ``values``."""

    template: str
    values: tuple[str, ...]

    @property
    def key(self) -> str | None:
        """A short stable name of the template, or None when the fact has no values (then
        nothing can replace it this way)."""
        if not self.values:
            return None
        return hashlib.sha256(self.template.encode()).hexdigest()[:16]


def slot_of(fact: str) -> Slot:
    """Read ``fact`` as a template and its values (pure; case and punctuation ignored)."""
    words: list[str] = []
    values: list[str] = []
    for word in _WORD.findall(_CHANGE_MARKERS.sub(" ", fact.lower())):
        if _NUMBER.fullmatch(word):
            words.append("<number>")
            values.append(word)
        elif word in GROUP_OF:
            words.append(f"<{GROUP_OF[word]}>")
            values.append(word)
        else:
            words.append(word)
    return Slot(" ".join(words), tuple(values))


def replaces(new: str, old: str) -> bool:
    """Whether fact ``new`` retires fact ``old``: it changes the one setting ``old`` stated
    (:func:`changes_setting`) or takes back its choice (:func:`takes_back`)."""
    return changes_setting(new, old) or takes_back(new, old)


def changes_setting(new: str, old: str) -> bool:
    """Whether fact ``new`` changes the one setting ``old`` stated: the same template, with
    values that differ in exactly one place or are swapped ("pytest over unittest" then
    "unittest over pytest"). Symmetric."""
    a, b = slot_of(new), slot_of(old)
    if a.key is None or a.template != b.template or a.values == b.values:
        return False
    differing = sum(x != y for x, y in zip(a.values, b.values, strict=True))
    return differing == 1 or sorted(a.values) == sorted(b.values)
