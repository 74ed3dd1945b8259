"""Pure key and guard logic for the semantic cache.

A cached answer may be served for a new request only when everything except the wording of the
final question is identical (:func:`context_hash`) and the two questions mean the same thing.
Embeddings judge "mean the same" well for paraphrases but badly for *near misses*: "sort
ascending" and "sort descending" embed almost identically. :func:`salient_tokens` pulls out the
parts of a question whose change flips the answer (numbers, paths, quoted strings, identifiers,
negations, one side of an antonym pair, programming languages and tools); a semantic hit also
requires both questions to have the same set, and (:func:`tags_agree`) neither to hold a word
the other negates with a prefix ("safe" / "unsafe").

Negations and antonym poles are *counted*, not flagged: "x is None" has one negation and "x is
not None" two, "show hidden files" one "hide" and "hide hidden files" two. A negation inside a
condition ("... when the env var is not set") is counted apart from one in the main clause
("why does my test not fail when ..."), a cheap stand-in for which word it negates.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from typing import Any

import orjson

from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    NativeBlock,
    RedactedThinkingBlock,
    Request,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    system_reminders,
    without_system_reminders,
)
from lynkr.optimize import cache_vocabulary as vocab


def normalize_question(text: str) -> str:
    """Canonical form of a question for exact matching: NFKC, whitespace collapsed, outer
    whitespace and trailing punctuation trimmed. Case is kept: identifiers are case-sensitive."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split()).rstrip(vocab.TRAILING + " ")


def salient_tokens(text: str) -> frozenset[str]:
    """The tokens two questions must share before one's cached answer may serve the other.

    Besides the tokens themselves, a direction between two values ("UTF-8 *to* UTF-16",
    "connect to Postgres *from* Python") becomes a ``dir:a>b`` token, so swapping the two
    sides of a conversion is a mismatch even though the set of values is the same.
    """
    text = normalize_question(text).replace("\u2019", "'")
    found: set[str] = set()
    counted: Counter[str] = Counter()  # negations and contrast poles, by occurrence
    values: list[tuple[int, int, str]] = []  # (start, end, token) of value-like tokens

    def value(match: re.Match[str], token: str, group: int = 0) -> None:
        found.add(token)
        values.append((match.start(group), match.end(group), token))

    def blank(match: re.Match[str]) -> str:  # hide a span, keeping every offset in place
        return " " * len(match.group(0))

    for match in vocab.QUOTED.finditer(text):
        value(match, "quote:" + next(g for g in match.groups() if g is not None))
    rest = vocab.QUOTED.sub(blank, text)
    for match in vocab.URL.finditer(rest):
        value(match, "url:" + match.group(0).rstrip(vocab.TRAILING))
    rest = vocab.URL.sub(blank, rest)
    for match in vocab.FLAG.finditer(rest):
        value(match, "flag:" + match.group(0))
    for match in vocab.PATH.finditer(rest):
        path = match.group(0).rstrip(vocab.TRAILING)
        if path.lower() not in vocab.NOT_SALIENT and path.lower() not in vocab.LANGUAGES and (
                "/" in path or "." in path):
            value(match, "path:" + path)
    for match in vocab.NUMBER.finditer(rest):
        value(match, "num:" + match.group(0).replace(",", ""))
    for match in vocab.NAMED.finditer(rest):
        group = 1 if match.group(1) else 2
        name = (match.group(group) or "").rstrip(".")
        lower = name.lower()
        if name and lower not in vocab.STOP_NAMES and lower not in vocab.LANGUAGES \
                and lower not in vocab.CONTRAST_INDEX:
            value(match, "id:" + name, group)
    for match in vocab.AMBIGUOUS_LANGUAGE.finditer(rest):
        group = 1 if match.group(1) else 2
        value(match, "lang:" + match.group(group).lower().replace("go", "golang"), group)
    lowered = rest.lower()
    for match in vocab.PHRASE.finditer(lowered):
        token = vocab.PHRASES[match.group(0)]
        if token.startswith("lang:") or _positioned(token):
            value(match, token)
        else:
            counted[token] += 1
    conditions = [m.span() for m in vocab.CONDITION.finditer(rest) if not (
        m.group(0).split()[0].lower() in ("if", "whether")
        and vocab.COMPLEMENT.search(rest[:m.start()]))]
    for match in vocab.WORD.finditer(vocab.IDIOMS.sub(_blank_idiom, rest)):
        word = match.group(0).strip(".'-")
        lower = word.lower()
        if lower.replace("'", "") in vocab.NEGATIONS or lower.endswith("n't") or (
                lower not in vocab.CONTRAST_INDEX and vocab.NON.fullmatch(lower)):
            inside = any(start <= match.start() < end for start, end in conditions)
            counted["neg:cond" if inside else "neg"] += 1
        elif lower in vocab.LANGUAGES:
            value(match, "lang:" + vocab.LANGUAGES[lower])
        elif lower in vocab.NUMBER_WORDS:
            value(match, "num:" + vocab.NUMBER_WORDS[lower])
        elif lower in vocab.CONTRAST_INDEX:
            token = vocab.CONTRAST_INDEX[lower]
            if _positioned(token) and lower not in vocab.UNPOSITIONED:
                value(match, token)
            else:
                counted[token] += 1
        elif lower not in vocab.NOT_SALIENT and _looks_like_identifier(word):
            value(match, "id:" + (lower if word.isupper() else word))
    found.update(_directions(rest, values))
    found.update(_conversions(rest))
    found.update(token if n == 1 else f"{token}#{n}"
                 for token, total in counted.items() for n in range(1, total + 1))
    return frozenset(found)


