"""Which sentences of what a user writes are durable facts worth remembering (pure).

Plain heuristics, no model: a sentence is a fact when it states a preference ("I prefer
tabs", "always run the linter"), a decision or a change of one ("we decided to use Postgres",
"let's go with httpx", "we switched to pnpm", "we moved the database to MySQL") or a project
fact ("the project uses uv", "the API runs on port 8080", "tests run with vitest").

Those patterns also match words that are not the user's standing rules, so a sentence is
*material*, never a fact, when it:

- asks: ends in "?", or opens like a question without one ("Should we always use async
  here", "Do we use tabs");
- is pasted output: an error as printed (``sqlite3.OperationalError: the database is
  locked``), a log line, a stack frame;
- is a task's payload: what follows the colon of "Translate this sentence to French: we use
  our hands to eat.", a quoted span, a sentence that opens by asking for work on a text
  ("Translate...", "Rewrite...", "Summarize...");
- tells what happened rather than how things are: "I never got this error before." (past
  tense after always/never, or "this error", "that warning" pointing at pasted material).
"""

from __future__ import annotations

import re
from typing import Literal

Kind = Literal["preference", "decision", "fact"]
MAX_FACT_CHARS = 300

_PATTERNS: tuple[tuple[Kind, re.Pattern[str]], ...] = (
    ("preference", re.compile(
        r"\b(?:I|we)\s+(?:(?:really\s+|strongly\s+)?prefer|always|never|usually|like\s+to"
        r"|don't\s+like|do\s+not\s+like|hate|want\s+(?:you\s+)?to\s+(?:always|never)"
        r"|(?:only\s+)?use|stick\s+to)\b"
        r"|^(?:please\s+)?(?:always|never)\s+\w+"
        r"|\b(?:my|our)\s+(?:preference|convention|style)\s+is\b", re.IGNORECASE)),
    ("decision", re.compile(
        r"\b(?:we(?:'ve| have)?\s+decided|we(?:\s+will|'ll)\s+(?:use|go\s+with|switch\s+to)"
        r"|let's\s+(?:use|go\s+with|switch\s+to|stick\s+with|keep)|we\s+agreed"
        r"|we're\s+(?:going|switching)\s+(?:with|to)|decision:|from\s+(?:now|here)\s+on"
        r"|going\s+forward|(?:please\s+)?stop\s+using)\b"
        # A contrast is a standing choice: "Use pnpm, not yarn", "use httpx instead of requests".
        r"|^(?:please\s+)?use\s+[\w.\-+#]+(?:\s+[\w.\-+#]+)?\s*,?\s+(?:not|instead\s+of"
        r"|rather\s+than|over)\b"
        # A choice changed: "we switched to pnpm", "we moved the database to MySQL".
        r"|\bwe(?:'ve|\s+have)?\s+(?:switched|moved|migrated|changed|replaced|swapped"
        r"|stopped\s+using|dropped|ditched)\b"
        r"|\bwe(?:'re|\s+are)\s+(?:now\s+)?(?:moving|migrating|switching)\b"
        r"|\bwe\s+(?:no\s+longer|don't|do\s+not)\s+use\b",
        re.IGNORECASE)),
    ("fact", re.compile(
        r"\b(?:the|this|our)\s+(?:project|app|application|service|codebase|repo|repository"
        r"|backend|frontend|api|server|database|db|ci|build|stack|team|monorepo|deployment)"
        r"\s+(?:(?:now|still|also|only)\s+)?(?:uses|use|is\s+(?:written|built|deployed"
        r"|hosted)\s+(?:in|with|on|to)|runs\s+on|targets|depends\s+on|lives\s+in)\b"
        r"|\bthe\s+(?:database|db|stack|language|framework|orm|package\s+manager|test\s+runner"
        r"|linter|formatter|ci|cloud|runtime)\s+is\b"
        r"|\b(?:the\s+)?(?:main|default|release)\s+branch\s+is\b"
        r"|\bwe\s+(?:use|deploy\s+(?:to|on)|run\s+on|host\s+on)\b"
        # How a chore is done: "we format Python code with black", "we lint using ruff".
        r"|\bwe\s+(?:format|lint|test|build|bundle|type-?check|compile|package|deploy)"
        r"\s+(?:[\w.\-]+\s+){0,4}?(?:with|using|via)\b"
        # Conventions stated about a part of the project: "tests run with vitest".
        r"|^(?:all\s+|our\s+)?(?:tests?|logs?|logging|retries|builds?|deploys?|migrations?"
        r"|state\s+management|styling|feature\s+flags|configuration|config|secrets|dates"
        r"|timestamps|money(?:\s+amounts)?|prices|amounts|background\s+jobs|errors)"
        r"\s+(?:run|runs|use|uses|go|goes|come|comes|live|lives|(?:are|is)\s+(?:stored|kept"
        r"|read|written|formatted|configured|managed|handled|deployed|structured|shipped))\b"
        r"|\bthe\s+(?:worker|service|app|api|dashboard|backend|frontend|server|site|bot|cli"
        r"|daemon|pipeline|website|library|sdk)\s+(?:is\s+(?:written|built|deployed|hosted)"
        r"\s+(?:in|with|on|to)"
        r"|runs\s+on)\b"
        r"|\b(?:comes?|is\s+read)\s+from\s+the\s+\w+\s+(?:environment|env)\s+variable\b",
        re.IGNORECASE)),
)
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")
_CODE_FENCE = re.compile(r"```.*?```", re.DOTALL)
_QUOTED = re.compile(r"\"[^\"\n]*\"|“[^”\n]*”|`[^`\n]*`")

