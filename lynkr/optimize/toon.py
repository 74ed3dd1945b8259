"""TOON (Token-Oriented Object Notation) v4.0 codec, plus a TOON-or-JSON chooser.

Why TOON: JSON repeats every key of every element and spends tokens on braces and quotes.
TOON states the keys of a uniform array once (``users[2]{id,name}:`` then one row per line),
drops most quotes and uses indentation instead of brackets, so tool results and catalogs cost
far fewer tokens while staying readable to a model. The codec follows the v4.0 spec and is
checked against the spec's own conformance fixtures (``tests/optimize/test_toon_spec.py``).

Both directions are pure functions. ``encode`` is deterministic and preserves key order;
``decode(encode(x)) == x`` for every JSON value (numbers compare by value: ``1.0`` may come
back as ``1``; rows of a table take the header's key order, §9.3). Key folding and path
expansion (``a.b.c: 1``) are opt-in, as in the spec.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import orjson

__all__ = ["ToonDecodeError", "decode", "encode", "toon_or_json"]

_DELIMITER_SYMBOL = {",": "", "\t": "\t", "|": "|"}
_UNQUOTED_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*\Z")
_IDENT_SEGMENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
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


def encode(
    value: Any,
    *,
    indent: int = 2,
    delimiter: str = ",",
    key_folding: str = "off",
    flatten_depth: int | None = None,
) -> str:
    """Encode a JSON-compatible value as TOON (no trailing newline).

    ``delimiter`` is ``","``, ``"\\t"`` or ``"|"``; tab and pipe pay off when values contain
    commas. ``key_folding="safe"`` writes chains of single-key objects as dotted keys
    (``a.b.c: 1``), limited to ``flatten_depth`` segments; decode such text with
    ``expand_paths="safe"``. NaN and infinities become ``null`` (spec §3).
    """
    if delimiter not in _DELIMITER_SYMBOL:
        raise ValueError(f"delimiter must be ',', '\\t' or '|', not {delimiter!r}")
    if indent < 1:
        raise ValueError("indent must be at least 1")
    if key_folding not in ("off", "safe"):
        raise ValueError(f"key_folding must be 'off' or 'safe', not {key_folding!r}")
    encoder = _Encoder(indent, delimiter, key_folding == "safe", flatten_depth or math.inf)
    encoder.root(value)
    return "\n".join(encoder.lines)


def decode(text: str, *, indent: int = 2, strict: bool = True, expand_paths: str = "off") -> Any:
    """Decode TOON text to Python JSON values (dict, list, str, int, float, bool, None).

    ``strict`` (the default) enforces declared lengths, indentation and unique keys, as the
    spec asks; ``strict=False`` accepts sloppy hand- or model-written TOON where the spec
    allows it. ``expand_paths="safe"`` turns unquoted dotted keys back into nested objects.
    Raises ``ToonDecodeError`` (a ``ValueError``) carrying the 1-based line number.
    """
    if expand_paths not in ("off", "safe"):
        raise ValueError(f"expand_paths must be 'off' or 'safe', not {expand_paths!r}")
    if indent < 1:
        raise ValueError("indent must be at least 1")
    return _Decoder(text, indent, strict, expand_paths == "safe").document()


def toon_or_json(value: Any) -> tuple[str, str]:
    """Return ``("toon", text)`` when TOON is fewer tokens than compact JSON, else JSON.

    TOON wins on uniform arrays and shallow objects but can lose on deeply nested or
    string-heavy data, so the choice is measured rather than assumed (ties go to JSON,
    which every model reads natively).
    """
    from lynkr.tokens import count_tokens  # local: keep the codec importable without tiktoken

    as_json = orjson.dumps(value).decode()
    as_toon = encode(value)
    if count_tokens(as_toon) < count_tokens(as_json):
        return "toon", as_toon
    return "json", as_json


@dataclass(frozen=True, slots=True)
class _Field:
    """One header field; ``children`` makes it a nested field group (``customer{name,city}``)."""

    name: str
    children: tuple[_Field, ...] | None = None


def _is_primitive(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _field_tree(rows: list[Any]) -> tuple[_Field, ...] | None:
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
            fields.append(_Field(str(name)))
            continue
        children = _field_tree(column)
        if children is None:
            return None
        fields.append(_Field(str(name), children))
    return tuple(fields)


def _keyed_fields(obj: Mapping[Any, Any]) -> tuple[_Field, ...] | None:
    """Fields for the keyed tabular form (§9.5): two or more entries of uniform objects."""
    if len(obj) < 2:
        return None
    return _field_tree(list(obj.values()))


def _leaves(row: Mapping[Any, Any], fields: tuple[_Field, ...]) -> Iterator[Any]:
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


class _Encoder:
    """Accumulates output lines; one instance per ``encode`` call."""

    def __init__(self, indent: int, delimiter: str, fold: bool, flatten_depth: float) -> None:
        self.lines: list[str] = []
        self.indent = indent
        self.delimiter = delimiter
        self.symbol = _DELIMITER_SYMBOL[delimiter]
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

    def _fields_text(self, fields: tuple[_Field, ...]) -> str:
        parts = [
            self._key(f.name) + (self._fields_text(f.children) if f.children else "")
            for f in fields
        ]
        return "{" + self.delimiter.join(parts) + "}"

    def _header(
        self, key: str, length: int, fields: tuple[_Field, ...] | None, keyed: bool = False
    ) -> str:
        marker = ":" if keyed else ""
        tail = self._fields_text(fields) if fields else ""
        return f"{key}[{length}{marker}{self.symbol}]{tail}:"

    def _entries(self, obj: Mapping[Any, Any]) -> Iterator[tuple[str, Any]]:
        """(encoded key, value) pairs, folding single-key chains when asked."""
        for raw_key, value in obj.items():
            key = str(raw_key)
            if self.fold and _IDENT_SEGMENT.match(key):
                segments = [key]
                while (
                    isinstance(value, Mapping)
                    and len(value) == 1
                    and len(segments) < self.flatten_depth
                ):
                    ((next_key, next_value),) = value.items()
                    if not _IDENT_SEGMENT.match(str(next_key)):
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
        self, depth: int, head: str, obj: Mapping[Any, Any], fields: tuple[_Field, ...], child: int
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


# --------------------------------------------------------------------------------------------
# Decoding
# --------------------------------------------------------------------------------------------


class ToonDecodeError(ValueError):
    """Malformed TOON; ``line`` is the 1-based line number when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_BRACKET = re.compile(r"\[(0|[1-9][0-9]*)(:?)([\t|]?)\]")