def question_tags(text: str) -> frozenset[str]:
    """What the cache keeps of a question to judge a later one by (:func:`tags_agree`): its
    :func:`salient_tokens` and, as ``word:`` tags, its lower-cased words."""
    words = (match.group(0).strip(".'-").lower()
             for match in vocab.WORD.finditer(normalize_question(text)))
    return salient_tokens(text) | {"word:" + w for w in words if len(w) >= 3}


def tags_agree(cached: frozenset[str], query: frozenset[str]) -> bool:
    """Whether two questions' :func:`question_tags` allow one's answer to serve the other: the
    same salient tokens, and no word of one that negates a word of the other by a prefix
    ("unsafe" / "safe", "case-insensitive" / "case-sensitive", "irreversible" / "reversible").

    Pairwise, because a prefix alone is no evidence ("install", "display", "around" negate
    nothing); a word and its negation side by side in two near-identical questions are."""
    if {t for t in cached if not t.startswith("word:")} != {
            t for t in query if not t.startswith("word:")}:
        return False
    cached_words = {t[5:] for t in cached if t.startswith("word:")}
    query_words = {t[5:] for t in query if t.startswith("word:")}
    return not any(stem in other for words, other in ((cached_words - query_words, query_words),
                                                      (query_words - cached_words, cached_words))
                   for word in words for stem in _negated_stems(word))


def _negated_stems(word: str) -> Iterator[str]:
    """The words ``word`` would negate if its prefix negates: "unsafe" -> "safe", and within a
    compound "case-insensitive" -> "case-sensitive", "thread-unsafe" -> "thread-safe"."""
    parts = word.split("-")
    for i, part in enumerate(parts):
        for prefix, shortest in vocab.NEGATING_PREFIXES:
            if part.startswith(prefix) and len(part) - len(prefix) >= shortest:
                yield "-".join([*parts[:i], part[len(prefix):], *parts[i + 1:]])


def _positioned(token: str) -> bool:
    return token.split(":", 1)[0] in vocab.POSITIONED


def _blank_idiom(match: re.Match[str]) -> str:
    """``match`` with its "up"/"down" blanked (offsets kept): the idiom is no direction."""
    text = match.group(0)
    for group in range(1, (match.lastindex or 0) + 1):
        if match.group(group) is not None:
            start, end = match.start(group) - match.start(), match.end(group) - match.start()
            text = text[:start] + " " * (end - start) + text[end:]
    return text


