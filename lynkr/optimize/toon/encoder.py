"""TOON encoder: JSON values to TOON text (deterministic, key order preserved)."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import Any

from lynkr.optimize.toon._common import IDENT_SEGMENT, Field

DELIMITER_SYMBOL = {",": "", "\t": "\t", "|": "|"}
_UNQUOTED_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
# Broader than the decoder's number grammar on purpose: anything a reader (or an older
# decoder) could take for a number is quoted, e.g. "05", "+1", ".5", "1e-6".
_NUMBER_LIKE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")
_NEEDS_QUOTES = re.compile(r'[:"\\\[\]{}\x00-\x1f]')
_ESCAPES = {
    ord("\\"): "\\\\",
    ord('"'): '\\"',
    ord("\n"): "\\n",
    ord("\r"): "\\r",
    ord("\t"): "\\t",
}
_ESCAPES.update({c: f"\\u{c:04x}" for c in range(0x20) if c not in _ESCAPES})


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _field_tree(rows: list[Any]) -> tuple[Field, ...] | None:
    """Header fields if ``rows`` are non-empty objects with one key set and primitive leaves.

    A column may also hold non-empty objects that are themselves uniform; they become a
    nested field group whose leaves are laid out depth-first in each row (spec §9.3).
    """
    if not rows or not all(isinstance(row, Mapping) and row for row in rows):
        return None
    names = list(rows[0])
    key_set = set(names)
    if any(len(row) != len(names) or set(row) != key_set for row in rows):
        return None
    fields = []
    for name in names:
        column = [row[name] for row in rows]
        if all(_is_primitive(cell) for cell in column):
            fields.append(Field(str(name)))
            continue
        children = _field_tree(column)
        if children is None:
            return None
        fields.append(Field(str(name), children))
    return tuple(fields)


def _keyed_fields(obj: Mapping[Any, Any]) -> tuple[Field, ...] | None:
    """Fields for the keyed tabular form (§9.5): two or more entries of uniform objects."""
    if len(obj) < 2:
        return None
    return _field_tree(list(obj.values()))


def _leaves(row: Mapping[Any, Any], fields: tuple[Field, ...]) -> Iterator[Any]:
    for field in fields:
        value = row[field.name]
        if field.children is None:
            yield value
        else:
            yield from _leaves(value, field.children)


def _format_number(value: int | float) -> str:
    """Decimal text without exponent inside the spec's canonical range (1e-6 <= |n| < 1e21)."""
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return "null"
    if value == 0:
        return "0"
    if value.is_integer() and abs(value) < 1e21:
        return str(int(value))  # exact, so it decodes to an equal number
    shortest = repr(value)
    if 1e-6 <= abs(value) < 1e21:
        return format(Decimal(shortest), "f")
    mantissa, _, exponent = shortest.partition("e")
    return f"{mantissa}e{'+' if int(exponent) > 0 else '-'}{abs(int(exponent))}"


def _quote(text: str) -> str:
    return '"' + text.translate(_ESCAPES) + '"'


def _needs_quotes(text: str, delimiter: str) -> bool:
    return (
        not text
        or text != text.strip()
        or text in ("true", "false", "null")
        or text[0] in "-#\ufeff"
        or delimiter in text
        or _NEEDS_QUOTES.search(text) is not None
        or _NUMBER_LIKE.match(text) is not None
    )


