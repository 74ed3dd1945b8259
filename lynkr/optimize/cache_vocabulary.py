"""The words and patterns :func:`lynkr.optimize.cache_keys.salient_tokens` looks for.

Data, not logic: which words are two poles of one contrast, which are languages and tools,
which phrasings are idioms rather than directions. Widen these lists when a near miss gets
through; every entry must still let everyday paraphrases agree (bench/cache.py measures both).
"""

from __future__ import annotations

import re

# Mutually exclusive alternatives: any member maps to "<group>:<pole>", so a question about
# one pole never matches one about the other, while synonyms of the same pole still match.
# Generic words ("with", "on", "add", "create", "write", "show", "merge", "right") are left
# out on purpose: the other pole ("without", "off", "remove", "read", "hide", "rebase") is
# enough, because a pole present on one side only is a mismatch too, and keeping the generic
# word would reject everyday paraphrases ("create a venv" / "make a venv"). Poles are counted,
# so the other pole still tells "show hidden files" (one "hide") from "hide hidden files" (two).
CONTRASTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "order": (("ascending", "asc", "increasing"),
              ("descending", "desc", "decreasing")),
    "change": (("insert", "inserting", "prepend"), ("append", "appending"),
               ("remove", "removing", "removed", "delete", "deleting", "deleted", "drop",
                "dropping", "erase", "discard", "discarding", "discarded", "throw away")),
    "keep": (("keep", "keeping", "kept", "preserve", "preserving", "retain", "retaining"),),
    "switch": (("enable", "enabling", "enabled", "activate"),
               ("disable", "disabling", "disabled", "deactivate", "off")),
    "time": (("before", "earlier", "prior"), ("after", "later")),
    "age": (("oldest", "older"), ("newest", "newer", "latest")),
    "extreme": (("min", "minimum", "smallest", "lowest", "least", "shortest", "fewest",
                 "minimize", "minimise"),
                ("max", "maximum", "largest", "highest", "most", "longest", "biggest",
                 "greatest", "maximize", "maximise")),
    "compare": (("greater", "larger", "bigger", "higher"), ("less", "smaller", "fewer")),
    "end": (("first", "beginning", "leading", "prefix"),
            ("last", "end", "ending", "trailing", "suffix")),
    "headtail": (("head",), ("tail",)),
    "case": (("uppercase", "upper", "capital", "capitalize"), ("lowercase", "lower")),
    "direction": (("left", "lstrip"), ("rstrip",)),
    # "up" and "down" are idioms as often as directions; see IDIOMS.
    "vertical": (("up", "upward", "upwards", "ceil", "ceiling", "top"),
                 ("down", "downward", "downwards", "floor", "bottom")),
    "step": (("forward", "forwards"), ("backward", "backwards", "previous", "prev")),
    "grade": (("downgrade", "downgrading"),),
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
                   ("hide", "hidden", "invisible", "private", "suppress", "suppresses",
                    "suppressing", "suppressed", "silence", "silencing", "silent", "silently",
                    "mute", "muted", "muting", "quiet", "quietly")),
    "verbosity": (("verbose", "verbosely", "verbosity"),),
    "lock": (("lock", "locking", "acquire"), ("unlock", "unlocking", "release")),
    "install": (("install", "installing"), ("uninstall", "uninstalling")),
    "mount": (("mount", "mounting", "mounted"), ("unmount", "umount", "unmounting")),
    "stage": (("stage", "staged", "staging"), ("unstage", "unstaged", "unstaging")),
    "track": (("track", "tracked", "tracking"), ("untrack", "untracked", "untracking")),
    "subscribe": (("subscribe", "subscribing"), ("unsubscribe", "unsubscribing")),
    "register": (("register", "registering"), ("unregister", "deregister")),
    "session": (("login", "signin", "log in", "sign in", "logged in"),
                ("logout", "signout", "log out", "sign out", "logged out")),
    "zoom": (("zoom in",), ("zoom out",)),
    "permit": (("allow", "allowed", "permit", "whitelist", "allowlist"),
               ("deny", "denied", "forbid", "forbidden", "disallow", "blacklist",
                "blocklist")),
    "include": (("include", "including", "inclusive"),
                ("exclude", "excluding", "exclusive", "without", "skip", "skips", "skipping",
                 "skipped", "omit", "omits", "omitting", "omitted", "ignore", "ignores",
                 "ignoring", "ignored")),
    "presence": (("missing", "absent", "nonexistent", "non-existent", "lacks", "lacking"),),
    "concurrency": (("parallel", "parallelize", "parallelized", "concurrent", "concurrently",
                     "simultaneously"),
                    ("serial", "serially", "sequential", "sequentially", "one at a time",
                     "one by one")),
    "fold": (("expand", "expanding"), ("collapse", "collapsing")),
    "attach": (("attach", "attaching", "attached"), ("detach", "detaching", "detached")),
    "grant": (("grant", "granting", "granted"), ("revoke", "revoking", "revoked")),
    "merge_side": (("ours",), ("theirs",)),
    "traffic": (("inbound", "ingress", "incoming"), ("outbound", "egress", "outgoing")),
    "split": (("split", "splits", "splitting"),
              ("join", "joins", "joining", "concatenate", "concat")),
    "state": (("stateful",), ("stateless",)),
    "pause": (("pause", "pausing", "paused", "suspend", "suspending"),
              ("resume", "resuming", "unpause")),
    "history": (("undo",), ("redo",)),
    "growth": (("exponential", "exponentially"), ("linear", "linearly"), ("quadratic",),
               ("logarithmic",)),
    "setop": (("union",), ("intersection", "intersect")),
    "queue": (("enqueue",), ("dequeue",)),
    "access": (("read-only", "readonly"), ("writable", "writeable", "read-write")),
    "locking": (("optimistic",), ("pessimistic",)),
    "consent": (("opt in", "opt-in"), ("opt out", "opt-out")),
    "passing": (("pass-by-value", "pass by value", "passed by value", "call-by-value"),
                ("pass-by-reference", "pass by reference", "passed by reference",
                 "call-by-reference")),
    "truth": (("true", "success", "valid", "pass", "passes", "passed", "passing"),
              ("false", "failure", "invalid", "fail", "fails", "failed", "failing")),
    "axis": (("row", "rows", "horizontal", "horizontally", "x-axis"),
             ("column", "columns", "vertical", "vertically", "y-axis")),
    "size": (("width",), ("height",)),
    "join": (("inner",), ("outer", "left join", "full")),
    "io": (("input", "stdin"), ("output", "stdout", "stderr")),
    "message": (("request", "requests"), ("response", "responses")),
    "receive": (("receive", "receiving", "received"),),
    "role": (("producer", "producers", "publisher"), ("consumer", "consumers", "subscriber")),
    "place": (("local", "locally"), ("remote", "remotely")),
    "scope": (("global", "globally"),),
    "path": (("absolute",), ("relative",)),
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
    "entry": (("key", "keys"), ("value", "values")),
    "parity": (("odd",),),
    "sign": (("positive",), ("negative",)),
    "signed": (("signed",), ("unsigned",)),
    "endian": (("big-endian", "big endian"), ("little-endian", "little endian")),
    "typing": (("static", "statically"), ("dynamic", "dynamically")),
    "mutable": (("mutable",), ("immutable",)),
    "required": (("optional",), ("required", "mandatory")),
    "explicit": (("explicit", "explicitly"), ("implicit", "implicitly")),
    "loading": (("lazy", "lazily", "non-greedy"), ("eager", "eagerly", "greedy")),
    "recursion": (("recursive", "recursively", "recursion"),
                  ("iterative", "iteratively", "non-recursive")),
    "sensitive": (("sensitive",), ("insensitive",)),
    "link": (("soft", "symbolic", "symlink", "symlinks"), ("hardlink", "hardlinks")),
    "theme": (("light",), ("dark",)),
    "copy": (("shallow",), ("deep",)),
    "indent": (("tabs", "tab"), ("spaces", "space")),
    "unit": (("seconds", "sec", "secs"), ("milliseconds", "millisecond", "ms"),
             ("minutes", "minute", "mins"), ("hours", "hour"), ("days", "day"),
             ("weeks", "week"), ("months", "month"), ("years", "year"),
             ("bytes",), ("kb", "kilobytes"), ("mb", "megabytes"), ("gb", "gigabytes")),
    "keyword": (("break",), ("continue",)),
    "relation": (("parent",), ("child", "children")),
    "mode": (("debug",), ("development", "dev"), ("production", "prod")),
    "test": (("unit",), ("integration",), ("e2e", "end-to-end")),
}
# Groups whose members are things one converts between ("a list *to* a string"); their
# position counts, so they also take part in ``dir:`` tokens. Verbs (add, load, start) do not:
# "load JSON from a file" and "read a file's JSON" should still agree.
POSITIONED = frozenset({"dtype", "container", "entry", "unit", "case", "indent", "axis",
                        "place", "side", "io", "sync", "mode", "endian", "theme",
                        "role", "path"})