def _conversions(text: str) -> set[str]:
    """``conv:a>b`` for "convert *a* to *b*", "from *a* to *b*" and "get *b* from *a*".

    Swapping the two sides of a conversion keeps every word, and the embedding with it
    ("convert a string to a datetime" / "a datetime to a string" are 0.99 alike), so the
    direction has to be a token even when the two sides are words no list here knows."""
    conversions: set[str] = set()
    for match in vocab.CONVERSION.finditer(text):
        source, target = (match.group(1), match.group(2)) if match.group(1) else (
            match.group(3), match.group(4)) if match.group(3) else (match.group(6),
                                                                      match.group(5))
        source_key, target_key = _side(source), _side(target)
        if source_key and target_key and source_key != target_key:
            conversions.add(f"conv:{source_key}>{target_key}")
    return conversions


def _side(phrase: str) -> str:
    """One side of a conversion, with synonyms, case, plurals and determiners folded."""
    words = []
    for word in phrase.lower().split():
        if word in vocab.DETERMINERS:
            continue
        if word in vocab.CONTRAST_INDEX:
            word = vocab.CONTRAST_INDEX[word]
        elif word in vocab.LANGUAGES:
            word = "lang:" + vocab.LANGUAGES[word]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.append(word)
    # "a Python list" is "a list": the language is a token of its own already.
    kept = [w for w in words if not w.startswith("lang:")]
    return " ".join(kept or words)


def _directions(text: str, values: list[tuple[int, int, str]]) -> set[str]:
    """``dir:a>b`` for neighbouring values joined by "to"/"into" (a>b) or "from" (b>a), with
    at most two other words between them ("a UTF-8 string to UTF-16")."""
    ordered = sorted(values)
    directions: set[str] = set()
    for (_, end, left), (start, _, right) in zip(ordered, ordered[1:], strict=False):
        if left == right or start < end:
            continue
        between = text[end:start].lower()
        if vocab.PHRASE_BREAK.search(between):
            continue
        others = [w for w in between.split() if w not in vocab.DETERMINERS
                  and not vocab.TO.fullmatch(w) and w != "from"]
        if len(others) > 2:
            continue
        if vocab.TO.search(between):
            directions.add(f"dir:{left}>{right}")
        elif vocab.FROM.search(between):
            directions.add(f"dir:{right}>{left}")
    return directions


def _looks_like_identifier(word: str) -> bool:
    """camelCase, PascalCase with an inner capital, snake_case, dotted.names, call(), words
    with digits (sha256, ipv6, int64) and acronyms (CORS, JWT)."""
    if len(word) < 2:
        return False
    return bool(
        "_" in word.strip("_") or word.endswith("()") or "." in word
        or re.search(r"[a-z][A-Z]", word) or re.search(r"\d", word)
        or (word.isupper() and word.isalpha())
    )


# Claude Code 2.1 opens its system prompt with a line for Anthropic's billing whose suffix is a
# fingerprint of the first user message ("x-anthropic-billing-header: cc_version=2.1.197.73f;
# cc_entrypoint=sdk-cli;"): metadata, not an instruction, and different for every question.
_BILLING_LINE = re.compile(r"^x-anthropic-billing-header:[^\n]*\n*", re.MULTILINE)


# Top-level request fields we do not model (``Request.extra``) that cannot change the answer;
# every other extra field is part of the context, since most do: ``response_format``,
# ``n``, ``seed``, ``logprobs``, ``reasoning_effort``, Anthropic ``output_format``, penalties.
# - stream, stream_options: how the answer is delivered (a hit is replayed either way);
# - metadata, user, safety_identifier: who asks, for the provider's abuse tracking;
# - store: whether OpenAI keeps the response; service_tier: its priority class;
# - prompt_cache_key, prompt_cache_retention: routing hints for the provider's prompt cache
#   (Codex sends a per-session key, which would otherwise keep sessions from sharing hits);
# - previous_response_id: the conversation it names is already expanded into the messages,
#   which are hashed; the id itself is new on every turn.
ANSWER_NEUTRAL_FIELDS = frozenset({
    "stream", "stream_options", "metadata", "user", "safety_identifier", "store",
    "service_tier", "prompt_cache_key", "prompt_cache_retention", "previous_response_id",
})


