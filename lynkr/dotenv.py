"""Reading a ``.env`` file the way python-dotenv does, so a file written for the original
Lynkr (or for any dotenv tool) means the same here. Pure text rules plus one file read."""

from __future__ import annotations

import re
from pathlib import Path


def parse_env_file(path: Path) -> dict[str, str]:
    """Parse a dotenv file: ``KEY=value`` lines, ``#`` comments, optional quotes, ``export``.

    The rules are python-dotenv's for one-line values: a quoted value ends at its closing quote
    (a ``#`` inside the quotes is part of it; a backslash escapes only a quote or a backslash)
    and may be followed by a comment; an unquoted value ends where whitespace and ``#`` begin
    a comment, so ``abc#def`` keeps its ``#``.
    """
    values: dict[str, str] = {}
    for raw in path.read_text(encoding="utf-8-sig").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = _env_value(value)
    return values


def _env_value(raw: str) -> str:
    text = raw.strip()
    if text.startswith("#") and raw[:1].isspace():
        return ""  # ``KEY= # comment`` is empty; ``KEY=#x`` is "#x"
    quoted = _QUOTED_VALUE.fullmatch(text)
    if quoted is not None:
        if quoted["double"] is not None:
            return _DOUBLE_QUOTED_ESCAPE.sub(lambda m: m[0][1], quoted["double"])
        return _SINGLE_QUOTED_ESCAPE.sub(lambda m: m[0][1], quoted["single"])
    return _COMMENT.sub("", text).strip()


# A quoted value (a backslash escapes the next character) and nothing after it but a comment.
_QUOTED_VALUE = re.compile(r"""(?:"(?P<double>(?:\\.|[^"\\])*)"|'(?P<single>(?:\\.|[^'\\])*)')"""
                           r"\s*(?:#.*)?")
_DOUBLE_QUOTED_ESCAPE = re.compile(r"""\\[\\"']""")
_SINGLE_QUOTED_ESCAPE = re.compile(r"\\[\\']")
_COMMENT = re.compile(r"\s+#.*")