_PLAIN_RUN = re.compile(r'[^"\\]*')
_UNESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    depth: int
    text: str


@dataclass(frozen=True, slots=True)
class _Head:
    """What a line's content is: an array header, a ``key: rest`` pair, or a bare value."""

    kind: str  # "header" | "pair" | "value"
    key: str | None = None
    quoted: bool = False
    rest: str = ""
    length: int = 0
    keyed: bool = False
    delimiter: str = ","
    fields: tuple[_Field, ...] | None = None


class _Malformed(Exception):
    """A header-shaped line that is not a valid header; non-strict decoders fall through."""


def _find_unquoted(text: str, target: str, start: int = 0) -> int:
    in_quotes = False
    i = start
    while i < len(text):
        char = text[i]
        if in_quotes:
            if char == "\\":
                i += 1
            elif char == '"':
                in_quotes = False
        elif char == '"':
            in_quotes = True
        elif char == target:
            return i
        i += 1
    return -1


def _split(text: str, delimiter: str) -> list[str]:
    parts, start = [], 0
    while (cut := _find_unquoted(text, delimiter, start)) != -1:
        parts.append(text[start:cut])
        start = cut + 1
    parts.append(text[start:])
    return parts


def _literal(token: str) -> Any:
    if token in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[token]
    if _NUMBER.match(token):
        if not any(c in token for c in ".eE"):
            return int(token)
        number = float(token)
        if math.isinf(number):
            return token
        return 0.0 if number == 0 else number
    return token


def _count_leaves(fields: tuple[_Field, ...]) -> int:
    return sum(1 if f.children is None else _count_leaves(f.children) for f in fields)


