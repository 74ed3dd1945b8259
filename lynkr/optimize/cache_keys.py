"""Pure key and guard logic for the semantic cache.

A cached answer may be served for a new request only when everything except the wording of the
final question is identical (:func:`context_hash`) and the two questions mean the same thing.
Embeddings judge "mean the same" well for paraphrases but badly for *near misses*: "sort
ascending" and "sort descending" embed almost identically. :func:`salient_tokens` pulls out the
parts of a question whose change flips the answer (numbers, paths, quoted strings, identifiers,
negations, one side of an antonym pair, programming languages and tools); a semantic hit also
requires both questions to have the same set.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

import orjson

from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    RedactedThinkingBlock,
    Request,
    TextBlock,
    ThinkingBlock,
    ToolResultBlock,
    ToolUseBlock,
    system_reminders,
    without_system_reminders,
)

# Mutually exclusive alternatives: any member maps to "<group>:<pole>", so a question about
# one pole never matches one about the other, while synonyms of the same pole still match.
# Generic words ("with", "on", "add", "create", "write", "show", "merge", "right") are left
# out on purpose: the other pole ("without", "off", "remove", "read", "hide", "rebase") is
# enough, because a pole present on one side only is a mismatch too, and keeping the generic
# word would reject everyday paraphrases ("create a venv" / "make a venv").
_CONTRASTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "order": (("ascending", "asc", "increasing"),
              ("descending", "desc", "decreasing")),
    "change": (("insert", "inserting", "prepend"), ("append", "appending"),
               ("remove", "removing", "removed", "delete", "deleting", "deleted", "drop",
                "dropping", "erase")),
    "switch": (("enable", "enabling", "enabled", "activate"),
               ("disable", "disabling", "disabled", "deactivate", "off")),
    "time": (("before", "earlier", "prior"), ("after", "later")),
    "extreme": (("min", "minimum", "smallest", "lowest", "least", "shortest", "fewest"),
                ("max", "maximum", "largest", "highest", "most", "longest", "biggest",
                 "greatest")),
    "end": (("first", "beginning", "leading", "prefix"),
            ("last", "end", "ending", "trailing", "suffix")),
    "case": (("uppercase", "upper", "capital", "capitalize"), ("lowercase", "lower")),
    "direction": (("left", "lstrip"), ("rstrip",)),
    "codec": (("encode", "encoding", "serialize", "serializing", "marshal", "compress",
               "encrypt", "encrypting", "zip"),
              ("decode", "decoding", "deserialize", "deserializing", "unmarshal", "decompress",
               "decrypt", "decrypting", "unzip")),
    "transfer": (("import", "importing", "load", "read", "reading", "download", "pull",
                  "fetch"),
                 ("export", "exporting", "save", "upload", "push")),
    "amount": (("increase", "increment", "raise", "grow"),
               ("decrease", "decrement", "shrink", "reduce")),
    "sync": (("sync", "synchronous", "synchronously", "blocking"),
             ("async", "asynchronous", "asynchronously", "non-blocking", "await")),
    "visibility": (("visible", "public"),
                   ("hide", "hidden", "invisible", "private")),
    "lock": (("lock", "locking", "acquire"), ("unlock", "unlocking", "release")),
    "install": (("install", "installing"), ("uninstall", "uninstalling")),
    "include": (("include", "including", "inclusive"),
                ("exclude", "excluding", "exclusive", "without")),
    "truth": (("true", "success", "valid", "pass", "passes", "passed", "passing"),
              ("false", "failure", "invalid", "fail", "fails", "failed", "failing")),
    "axis": (("row", "rows", "horizontal", "horizontally", "x-axis"),
             ("column", "columns", "vertical", "vertically", "y-axis")),
    "join": (("inner",), ("outer", "left join", "full")),
    "io": (("input", "stdin"), ("output", "stdout", "stderr")),
    "place": (("local", "locally"), ("remote", "remotely")),
    "side": (("client", "frontend", "client-side"), ("server", "backend", "server-side")),
    "open": (("open", "opening", "connect", "start", "starting", "begin"),
             ("close", "closing", "disconnect", "stop", "stopping", "kill")),
    "vcs": (("rebase", "rebasing"), ("cherry-pick",), ("stash",),
            ("squash",), ("revert",), ("reset",)),
    "net": (("tcp",), ("udp",), ("http",), ("https",), ("websocket", "websockets"),
            ("grpc",)),
    "dtype": (("int", "integer", "integers"), ("float", "floats", "double", "decimal"),
              ("string", "str", "strings"), ("bool", "boolean")),
    "container": (("list", "lists", "array", "arrays"), ("tuple", "tuples"),
                  ("dict", "dicts", "dictionary", "dictionaries", "hashmap"), ("set", "sets")),
    "copy": (("shallow",), ("deep",)),
    "indent": (("tabs", "tab"), ("spaces", "space")),
    "unit": (("seconds", "sec", "secs"), ("milliseconds", "millisecond", "ms"),
             ("minutes", "minute", "mins"), ("hours", "hour"), ("days", "day"),
             ("bytes",), ("kb", "kilobytes"), ("mb", "megabytes"), ("gb", "gigabytes")),
    "keyword": (("break",), ("continue",)),
    "relation": (("parent",), ("child", "children")),
    "mode": (("debug",), ("production", "prod")),
}
_NEGATIONS = frozenset({"not", "no", "never", "none", "nothing", "neither", "nor", "cannot",
                        "isnt", "dont", "doesnt", "didnt", "wont", "cant", "shouldnt",
                        "wouldnt", "couldnt", "arent", "wasnt", "werent", "havent", "hasnt"})
_LANGUAGES: dict[str, str] = {
    **{w: w for w in (
        "python", "javascript", "typescript", "java", "kotlin", "scala", "rust", "ruby", "php",
        "swift", "perl", "lua", "haskell", "elixir", "erlang", "clojure", "dart", "julia",
        "matlab", "zig", "nim", "ocaml", "fortran", "cobol", "groovy", "bash", "zsh", "fish",
        "powershell", "sql", "html", "css", "scss", "sass", "graphql", "solidity", "cuda",
        "react", "vue", "angular", "svelte", "django", "flask", "fastapi", "rails", "spring",
        "express", "nextjs", "nuxt", "node", "deno", "bun", "numpy", "pandas", "polars",
        "pytorch", "tensorflow", "jax", "docker", "kubernetes", "helm", "terraform", "ansible",
        "git", "mercurial", "svn", "postgres", "mysql", "sqlite", "mongodb", "redis", "kafka",
        "rabbitmq", "elasticsearch", "npm", "yarn", "pnpm", "pip", "poetry", "conda", "cargo",
        "maven", "gradle", "webpack", "vite", "esbuild", "jest", "vitest", "pytest",
        "unittest", "mocha", "junit", "linux", "windows", "macos", "ubuntu", "debian",
        "alpine", "aws", "gcp", "azure", "nginx", "apache", "json", "yaml", "toml", "xml",
        "csv", "protobuf", "vim", "emacs", "vscode", "asyncio", "trio", "celery",
        "sqlalchemy", "pydantic", "jquery", "tailwind", "bootstrap", "regex", "markdown",
        "latex", "wasm", "golang", "csharp", "cpp")},
    "js": "javascript", "ts": "typescript", "py": "python", "postgresql": "postgres",
    "psql": "postgres", "k8s": "kubernetes", "mongo": "mongodb", "shell": "bash", "sh": "bash",
    "c++": "cpp", "c#": "csharp", "f#": "fsharp", "objective-c": "objc", "next.js": "nextjs",
    "node.js": "node", "nodejs": "node", "vue.js": "vue", "torch": "pytorch", "mac": "macos",
    "osx": "macos", "yml": "yaml",
}
# "go", "c" and "r" are ordinary words too; count them only in language-like positions.
_AMBIGUOUS_LANGUAGE = re.compile(
    r"\b(?:in|with|using|to|from|for|of|learn|write|port)\s+(go|c|r)\b(?![+#])"
    r"(?!\s*(?:to|ahead|back|on|away)\b)"
    r"|\b(go|c|r)\s+(?:code|program|programs|module|modules|struct|structs|function|functions"
    r"|language|compiler|library|libraries|package|packages|script|scripts|version|routine)\b",
    re.IGNORECASE)
_PHRASES = {
    "c++": "lang:cpp", "c#": "lang:csharp", "f#": "lang:fsharp", "objective-c": "lang:objc",
    "next.js": "lang:nextjs", "node.js": "lang:node", "vue.js": "lang:vue",
    "regular expression": "lang:regex", "left join": "join:outer",
    "non-blocking": "sync:async", "cherry-pick": "vcs:cherry-pick", "x-axis": "axis:row",
    "y-axis": "axis:column", "client-side": "side:client", "server-side": "side:server",
}
_TO = re.compile(r"\b(?:to|into|->)\b|→|->")
_FROM = re.compile(r"\bfrom\b")
_CONTRAST_INDEX: dict[str, str] = {
    word: f"{group}:{poles[0]}"
    for group, all_poles in _CONTRASTS.items()
    for poles in all_poles
    for word in poles
}
_NAMING_NOUNS = ("function", "method", "class", "variable", "module", "package", "command",
                 "flag", "option", "field", "column", "table", "endpoint", "hook", "component",
                 "struct", "enum", "interface", "trait", "type", "decorator", "macro", "branch",
                 "attribute", "property", "key", "argument", "parameter", "library", "crate",
                 "service", "container", "route", "model", "test", "setting", "script",
                 "job", "task", "queue", "topic", "bucket", "database", "schema", "index",
                 "view", "page", "file", "directory", "folder", "repo", "repository", "image")
_NAMED = re.compile(
    r"\b(?:the|my|our|this|that|your)\s+([A-Za-z_][\w]*)\s+(?:" + "|".join(_NAMING_NOUNS)
    + r")s?\b|\b(?:" + "|".join(_NAMING_NOUNS) + r")s?\s+(?:called|named)\s+([A-Za-z_][\w.]*)",
    re.IGNORECASE)
_QUOTED = re.compile(r"`([^`]+)`|\"([^\"]+)\"|(?<!\w)'([^'\s][^']*[^'\s]|[^'\s])'(?!\w)")
_URL = re.compile(r"\bhttps?://\S+")
_PATH = re.compile(r"(?:~|\.{1,2})?/?(?:[\w.@-]+/)+[\w.@-]*|\b[\w-]+\.[A-Za-z][A-Za-z0-9]{0,5}\b")
_NUMBER = re.compile(r"(?<![A-Za-z_\d])\d+(?:[.,:]\d+)*")
_FLAG = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_+#.'\u2019-]*(?:\(\))?")
_NOT_SALIENT = frozenset({"e.g", "i.e", "etc", "vs", "a.k.a", "and/or", "i/o"})
_STOP_NAMES = frozenset({"same", "following", "given", "above", "below", "which", "what", "new",
                         "first", "last", "next", "previous", "whole", "entire", "current",
                         "old", "other", "whose", "one", "only", "right", "wrong", "correct",
                         "default", "custom", "existing", "specific", "particular"})
_TRAILING = ".?!;:,"


def normalize_question(text: str) -> str:
    """Canonical form of a question for exact matching: NFKC, whitespace collapsed, outer
    whitespace and trailing punctuation trimmed. Case is kept: identifiers are case-sensitive."""
    text = unicodedata.normalize("NFKC", text)
    return " ".join(text.split()).rstrip(_TRAILING + " ")


def salient_tokens(text: str) -> frozenset[str]:
    """The tokens two questions must share before one's cached answer may serve the other.

    Besides the tokens themselves, a direction between two values ("UTF-8 *to* UTF-16",
    "connect to Postgres *from* Python") becomes a ``dir:a>b`` token, so swapping the two
    sides of a conversion is a mismatch even though the set of values is the same.
    """
    text = normalize_question(text).replace("\u2019", "'")
    found: set[str] = set()
    values: list[tuple[int, int, str]] = []  # (start, end, token) of value-like tokens

    def value(match: re.Match[str], token: str, group: int = 0) -> None:
        found.add(token)
        values.append((match.start(group), match.end(group), token))

    def blank(match: re.Match[str]) -> str:  # hide a span, keeping every offset in place
        return " " * len(match.group(0))

    for match in _QUOTED.finditer(text):
        value(match, "quote:" + next(g for g in match.groups() if g is not None))
    rest = _QUOTED.sub(blank, text)
    for match in _URL.finditer(rest):
        value(match, "url:" + match.group(0).rstrip(_TRAILING))
    rest = _URL.sub(blank, rest)
    for match in _FLAG.finditer(rest):
        value(match, "flag:" + match.group(0))
    for match in _PATH.finditer(rest):
        path = match.group(0).rstrip(_TRAILING)
        if path.lower() not in _NOT_SALIENT and path.lower() not in _LANGUAGES and (
                "/" in path or "." in path):
            value(match, "path:" + path)
    for match in _NUMBER.finditer(rest):
        value(match, "num:" + match.group(0).replace(",", ""))
    for match in _NAMED.finditer(rest):
        group = 1 if match.group(1) else 2
        name = (match.group(group) or "").rstrip(".")
        lower = name.lower()
        if name and lower not in _STOP_NAMES and lower not in _LANGUAGES \
                and lower not in _CONTRAST_INDEX:
            value(match, "id:" + name, group)
    for match in _AMBIGUOUS_LANGUAGE.finditer(rest):
        group = 1 if match.group(1) else 2
        value(match, "lang:" + match.group(group).lower().replace("go", "golang"), group)
    lowered = rest.lower()
    for phrase, token in _PHRASES.items():
        for match in re.finditer(re.escape(phrase), lowered):
            if token.startswith("lang:"):
                value(match, token)
            else:
                found.add(token)
    for match in _WORD.finditer(rest):
        word = match.group(0).strip(".'-")
        lower = word.lower()
        if lower.replace("'", "") in _NEGATIONS or lower.endswith("n't"):
            found.add("neg")
        elif lower in _LANGUAGES:
            value(match, "lang:" + _LANGUAGES[lower])
        elif lower in _CONTRAST_INDEX:
            found.add(_CONTRAST_INDEX[lower])
        elif lower not in _NOT_SALIENT and _looks_like_identifier(word):
            value(match, "id:" + (lower if word.isupper() else word))
    found.update(_directions(rest, values))
    return frozenset(found)


def _directions(text: str, values: list[tuple[int, int, str]]) -> set[str]:
    """``dir:a>b`` for neighbouring values joined by "to"/"into" (a>b) or "from" (b>a)."""
    ordered = sorted(values)
    directions: set[str] = set()
    for (_, end, left), (start, _, right) in zip(ordered, ordered[1:], strict=False):
        if left == right or start < end:
            continue
        between = text[end:start].lower()
        if _TO.search(between):
            directions.add(f"dir:{left}>{right}")
        elif _FROM.search(between):
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


def context_hash(request: Request) -> str:
    """Hash of everything that changes the answer except the final question's wording: model
    (tier), system prompt, tools (names + schemas), tool choice, sampling settings, the earlier
    conversation, and any non-text parts (images) of the final turn."""
    final = request.messages[-1] if request.messages else None
    earlier = request.messages[:-1] if request.messages else []
    payload: dict[str, Any] = {
        "model": request.model,
        "system": [_BILLING_LINE.sub("", b.text) for b in request.system],
        "tools": sorted(([t.name, t.description, t.input_schema, t.raw] for t in request.tools),
                        key=lambda t: str(t[0])),
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
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


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
    return [type(block).__name__]