class Encoder:
    """Accumulates output lines; one instance per ``encode`` call."""

    def __init__(self, indent: int, delimiter: str, fold: bool, flatten_depth: float) -> None:
        self.lines: list[str] = []
        self.indent = indent
        self.delimiter = delimiter
        self.symbol = DELIMITER_SYMBOL[delimiter]
        self.fold = fold
        self.flatten_depth = flatten_depth

    def root(self, value: Any) -> None:
        if isinstance(value, Mapping):
            fields = _keyed_fields(value)
            if fields is not None:
                self._keyed(0, "", value, fields, 1)
            else:
                self._object(value, 0)
        elif isinstance(value, list | tuple):
            if not value:
                self.lines.append("[]")
            else:
                self._array_body(0, "", "", list(value), 1, allow_tabular=True)
        else:
            self.lines.append(self._primitive(value))

    def _emit(self, depth: int, text: str) -> None:
        self.lines.append(" " * (self.indent * depth) + text)

    def _primitive(self, value: Any) -> str:
        if value is None or value is True or value is False:
            return {None: "null", True: "true", False: "false"}[value]
        if isinstance(value, int | float):
            return _format_number(value)
        if isinstance(value, str):
            return _quote(value) if _needs_quotes(value, self.delimiter) else value
        raise TypeError(f"cannot encode {type(value).__name__} as TOON")

    def _join(self, values: Iterator[Any] | list[Any]) -> str:
        return self.delimiter.join(self._primitive(v) for v in values)

    def _key(self, key: str, *, dotted: bool = False) -> str:
        # With folding on, a literal dotted key is quoted so path expansion leaves it alone.
        if _UNQUOTED_KEY.match(key) and not (dotted and self.fold and "." in key):
            return key
        return _quote(key)

    def _fields_text(self, fields: tuple[Field, ...]) -> str:
        parts = [
            self._key(f.name) + (self._fields_text(f.children) if f.children else "")
            for f in fields
        ]
        return "{" + self.delimiter.join(parts) + "}"

    def _header(
        self, key: str, length: int, fields: tuple[Field, ...] | None, keyed: bool = False
    ) -> str:
        marker = ":" if keyed else ""
        tail = self._fields_text(fields) if fields else ""
        return f"{key}[{length}{marker}{self.symbol}]{tail}:"

    def _entries(self, obj: Mapping[Any, Any]) -> Iterator[tuple[str, Any]]:
        """(encoded key, value) pairs, folding single-key chains when asked."""
        for raw_key, value in obj.items():
            key = str(raw_key)
            if self.fold and IDENT_SEGMENT.match(key):
                segments = [key]
                while (
                    isinstance(value, Mapping)
                    and len(value) == 1
                    and len(segments) < self.flatten_depth
                ):
                    ((next_key, next_value),) = value.items()
                    if not IDENT_SEGMENT.match(str(next_key)):
                        break
                    segments.append(str(next_key))
                    value = next_value
                folded = ".".join(segments)
                if len(segments) > 1 and folded not in obj:
                    yield folded, value
                    continue
                value = obj[raw_key]
            yield self._key(key, dotted=True), value

    def _object(self, obj: Mapping[Any, Any], depth: int) -> None:
        for key, value in self._entries(obj):
            self._pair(depth, "", key, value, depth + 1)

    def _pair(self, depth: int, lead: str, key: str, value: Any, child: int) -> None:
        """One field; ``lead`` is ``"- "`` for the first field of a list-item object."""
        if isinstance(value, list | tuple):
            if not value:
                self._emit(depth, f"{lead}{key}: []")
            else:
                self._array_body(depth, lead, key, list(value), child, allow_tabular=True)
        elif isinstance(value, Mapping):
            fields = _keyed_fields(value)
            if fields is not None:
                self._keyed(depth, lead + key, value, fields, child)
            else:
                self._emit(depth, f"{lead}{key}:")
                self._object(value, child)
        else:
            self._emit(depth, f"{lead}{key}: {self._primitive(value)}")

    def _keyed(
        self, depth: int, head: str, obj: Mapping[Any, Any], fields: tuple[Field, ...], child: int
    ) -> None:
        self._emit(depth, self._header(head, len(obj), fields, keyed=True))
        for key, row in obj.items():
            self._emit(child, f"{self._key(str(key))}: {self._join(_leaves(row, fields))}")

    def _array_body(
        self, depth: int, lead: str, key: str, items: list[Any], child: int, allow_tabular: bool
    ) -> None:
        if all(_is_primitive(item) for item in items):
            self._emit(depth, f"{lead}{self._header(key, len(items), None)} {self._join(items)}")
            return
        fields = _field_tree(items) if allow_tabular else None
        self._emit(depth, lead + self._header(key, len(items), fields))
        for item in items:
            if fields is not None:
                self._emit(child, self._join(_leaves(item, fields)))
            else:
                self._list_item(item, child)

    def _list_item(self, item: Any, depth: int) -> None:
        if isinstance(item, list | tuple):
            if not item:
                self._emit(depth, f"- [0{self.symbol}]:")
            else:
                # An anonymous array never uses the tabular form inside a list (§9.4).
                self._array_body(depth, "- ", "", list(item), depth + 1, allow_tabular=False)
        elif isinstance(item, Mapping):
            entries = list(self._entries(item))
            if not entries:
                self._emit(depth, "-")
                return
            first_key, first_value = entries[0]
            self._pair(depth, "- ", first_key, first_value, depth + 2)
            for key, value in entries[1:]:
                self._pair(depth + 1, "", key, value, depth + 2)
        else:
            self._emit(depth, f"- {self._primitive(item)}")