def context_hash(request: Request, project: str | None = None,
                 memory_version: str | None = None) -> str:
    """Hash of everything that changes the answer except the final question's wording: model
    (tier), system prompt, tools (names + schemas), tool choice, sampling settings, unmodelled
    top-level fields (``Request.extra`` but :data:`ANSWER_NEUTRAL_FIELDS`), the earlier
    conversation, and any non-text parts (images) of the final turn.

    ``project`` scopes the context to one project: with long-term memory on, the answer was
    written with that project's memories injected, so it must not serve another project.
    ``memory_version`` (:meth:`lynkr.optimize.memory.MemoryStore.version`) scopes it to the
    memories the project had: once it learns a fact, answers written without it are not
    served."""
    final = request.messages[-1] if request.messages else None
    earlier = request.messages[:-1] if request.messages else []
    payload: dict[str, Any] = {
        "project": project,
        "extra": {k: v for k, v in request.extra.items() if k not in ANSWER_NEUTRAL_FIELDS},
        "model": request.model,
        "system": [_BILLING_LINE.sub("", b.text) for b in request.system],
        "tools": sorted(([t.name, t.description, t.input_schema, t.raw, t.strict]
                         for t in request.tools), key=lambda t: str(t[0])),
        "tool_choice": (None if request.tool_choice is None else
                        [request.tool_choice.type, request.tool_choice.name]),
        "temperature": request.temperature,
        "top_p": request.top_p,
        "stop": request.stop,
        "thinking": request.thinking,
        "history": [_message_repr(m) for m in earlier],
        "final_role": final.role if final else None,
        "final_other": ([_block_repr(b) for b in final.content if not isinstance(b, TextBlock)]
                        if final else []),
        "final_reminders": system_reminders(final.text) if final else [],
    }
    if memory_version is not None:  # only then: keys without memory stay what they were
        payload["memory_version"] = memory_version
    try:
        encoded = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError:  # e.g. an integer past 64 bits in a client's extra field
        encoded = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


def exact_key(request: Request, context: str | None = None) -> str:
    """The exact-match key: the context hash plus the normalised final question. Pass
    ``context`` when the caller already holds :func:`context_hash` of ``request``: with a
    coding agent's system prompt and tool schemas, hashing the context is the costly part."""
    question = normalize_question(final_question(request))
    context = context_hash(request) if context is None else context
    return hashlib.sha256(f"{context}\x00{question}".encode()).hexdigest()


def final_question(request: Request) -> str:
    """The user's own words in the last message when it is a user turn; "" otherwise.

    Claude Code wraps context it injects (today's date, CLAUDE.md, open files) in
    ``<system-reminder>`` blocks inside the user turn. They change the answer, so
    :func:`context_hash` covers them, but they are not the question: embedded along with it
    they would swamp (or, past the embedder's 256 tokens, cut off) the words that matter.
    """
    if not request.messages or request.messages[-1].role != "user":
        return ""
    return without_system_reminders(request.messages[-1].text).strip()


def _message_repr(message: Message) -> list[Any]:
    return [message.role, [_block_repr(b) for b in message.content]]


def _block_repr(block: Block) -> list[Any]:
    if isinstance(block, TextBlock):
        return ["text", block.text]
    if isinstance(block, ImageBlock):
        data = hashlib.sha256((block.data or block.url or "").encode()).hexdigest()
        return ["image", block.media_type, data]
    if isinstance(block, ToolUseBlock):
        return ["tool_use", block.id, block.name, block.input]
    if isinstance(block, ToolResultBlock):
        return ["tool_result", block.tool_use_id, block.is_error,
                [_block_repr(b) for b in block.content]]
    if isinstance(block, ThinkingBlock):
        return ["thinking", block.thinking]
    if isinstance(block, RedactedThinkingBlock):
        return ["redacted_thinking", block.data]
    if isinstance(block, NativeBlock):  # two PDFs must never share an answer
        data = orjson.dumps(block.raw, option=orjson.OPT_SORT_KEYS)
        return ["native", hashlib.sha256(data).hexdigest()]
    return [type(block).__name__]