# "up"/"down" inside these idioms are not a direction ("look up", "slow down"); nor is the
# "set" of "set up a venv" a container.
IDIOMS = re.compile(
    r"\b(set|sets|setting)\s+(up)\b"
    r"|\b(?:look|looking|speed|speeding|clean|cleaning|sign|signing|pick"
    r"|show|make|bring|warm|follow|free|mess|hook|wake|pop|back|backing|end|ends|ended|catch"
    r"|give|put|sum|spin|fire|open|start|starting|boot|booting|stand|standing"
    r"|mix|messed|keep)\s+(up)\b|\b(up)\s+to\s+date\b|\b(up)\s+front\b"
    r"|\b(?:slow|slowing|break|breaking|narrow|track|boil|write|drill|drop|calm|cut|cool"
    r"|settle|go|goes|went|going|is|was|are|were|been)\s+(down)\b",
    re.IGNORECASE)
# Spelled-out numbers are numbers: "the first two elements" is not "the first three", and
# "two" is "2", "twice" is "two times". "one" and "once" are left out: "which one", "no one",
# "once it loads" count nothing.
NUMBER_WORDS: dict[str, str] = {word: str(n) for n, word in enumerate(
    "zero _ two three four five six seven eight nine ten eleven twelve thirteen fourteen "
    "fifteen sixteen seventeen eighteen nineteen twenty".split()) if word != "_"} | {
    "thirty": "30", "forty": "40", "fifty": "50", "sixty": "60", "seventy": "70",
    "eighty": "80", "ninety": "90", "hundred": "100", "thousand": "1000",
    "million": "1000000", "billion": "1000000000", "twice": "2", "thrice": "3"}