_SUBJECT = (r"(?:i|we|you|they|it|he|she|this|that|these|those|there|the|our|my|your|anyone"
            r"|everyone|everything|anything)\b")
_QUESTION_OPENING = re.compile(
    r"^(?:(?:so|and|but|ok|okay|also|hmm|well)\s*,?\s+)?(?:"
    r"(?:should|shall|would|could|can|will|do|does|did|is|are|was|were|have|has|had|may"
    r"|might|must|isn't|aren't|don't|doesn't|didn't|won't|wouldn't|shouldn't|can't|couldn't)"
    rf"\s+(?!you\s+(?:please\s+)?(?:always|never)\b){_SUBJECT}"
    r"|(?:what|why|how|which|who|whom|whose)\b"
    r"|(?:when|where)\s+(?:should|shall|do|does|did|is|are|can|could|would|will)\b)",
    re.IGNORECASE)
_QUESTION_TAG = re.compile(r"(?:,\s*(?:right|correct|no|isn't it|aren't we|don't we)|\bor\s+not)"
                           r"\s*[.!]*$", re.IGNORECASE)
# Printed errors and log lines: "sqlite3.OperationalError: ...", "ERROR: ...", stack frames.
_PASTED_OUTPUT = re.compile(
    r"(?-i:\b[\w.]*(?:Error|Exception|Warning|Errno|Fault|Panic|Failure))\b"
    r"(?:\s*\[[^\]]*\])?\s*:"
    r"|^(?:traceback|error|warning|warn|fatal|panic|exception|critical|info|debug)\b\s*[:\]\-]"
    r"|^\[(?:error|warn|warning|fatal|critical|info|debug)\]"
    r"|^(?:at\s+[\w$.<>]+\s*\(|file\s+\"[^\"]+\",\s+line\s+\d+)"
    r"|^\[?\d{4}-\d\d-\d\d[T ]\d\d:\d\d", re.IGNORECASE)
# "this error", "that warning": the sentence is about pasted material, not a standing rule.
_POINTS_AT_MATERIAL = re.compile(
    r"\b(?:this|that|these|those|the\s+same)\s+(?:error|exception|bug|issue|warning|crash"
    r"|failure|traceback|stack\s*trace|problem)s?\b", re.IGNORECASE)
_PAST_HABIT = re.compile(
    r"\b(?:i|we)\s+(?:always|never|usually|often|sometimes)\s+(?:(?!embed\b|shred\b)\w+[^e\W]ed"
    r"|got|had|saw|did|was|were|made|took|came|went|ran|knew|thought|found|heard|told|said"
    r"|wrote|forgot|broke|built|began|became|tried|left|lost|kept|meant|understood)\b",
    re.IGNORECASE)
# Asking for work on a text: what the sentence goes on to say is the text, not a fact.
_TASK_OPENING = re.compile(
    r"^(?:please\s+|can\s+you\s+|could\s+you\s+)?(?:translate|rewrite|rephrase|summari[sz]e"
    r"|explain|fix|debug|refactor|write|create|implement|review|find|tell|generate|convert"
    r"|draft|compose|proofread|paraphrase|correct|describe|analy[sz]e|compare)\b",
    re.IGNORECASE)
# What may stand before a colon that introduces a fact ("Decision: we use Postgres").
_LABEL = re.compile(
    r"^(?:decision|note|fyi|rule|convention|preference|reminder|important|heads[- ]up"
    r"|for\s+the\s+record|remember|policy|standard|also|btw|update|new\s+rule|going\s+forward"
    r"|from\s+now\s+on|(?:project\s+)?context)$", re.IGNORECASE)


def classify_fact(sentence: str) -> Kind | None:
    """Which kind of durable fact ``sentence`` states, or None for ordinary text and for
    material (see the module docstring)."""
    stripped = sentence.strip()
    if not stripped or stripped.endswith("?") or len(stripped) > MAX_FACT_CHARS:
        return None
    if _is_material(stripped):
        return None
    readable = _QUOTED.sub(" QUOTED ", stripped)
    lead, colon, rest = readable.partition(": ")
    if colon and _LABEL.match(lead.strip()):
        return _kind(readable) or _kind(rest.strip())  # "Decision: we use Postgres"
    if colon and _kind(lead) is None:
        return None  # the match is in what follows "Translate this to French:"
    return _kind(readable)


def extract_facts(text: str, kinds: tuple[Kind, ...] = ("preference", "decision",
                                                             "fact")) -> list[str]:
    """Durable-fact sentences of ``text`` (code blocks ignored), in order, without repeats."""
    facts: list[str] = []
    seen: set[str] = set()
    for sentence in _SENTENCE_SPLIT.split(_CODE_FENCE.sub(" ", text)):
        sentence = " ".join(sentence.split()).strip("-*> ")
        kind = classify_fact(sentence)
        if kind is None or kind not in kinds:
            continue
        if sentence.lower() not in seen:
            seen.add(sentence.lower())
            facts.append(sentence)
    return facts


def _kind(text: str) -> Kind | None:
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return None


def _is_material(sentence: str) -> bool:
    return bool(_QUESTION_OPENING.match(sentence) or _QUESTION_TAG.search(sentence)
                or _PASTED_OUTPUT.search(sentence) or _POINTS_AT_MATERIAL.search(sentence)
                or _PAST_HABIT.search(sentence) or _TASK_OPENING.match(sentence))
