"""Lossless affix factoring for JSON tables: text every value of a column starts or ends
with is stated once, above the TOON, instead of on every row.

Why: TOON already states each table's keys once, but a string column whose values share a
long prefix or suffix (``https://api.example.com/v1/items/…``, a repeated code template,
an install path) still pays for that text on every row. Saying it once is lossless and reads
naturally to a model::

    (every url below is "https://api.example.com/v1/items/" + the value shown)
    items[3]{id,url}:
      1,"1"
      ...

Guards keep it readable: only tables of ``MIN_ROWS`` rows or more, only affixes worth at least
``MIN_AFFIX_TOKENS`` tokens, and only cut where a word ends (a number or a name is never split
in two). ``unfactor`` reverses it exactly, so ``unfactor(factor(x)) == x``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from lynkr.optimize.toon import decode, encode
from lynkr.tokens import count_tokens

__all__ = ["Affix", "factor", "factor_if_it_pays", "find_affixes", "unfactor"]

Change = Callable[[str, "Affix"], str]

MIN_ROWS = 8
MIN_AFFIX_TOKENS = 4
# Factoring asks the model to reassemble values, so it must clearly pay for that.
FACTORING_GAIN = 0.9
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*\Z")
_STRING = r'"(?:[^"\\]|\\.)*"'
_NOTE = re.compile(
    rf"\(every (?P<where>(?:[A-Za-z_][\w-]*\.)*(?:[A-Za-z_][\w-]*\[\]\.)?[A-Za-z_][\w-]*) below is "
    rf"(?:(?P<prefix>{_STRING}) \+ )?the value shown(?: \+ (?P<suffix>{_STRING}))?\)\Z"
)


@dataclass(frozen=True, slots=True)
class Affix:
    """Every ``column`` string of the array at ``path`` (object keys from the root; ``()`` is
    the root itself) starts with ``prefix`` and ends with ``suffix``."""

    path: tuple[str, ...]
    column: str
    prefix: str
    suffix: str

    def note(self) -> str:
        where = f"{'.'.join(self.path)}[].{self.column}" if self.path else self.column
        parts = [_quote(self.prefix), "the value shown", _quote(self.suffix)]
        shown = " + ".join(part for part in parts if part)
        return f"(every {where} below is {shown})"


def factor(value: Any) -> str | None:
    """TOON of ``value`` with its tables' shared affixes stated once, or None when no column
    has an affix worth factoring (then plain TOON is the better rendering)."""
    affixes = find_affixes(value)
    if not affixes:
        return None
    notes = "\n".join(affix.note() for affix in affixes)
    return f"{notes}\n{encode(_apply(value, affixes, _strip))}"


def factor_if_it_pays(value: Any, rendered: str) -> str:
    """``factor(value)`` when that is under ``FACTORING_GAIN`` of ``rendered``'s tokens (the
    plain TOON or JSON of ``value``), else ``rendered``."""
    factored = factor(value)
    if factored is not None and count_tokens(factored) < FACTORING_GAIN * count_tokens(rendered):
        return factored
    return rendered


def unfactor(text: str) -> Any:
    """Decode a ``factor`` rendering (or plain TOON) back to the original JSON value."""
    lines = text.split("\n")
    affixes: list[Affix] = []
    while lines and (match := _NOTE.match(lines[0])):
        *path, column = match["where"].replace("[]", "").split(".")
        affixes.append(Affix(tuple(path), column, _unquote(match["prefix"]),
                             _unquote(match["suffix"])))
        lines.pop(0)
    return _apply(decode("\n".join(lines)), affixes, _restore)


def find_affixes(value: Any) -> list[Affix]:
    """The affixes worth factoring out of every table (array of objects) in ``value``
    reachable through object keys, in document order."""
    found = []
    for path, rows in _tables(value, ()):
        for column in rows[0]:
            values = [row.get(column) for row in rows]
            strings = [v for v in values if isinstance(v, str)]
            if not _NAME.match(column) or len(strings) != len(values):
                continue
            prefix, suffix = (a if _worth_it(a) else "" for a in _shared_affixes(strings))
            if prefix or suffix:
                found.append(Affix(path, column, prefix, suffix))
    return found


def _tables(value: Any, path: tuple[str, ...]
            ) -> Iterator[tuple[tuple[str, ...], list[dict[str, Any]]]]:
    if isinstance(value, dict):
        for key, child in value.items():
            if _NAME.match(key):
                yield from _tables(child, (*path, key))
    elif (isinstance(value, list) and len(value) >= MIN_ROWS
          and all(isinstance(row, dict) for row in value)):
        yield path, value


def _shared_affixes(strings: list[str]) -> tuple[str, str]:
    """The longest prefix and suffix every string has, each cut back to a word boundary and
    never overlapping inside the shortest string."""
    prefix = _word_prefix(os.path.commonprefix(strings), strings)
    rest = [s[len(prefix):] for s in strings]
    reversed_suffix = _word_prefix(os.path.commonprefix([s[::-1] for s in rest]),
                                   [s[::-1] for s in rest])
    return prefix, reversed_suffix[::-1]


def _word_prefix(prefix: str, strings: list[str]) -> str:
    """Shorten ``prefix`` until it ends where a word ends in every string: its last character
    is not alphanumeric, or no string continues it with one."""
    while prefix:
        if not prefix[-1].isalnum():
            return prefix
        if all(len(s) == len(prefix) or not s[len(prefix)].isalnum() for s in strings):
            return prefix
        prefix = prefix[:-1]
    return prefix


def _worth_it(affix: str) -> bool:
    return bool(affix) and count_tokens(affix) >= MIN_AFFIX_TOKENS


def _apply(value: Any, affixes: list[Affix], change: Change) -> Any:
    """A copy of ``value`` with ``change(text, affix)`` applied to every factored cell."""
    by_path: dict[tuple[str, ...], list[Affix]] = {}
    for affix in affixes:
        by_path.setdefault(affix.path, []).append(affix)
    return _walk(value, (), by_path, change)


def _walk(value: Any, path: tuple[str, ...], by_path: dict[tuple[str, ...], list[Affix]],
          change: Change) -> Any:
    if isinstance(value, dict):
        return {key: _walk(child, (*path, key), by_path, change) if _NAME.match(key) else child
                for key, child in value.items()}
    if isinstance(value, list) and path in by_path and all(isinstance(r, dict) for r in value):
        rows = [dict(row) for row in value]
        for affix in by_path[path]:
            for row in rows:
                if isinstance(row.get(affix.column), str):
                    row[affix.column] = change(row[affix.column], affix)
        return rows
    return value


def _strip(text: str, affix: Affix) -> str:
    return text[len(affix.prefix): len(text) - len(affix.suffix)]


def _restore(text: str, affix: Affix) -> str:
    return f"{affix.prefix}{text}{affix.suffix}"


def _quote(text: str) -> str:
    return json.dumps(text, ensure_ascii=False) if text else ""


def _unquote(text: str | None) -> str:
    return json.loads(text) if text else ""