# Counted, per clause (see CONDITION): "x is None" has one, "x is not None" two.
NEGATIONS = frozenset({"not", "no", "never", "none", "nothing", "neither", "nor", "cannot",
                       "unless",
                       "isnt", "dont", "doesnt", "didnt", "wont", "cant", "shouldnt",
                       "wouldnt", "couldnt", "arent", "wasnt", "werent", "havent", "hasnt"})
LANGUAGES: dict[str, str] = {
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
AMBIGUOUS_LANGUAGE = re.compile(
    r"\b(?:in|with|using|to|from|for|of|learn|write|port)\s+(go|c|r)\b(?![+#])"
    r"(?!\s*(?:to|ahead|back|on|away)\b)"
    r"|\b(go|c|r)\s+(?:code|program|programs|module|modules|struct|structs|function|functions"
    r"|language|compiler|library|libraries|package|packages|script|scripts|version|routine)\b",
    re.IGNORECASE)
# A negation inside a condition ("... when the env var is not set") is not one of the main
# clause ("why does my test not fail when ..."): these open a clause that punctuation ends.
# "check if"/"see whether" open no condition but the thing checked, as "check that" does.
CONDITION = re.compile(r"\b(?:if|when|whenever|unless|until|while|whether|because|since|once)\b"
                       r"[^,;:.?!]*", re.IGNORECASE)
COMPLEMENT = re.compile(r"\b(?:check|checks|checking|test|tests|testing|see|know|tell|verify"
                        r"|determine|detect|ask|wonder|assert|asserts|ensure|sure|out)\s+$",
                        re.IGNORECASE)
# "non-nullable", "nonempty": a negation of the word after the prefix, whatever it is.
NON = re.compile(r"non-?(?!etheless\b)([a-z]{3,})", re.IGNORECASE)
# Prefixes that negate the stem they are put on ("unsafe", "insensitive", "disallow",
# "acyclic"): ambiguous alone ("install", "display", "around"), so they count only where the
# other question has the stem itself; "a" only on stems of five letters or more ("await" is
# no negation of "wait"). "non" is not here: it always negates, so it counts as a negation
# (NON), which also lets "non-empty" agree with "not empty".
NEGATING_PREFIXES = (("un", 3), ("in", 3), ("im", 3), ("il", 3),
                     ("ir", 3), ("dis", 3), ("de", 3), ("a", 5))
TO = re.compile(r"\b(?:to|into|->)\b|→|->")
FROM = re.compile(r"\bfrom\b")
# A preposition or punctuation between two values starts another phrase: in "a string to a
# datetime in Python" the string is not converted to Python.
PHRASE_BREAK = re.compile(r"\b(?:in|with|using|for|on|via|at|by|when|while|and|but|or|if"
                          r"|so)\b|[?.,;:!]")
CONTRAST_INDEX: dict[str, str] = {
    word: f"{group}:{poles[0]}"
    for group, all_poles in CONTRASTS.items()
    for poles in all_poles
    for word in poles
}
EXPLICIT_PHRASES = {
    "c++": "lang:cpp", "c#": "lang:csharp", "f#": "lang:fsharp", "objective-c": "lang:objc",
    "next.js": "lang:nextjs", "node.js": "lang:node", "vue.js": "lang:vue",
    "regular expression": "lang:regex", "left join": "join:outer",
    "non-blocking": "sync:async", "cherry-pick": "vcs:cherry-pick", "x-axis": "axis:row",
    "y-axis": "axis:column", "client-side": "side:client", "server-side": "side:server",
}
# Multi-word members of CONTRASTS ("log in", "big endian") are found as phrases too.
PHRASES = {**EXPLICIT_PHRASES,
           **{word: token for word, token in CONTRAST_INDEX.items() if " " in word}}
# One pass over the text for all of them; the longest alternative first.
PHRASE = re.compile(r"(?<!\w)(?:" + "|".join(
    re.escape(p) for p in sorted(PHRASES, key=len, reverse=True)) + r")(?!\w)")
# "set" is a verb far more often than a container ("set the timeout to 30 seconds").
UNPOSITIONED = frozenset({"set", "sets"})
DETERMINERS = frozenset({"a", "an", "the", "my", "our", "your", "this", "that", "these",
                         "those", "some", "its", "their", "each", "every", "one"})
SIDE = (r"(?:(?:a|an|the|my|our|your|this|that|these|those|some)\s+)?"
        r"([\w.+#-]+(?:\s+[\w.+#-]+){0,3}?)")
SIDE_END = (r"(?=\s+(?:in|with|using|for|on|via|when|while|so|and|but|or|without|by|from|to"
            r"|if|inside|within|at)\b|\s*[?.,;:!)]|\s*$)")
CONVERSION = re.compile(
    r"\b(?:convert|converting|converts|cast|casting|turn|turning|transform|transforming"
    r"|coerce|coercing|change|changing|map|mapping|translate|translating|redirect|redirecting"
    r"|migrate|migrating|port|porting|move|moving|copy|copying)\s+" + SIDE
    + r"\s+(?:to|into)\s+" + SIDE + SIDE_END
    + r"|\bfrom\s+" + SIDE + r"\s+(?:to|into)\s+" + SIDE + SIDE_END
    + r"|\b(?:get|getting|parse|parsing|extract|extracting|create|creating|make|making|build"
    r"|building|derive|deriving|obtain|construct|constructing)\s+" + SIDE + r"\s+from\s+"
    + SIDE + SIDE_END, re.IGNORECASE)
NAMING_NOUNS = ("function", "method", "class", "variable", "module", "package", "command",
                "flag", "option", "field", "column", "table", "endpoint", "hook", "component",
                "struct", "enum", "interface", "trait", "type", "decorator", "macro", "branch",
                "attribute", "property", "key", "argument", "parameter", "library", "crate",
                "service", "container", "route", "model", "test", "setting", "script",
                "job", "task", "queue", "topic", "bucket", "database", "schema", "index",
                "view", "page", "file", "directory", "folder", "repo", "repository", "image")
NAMED = re.compile(
    r"\b(?:the|my|our|this|that|your)\s+([A-Za-z_][\w]*)\s+(?:" + "|".join(NAMING_NOUNS)
    + r")s?\b|\b(?:" + "|".join(NAMING_NOUNS) + r")s?\s+(?:called|named)\s+([A-Za-z_][\w.]*)",
    re.IGNORECASE)
QUOTED = re.compile(r"`([^`]+)`|\"([^\"]+)\"|(?<!\w)'([^'\s][^']*[^'\s]|[^'\s])'(?!\w)")
URL = re.compile(r"\bhttps?://\S+")
PATH = re.compile(r"(?:~|\.{1,2})?/?(?:[\w.@-]+/)+[\w.@-]*|\b[\w-]+\.[A-Za-z][A-Za-z0-9]{0,5}\b")
NUMBER = re.compile(r"(?<![A-Za-z_\d])\d+(?:[.,:]\d+)*")
FLAG = re.compile(r"(?<![\w-])--?[A-Za-z][\w-]*")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_+#.'\u2019-]*(?:\(\))?")
NOT_SALIENT = frozenset({"e.g", "i.e", "etc", "vs", "a.k.a", "and/or", "i/o"})
STOP_NAMES = frozenset({"same", "following", "given", "above", "below", "which", "what", "new",
                        "first", "last", "next", "previous", "whole", "entire", "current",
                        "old", "other", "whose", "one", "only", "right", "wrong", "correct",
                        "default", "custom", "existing", "specific", "particular"})
TRAILING = ".?!;:,"