def _build_row(fields: tuple[_Field, ...], cells: Iterator[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in fields:
        row[field.name] = (
            next(cells) if field.children is None else _build_row(field.children, cells)
        )
    return row


class _Decoder:
    """Recursive descent over comment- and blank-free lines; one instance per document."""

    def __init__(self, text: str, indent: int, strict: bool, expand: bool) -> None:
        self.strict = strict
        self.expand = expand
        self.lines: list[_Line] = []
        self.blanks: list[int] = []  # line numbers of blank lines, for the in-array check
        self.pos = 0
        for number, raw in enumerate(text.removeprefix("\ufeff").split("\n"), 1):
            raw = raw.removesuffix("\r")
            content = raw.lstrip(" ")
            if not content.strip(" \t"):
                self.blanks.append(number)
                continue
            if content[0] == "#":
                continue  # full-line comment (§5.1): only spaces may precede the '#'
            if content[0] == "\t":
                if strict:
                    raise ToonDecodeError("tab in indentation", number)
                content = content.lstrip(" \t")
            spaces = len(raw) - len(raw.lstrip(" "))
            if strict and spaces % indent:
                raise ToonDecodeError(f"indentation is not a multiple of {indent}", number)
            self.lines.append(_Line(number, spaces // indent, content.rstrip(" ")))

    # -- entry point -----------------------------------------------------------------------

    def document(self) -> Any:
        if not self.lines:
            return {}
        first = self.lines[0]
        if first.depth != 0:
            raise ToonDecodeError("unexpected indentation", first.number)
        head = self._head(first.text, first)
        if head.kind == "header" and head.key is None:
            self.pos = 1
            if head.keyed:
                value: Any = self._keyed_body(head, first, 1)
            else:
                value = self._array_body(head, first, 1, allow_tabular=True)
        elif head.kind == "value":
            if len(self.lines) > 1:
                raise ToonDecodeError("more than one value at the root", self.lines[1].number)
            self.pos = 1
            value = [] if first.text == "[]" else self._value(first.text, first)
        else:
            value = self._object(0, {})
        if self.pos < len(self.lines):
            raise ToonDecodeError("unexpected content", self.lines[self.pos].number)
        return value

    # -- tokens ----------------------------------------------------------------------------

    def _quoted(self, text: str, start: int, line: _Line) -> tuple[str, int]:
        """Unescape the quoted string at ``text[start]``; return it and the index after it."""
        out: list[str] = []
        i = start + 1
        while True:
            run = _PLAIN_RUN.match(text, i)
            assert run is not None
            out.append(run.group())
            i = run.end()
            if i >= len(text):
                raise ToonDecodeError("unterminated string", line.number)
            if text[i] == '"':
                return "".join(out), i + 1
            escape = text[i + 1 : i + 2]
            if escape in _UNESCAPES and escape:
                out.append(_UNESCAPES[escape])
                i += 2
            elif escape == "u":
                code, i = self._code_unit(text, i, line)
                if 0xD800 <= code < 0xDC00 and text[i : i + 2] == "\\u":
                    low, after = self._code_unit(text, i, line)
                    if 0xDC00 <= low < 0xE000:
                        code, i = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00), after
                if 0xD800 <= code < 0xE000:
                    raise ToonDecodeError("lone surrogate in \\u escape", line.number)
                out.append(chr(code))
            else:
                raise ToonDecodeError(f"invalid escape \\{escape}", line.number)

    @staticmethod
    def _code_unit(text: str, i: int, line: _Line) -> tuple[int, int]:
        digits = text[i + 2 : i + 6]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ToonDecodeError("\\u needs four hex digits", line.number)
        return int(digits, 16), i + 6

    def _value(self, token: str, line: _Line) -> Any:
        token = token.strip(" ")
        if token.startswith('"'):
            value, end = self._quoted(token, 0, line)
            if token[end:].strip(" "):
                raise ToonDecodeError("unexpected text after quoted string", line.number)
            return value
        return _literal(token)

    def _key_token(self, token: str, line: _Line) -> tuple[str, bool]:
        token = token.strip(" ")
        if token.startswith('"'):
            key, end = self._quoted(token, 0, line)
            if token[end:].strip(" "):
                raise ToonDecodeError("unexpected text after quoted key", line.number)
            return key, True
        return token, False

    def _cells(self, text: str, delimiter: str, line: _Line) -> list[Any]:
        return [self._value(token, line) for token in _split(text, delimiter)]

    # -- line heads ------------------------------------------------------------------------

    def _head(self, text: str, line: _Line) -> _Head:
        if text.startswith('"'):
            key, end = self._quoted(text, 0, line)
            after = text[end : end + 1]
            if after == ":":
                return _Head("pair", key, True, text[end + 1 :].strip(" "))
            if after == "[":
                return self._header(text, end, key, True, line)
            return _Head("value")
        cut = next((i for i, c in enumerate(text) if c in ":["), -1)
        if cut == -1:
            return _Head("value")
        if text[cut] == ":":
            return _Head("pair", text[:cut].rstrip(" "), False, text[cut + 1 :].strip(" "))
        return self._header(text, cut, text[:cut] or None, False, line)

    def _header(self, text: str, start: int, key: str | None, quoted: bool, line: _Line) -> _Head:
        try:
            bracket = _BRACKET.match(text, start)
            if bracket is None:
                raise _Malformed("malformed array length")
            delimiter = bracket.group(3) or ","
            end, fields = bracket.end(), None
            if text[end : end + 1] == "{":
                fields, end = self._fields(text, end, delimiter, line)
            if text[end : end + 1] != ":":
                raise _Malformed("array header must end with ':'")
            return _Head(
                "header",
                key,
                quoted,
                text[end + 1 :].strip(" "),
                int(bracket.group(1)),
                bool(bracket.group(2)),
                delimiter,
                fields,
            )
        except _Malformed as problem:
            colon = _find_unquoted(text, ":", start)
            if colon == -1:
                return _Head("value")
            if self.strict:
                raise ToonDecodeError(str(problem), line.number) from None
            return _Head("pair", text[:colon].rstrip(" "), False, text[colon + 1 :].strip(" "))

    def _fields(
        self, text: str, start: int, delimiter: str, line: _Line
    ) -> tuple[tuple[_Field, ...], int]:
        """Parse ``{a,b{c,d}}`` at ``text[start]``; return the fields and the index after."""
        fields: list[_Field] = []
        i = start + 1
        while True:
            while text[i : i + 1] == " ":
                i += 1
            if text[i : i + 1] == '"':
                name, i = self._quoted(text, i, line)
            else:
                j = i
                while j < len(text) and text[j] not in ("{", "}", delimiter):
                    j += 1
                name, i = text[i:j].strip(" "), j
                if not name and text[i : i + 1] == "}" and not fields:
                    raise _Malformed("empty fields segment")
            children = None
            if text[i : i + 1] == "{":
                children, i = self._fields(text, i, delimiter, line)
            if self.strict and any(f.name == name for f in fields):
                raise ToonDecodeError(f"duplicate field {name!r}", line.number)
            fields.append(_Field(name, children))
            while text[i : i + 1] == " ":
                i += 1
            if text[i : i + 1] == "}":
                return tuple(fields), i + 1
            if text[i : i + 1] != delimiter:
                raise _Malformed("unterminated fields segment")
            i += 1

    # -- structures ------------------------------------------------------------------------

    def _peek(self) -> _Line | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def _object(self, depth: int, into: dict[str, Any]) -> dict[str, Any]:
        while (line := self._peek()) is not None and line.depth >= depth:
            if line.depth > depth:
                raise ToonDecodeError("unexpected indentation", line.number)
            self.pos += 1
            self._field(self._head(line.text, line), line, depth + 1, into)
        return into

    def _field(self, head: _Head, line: _Line, child: int, into: dict[str, Any]) -> None:
        """Decode one ``key...`` line whose nested content sits at depth ``child``."""
        if head.kind == "value" or head.key is None:
            problem = "missing ':' after key" if head.kind == "value" else "keyless array header"
            raise ToonDecodeError(f"{problem} in object", line.number)
        value: Any
        if head.kind == "header":
            if head.keyed:
                value = self._keyed_body(head, line, child)
            else:
                value = self._array_body(head, line, child, allow_tabular=True)
        elif head.rest == "":
            following = self._peek()
            if following is not None and following.depth > child:
                raise ToonDecodeError("indentation skips a level", following.number)
            nested = following is not None and following.depth == child
            value = self._object(child, {}) if nested else {}
        elif head.rest == "[]":
            value = []
        else:
            value = self._value(head.rest, line)
        self._assign(into, head.key, value, head.quoted, line)

    def _assign(
        self, into: dict[str, Any], key: str, value: Any, quoted: bool, line: _Line
    ) -> None:
        segments = key.split(".")
        if (
            self.expand
            and not quoted
            and len(segments) > 1
            and all(_IDENT_SEGMENT.match(s) for s in segments)
        ):
            for segment in segments[:-1]:
                if not isinstance(into.get(segment), dict):
                    if segment in into and self.strict:
                        raise ToonDecodeError(f"path {key!r} conflicts with a value", line.number)
                    into[segment] = {}
                into = into[segment]
            key = segments[-1]
        self._put(into, key, value, line)

    def _put(self, into: dict[str, Any], key: str, value: Any, line: _Line) -> None:
        if key in into:
            old = into[key]
            if self.expand and isinstance(old, dict) and isinstance(value, dict):
                for sub_key, sub_value in value.items():
                    self._put(old, sub_key, sub_value, line)
                return
            if self.strict:
                raise ToonDecodeError(f"duplicate key {key!r}", line.number)
        into[key] = value

    def _check_blanks(self, first: int, last: int) -> None:
        """Strict mode rejects blank lines inside an array's span (§12)."""
        if not self.strict:
            return
        index = bisect_right(self.blanks, first)
        if index < len(self.blanks) and self.blanks[index] < last:
            raise ToonDecodeError("blank line inside an array", self.blanks[index])

    def _check_count(self, head: _Head, found: int, line: _Line) -> None:
        if self.strict and found != head.length:
            raise ToonDecodeError(f"declared {head.length} items, found {found}", line.number)

    def _span(self, before: int, header: _Line) -> None:
        if self.pos > before:
            self._check_blanks(self.lines[before].number, self.lines[self.pos - 1].number)

    def _array_body(self, head: _Head, line: _Line, child: int, allow_tabular: bool) -> list[Any]:
        if head.fields is not None:
            if not allow_tabular:
                raise ToonDecodeError("keyless tabular header inside a list", line.number)
            if head.rest:
                raise ToonDecodeError("tabular header carries no inline values", line.number)
            return self._rows(head, line, child)
        if head.rest:
            values = self._cells(head.rest, head.delimiter, line)
            self._check_count(head, len(values), line)
            return values
        if head.length == 0:
            return []
        before, items = self.pos, []
        while (item := self._peek()) is not None and item.depth >= child:
            if item.depth > child:
                raise ToonDecodeError("unexpected indentation", item.number)
            if item.text != "-" and not item.text.startswith("- "):
                raise ToonDecodeError("expected a list item '- '", item.number)
            self.pos += 1
            items.append(self._list_item(item, child))
        self._check_count(head, len(items), line)
        self._span(before, line)
        return items

    def _list_item(self, line: _Line, depth: int) -> Any:
        if line.text == "-":
            return {}
        body = line.text[2:]
        if body.strip(" ") == "[]":
            return []
        head = self._head(body, line)
        if head.kind == "value":
            return self._value(body, line)
        if head.kind == "header" and head.key is None:
            if head.keyed:
                raise ToonDecodeError("keyless keyed header is only valid at the root", line.number)
            return self._array_body(head, line, depth + 1, allow_tabular=False)
        item: dict[str, Any] = {}
        self._field(head, line, depth + 2, item)
        return self._object(depth + 1, item)

    def _rows(self, head: _Head, line: _Line, child: int) -> list[Any]:
        assert head.fields is not None
        width, before, rows = _count_leaves(head.fields), self.pos, []
        while (row := self._peek()) is not None and row.depth >= child:
            if row.depth > child:
                raise ToonDecodeError("unexpected indentation", row.number)
            colon = _find_unquoted(row.text, ":")
            split_at = _find_unquoted(row.text, head.delimiter)
            if colon != -1 and (split_at == -1 or colon < split_at):
                break  # a `key: value` line at row depth ends the rows (§9.3)
            cells = self._cells(row.text, head.delimiter, row)
            if len(cells) != width:
                raise ToonDecodeError(f"row has {len(cells)} values, header {width}", row.number)
            self.pos += 1
            rows.append(_build_row(head.fields, iter(cells)))
        self._check_count(head, len(rows), line)
        self._span(before, line)
        return rows

    def _keyed_body(self, head: _Head, line: _Line, child: int) -> dict[str, Any]:
        if head.fields is None:
            raise ToonDecodeError("keyed header needs a fields segment", line.number)
        if head.rest and self.strict:
            raise ToonDecodeError("keyed header carries no inline values", line.number)
        width, before, entries, count = _count_leaves(head.fields), self.pos, {}, 0
        while (row := self._peek()) is not None and row.depth >= child:
            if row.depth > child:
                raise ToonDecodeError("unexpected indentation", row.number)
            colon = _find_unquoted(row.text, ":")
            if colon == -1:
                raise ToonDecodeError("entry row needs 'key: values'", row.number)
            key, _ = self._key_token(row.text[:colon], row)
            rest = row.text[colon + 1 :]
            cells = self._cells(rest, head.delimiter, row) if rest.strip(" ") else []
            if len(cells) != width:
                raise ToonDecodeError(f"entry has {len(cells)} values, header {width}", row.number)
            self.pos += 1
            count += 1
            if key in entries and self.strict:
                raise ToonDecodeError(f"duplicate entry key {key!r}", row.number)
            entries[key] = _build_row(head.fields, iter(cells))
        self._check_count(head, count, line)
        self._span(before, line)
        return entries
