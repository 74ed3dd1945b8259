"""Files and symbols a task mentions: what the code-graph dimension looks up."""

from __future__ import annotations

import re
from collections.abc import Sequence

_MAX_MENTIONS = 8

_FILE = re.compile(
    r"(?<![\w@/.-])((?:\.{1,2}/)?(?:[\w.-]+/)*[\w-]+(?:\.[\w-]+)*\.(?:pyi?|tsx?|jsx?|mjs|cjs|go|"
    r"rs|java|kts?|rb|php|c|h|cc|cpp|hpp|cs|swift|scala|sql|ya?ml|json|toml|ini|cfg|md|sh|"
    r"bash|proto|vue|svelte|exs?|erl|lua|dart|tf|gradle|xml|html|css|scss|jl|zig|hs|ml|ipynb))"
    r"(?![\w/-])|\b(Dockerfile|Makefile|Jenkinsfile|Procfile|Gemfile|Cargo\.toml)\b")
_NOT_FILES = frozenset({"node.js", "next.js", "vue.js", "react.js", "nuxt.js", "express.js",
                        "three.js", "d3.js", "chart.js", "nest.js", "deno.js"})
_BACKTICKED = re.compile(r"`([A-Za-z_][\w.]*)(?:\(\))?`")
_CALLED = re.compile(r"\b([A-Za-z_]\w*)\(")
_SYMBOLISH = re.compile(r"_|[a-z][A-Z]")


def extract_mentions(text: str, tool_paths: Sequence[str] = ()
                     ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Files (paths with a code extension, tool ``file_path``/``path`` inputs) and symbols
    (snake_case / camelCase names called or backticked) mentioned; at most 8 of each."""
    found: dict[str, None] = {}
    for match in _FILE.finditer(text):
        name = match.group(1) or match.group(2)
        if name.lower() not in _NOT_FILES:
            found.setdefault(name, None)
    for path in tool_paths:
        # "tools/gen.py" in the prompt and "/repo/tools/gen.py" read by a tool are one file.
        same = next((f for f in found if path.endswith("/" + f) or f.endswith("/" + path)), None)
        if same is not None:
            del found[same]
        found.setdefault(path, None)
    symbols: dict[str, None] = {}
    for match in _BACKTICKED.finditer(text):
        name = match.group(1)
        if name not in found and not _FILE.fullmatch(name):
            symbols.setdefault(name, None)
    for match in _CALLED.finditer(text):
        if _SYMBOLISH.search(match.group(1)):
            symbols.setdefault(match.group(1), None)
    return tuple(list(found)[:_MAX_MENTIONS]), tuple(list(symbols)[:_MAX_MENTIONS])
