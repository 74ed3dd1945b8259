"""TOON decoder: TOON text to JSON values, strict by default, with line-numbered errors."""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from lynkr.optimize.toon._common import IDENT_SEGMENT, Field
from lynkr.optimize.toon.syntax import (
    BRACKET,
    PLAIN_RUN,
    UNESCAPES,
    Head,
    Line,
    Malformed,
    ToonDecodeError,
    build_row,
    count_leaves,
    find_unquoted,
    literal,
    split_cells,
)


class Decoder:
    """Recursive descent over comment- and blank-free lines; one instance per document."""

    def __init__(self, text: str, indent: int, strict: bool, expand: bool) -> None:
        self.strict = strict
        self.expand = expand
        self.lines: list[Line] = []
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
            self.lines.append(Line(number, spaces // indent, content.rstrip(" ")))

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

    def _quoted(self, text: str, start: int, line: Line) -> tuple[str, int]:
        """Unescape the quoted string at ``text[start]``; return it and the index after it."""
        out: list[str] = []
        i = start + 1
        while True:
            run = PLAIN_RUN.match(text, i)
            assert run is not None
            out.append(run.group())
            i = run.end()
            if i >= len(text):
                raise ToonDecodeError("unterminated string", line.number)
            if text[i] == '"':
                return "".join(out), i + 1
            escape = text[i + 1 : i + 2]
            if escape in UNESCAPES and escape:
                out.append(UNESCAPES[escape])
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
    def _code_unit(text: str, i: int, line: Line) -> tuple[int, int]:
        digits = text[i + 2 : i + 6]
        if len(digits) != 4 or any(c not in "0123456789abcdefABCDEF" for c in digits):
            raise ToonDecodeError("\\u needs four hex digits", line.number)
        return int(digits, 16), i + 6

    def _value(self, token: str, line: Line) -> Any:
        token = token.strip(" ")
        if token.startswith('"'):
            value, end = self._quoted(token, 0, line)
            if token[end:].strip(" "):
                raise ToonDecodeError("unexpected text after quoted string", line.number)
            return value
        return literal(token)

    def _key_token(self, token: str, line: Line) -> tuple[str, bool]:
        token = token.strip(" ")
        if token.startswith('"'):
            key, end = self._quoted(token, 0, line)
            if token[end:].strip(" "):
                raise ToonDecodeError("unexpected text after quoted key", line.number)
            return key, True
        return token, False

    def _cells(self, text: str, delimiter: str, line: Line) -> list[Any]:
        return [self._value(token, line) for token in split_cells(text, delimiter)]

    # -- line heads ------------------------------------------------------------------------

    def _head(self, text: str, line: Line) -> Head:
        if text.startswith('"'):
            key, end = self._quoted(text, 0, line)
            after = text[end : end + 1]
            if after == ":":
                return Head("pair", key, True, text[end + 1 :].strip(" "))
            if after == "[":
                return self._header(text, end, key, True, line)
            return Head("value")
        cut = next((i for i, c in enumerate(text) if c in ":["), -1)
        if cut == -1:
            return Head("value")
        if text[cut] == ":":
            return Head("pair", text[:cut].rstrip(" "), False, text[cut + 1 :].strip(" "))
        return self._header(text, cut, text[:cut] or None, False, line)

    def _header(self, text: str, start: int, key: str | None, quoted: bool, line: Line) -> Head:
        try:
            bracket = BRACKET.match(text, start)
            if bracket is None:
                raise Malformed("malformed array length")
            delimiter = bracket.group(3) or ","
            end, fields = bracket.end(), None
            if text[end : end + 1] == "{":
                fields, end = self._fields(text, end, delimiter, line)
            if text[end : end + 1] != ":":
                raise Malformed("array header must end with ':'")
            return Head(
                "header",
                key,
                quoted,
                text[end + 1 :].strip(" "),
                int(bracket.group(1)),
                bool(bracket.group(2)),
                delimiter,
                fields,
            )
        except Malformed as problem:
            colon = find_unquoted(text, ":", start)
            if colon == -1:
                return Head("value")
            if self.strict:
                raise ToonDecodeError(str(problem), line.number) from None
            return Head("pair", text[:colon].rstrip(" "), False, text[colon + 1 :].strip(" "))

    def _fields(
        self, text: str, start: int, delimiter: str, line: Line
    ) -> tuple[tuple[Field, ...], int]:
        """Parse ``{a,b{c,d}}`` at ``text[start]``; return the fields and the index after."""
        fields: list[Field] = []
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
                    raise Malformed("empty fields segment")
            children = None
            if text[i : i + 1] == "{":
                children, i = self._fields(text, i, delimiter, line)
            if self.strict and any(f.name == name for f in fields):
                raise ToonDecodeError(f"duplicate field {name!r}", line.number)
            fields.append(Field(name, children))
            while text[i : i + 1] == " ":
                i += 1
            if text[i : i + 1] == "}":
                return tuple(fields), i + 1
            if text[i : i + 1] != delimiter:
                raise Malformed("unterminated fields segment")
            i += 1

    # -- structures ------------------------------------------------------------------------

    def _peek(self) -> Line | None:
        return self.lines[self.pos] if self.pos < len(self.lines) else None

    def _object(self, depth: int, into: dict[str, Any]) -> dict[str, Any]:
        while (line := self._peek()) is not None and line.depth >= depth:
            if line.depth > depth:
                raise ToonDecodeError("unexpected indentation", line.number)
            self.pos += 1
            self._field(self._head(line.text, line), line, depth + 1, into)
        return into

    def _field(self, head: Head, line: Line, child: int, into: dict[str, Any]) -> None:
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
        self, into: dict[str, Any], key: str, value: Any, quoted: bool, line: Line
    ) -> None:
        segments = key.split(".")
        if (
            self.expand
            and not quoted
            and len(segments) > 1
            and all(IDENT_SEGMENT.match(s) for s in segments)
        ):
            for segment in segments[:-1]:
                if not isinstance(into.get(segment), dict):
                    if segment in into and self.strict:
                        raise ToonDecodeError(f"path {key!r} conflicts with a value", line.number)
                    into[segment] = {}
                into = into[segment]
            key = segments[-1]
        self._put(into, key, value, line)

    def _put(self, into: dict[str, Any], key: str, value: Any, line: Line) -> None:
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

    def _check_count(self, head: Head, found: int, line: Line) -> None:
        if self.strict and found != head.length:
            raise ToonDecodeError(f"declared {head.length} items, found {found}", line.number)

    def _span(self, before: int, header: Line) -> None:
        if self.pos > before:
            self._check_blanks(self.lines[before].number, self.lines[self.pos - 1].number)

    def _array_body(self, head: Head, line: Line, child: int, allow_tabular: bool) -> list[Any]:
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

    def _list_item(self, line: Line, depth: int) -> Any:
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

    def _rows(self, head: Head, line: Line, child: int) -> list[Any]:
        assert head.fields is not None
        width, before, rows = count_leaves(head.fields), self.pos, []
        while (row := self._peek()) is not None and row.depth >= child:
            if row.depth > child:
                raise ToonDecodeError("unexpected indentation", row.number)
            colon = find_unquoted(row.text, ":")
            split_at = find_unquoted(row.text, head.delimiter)
            if colon != -1 and (split_at == -1 or colon < split_at):
                break  # a `key: value` line at row depth ends the rows (§9.3)
            cells = self._cells(row.text, head.delimiter, row)
            if len(cells) != width:
                raise ToonDecodeError(f"row has {len(cells)} values, header {width}", row.number)
            self.pos += 1
            rows.append(build_row(head.fields, iter(cells)))
        self._check_count(head, len(rows), line)
        self._span(before, line)
        return rows

    def _keyed_body(self, head: Head, line: Line, child: int) -> dict[str, Any]:
        if head.fields is None:
            raise ToonDecodeError("keyed header needs a fields segment", line.number)
        if head.rest and self.strict:
            raise ToonDecodeError("keyed header carries no inline values", line.number)
        width, before, entries, count = count_leaves(head.fields), self.pos, {}, 0
        while (row := self._peek()) is not None and row.depth >= child:
            if row.depth > child:
                raise ToonDecodeError("unexpected indentation", row.number)
            colon = find_unquoted(row.text, ":")
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
            entries[key] = build_row(head.fields, iter(cells))
        self._check_count(head, count, line)
        self._span(before, line)
        return entries
