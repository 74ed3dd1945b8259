"""TOON's lexical layer: line records, header shapes, quoting-aware splitting and literal
values. Pure helpers the decoder is built on."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lynkr.optimize.toon._common import Field


class ToonDecodeError(ValueError):
    """Malformed TOON; ``line`` is the 1-based line number when known."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line is not None else message)
        self.line = line


NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
BRACKET = re.compile(r"\[(0|[1-9][0-9]*)(:?)([\t|]?)\]")
PLAIN_RUN = re.compile(r'[^"\\]*')
UNESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


@dataclass(frozen=True, slots=True)
class Line:
    number: int
    depth: int
    text: str


@dataclass(frozen=True, slots=True)
class Head:
    """What a line's content is: an array header, a ``key: rest`` pair, or a bare value."""

    kind: str  # "header" | "pair" | "value"
    key: str | None = None
    quoted: bool = False
    rest: str = ""
    length: int = 0
    keyed: bool = False
    delimiter: str = ","
    fields: tuple[Field, ...] | None = None


class Malformed(Exception):
    """A header-shaped line that is not a valid header; non-strict decoders fall through."""


def find_unquoted(text: str, target: str, start: int = 0) -> int:
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


def split_cells(text: str, delimiter: str) -> list[str]:
    parts, start = [], 0
    while (cut := find_unquoted(text, delimiter, start)) != -1:
        parts.append(text[start:cut])
        start = cut + 1
    parts.append(text[start:])
    return parts


def literal(token: str) -> Any:
    if token in ("true", "false", "null"):
        return {"true": True, "false": False, "null": None}[token]
    if NUMBER.match(token):
        if not any(c in token for c in ".eE"):
            return int(token)
        number = float(token)
        if math.isinf(number):
            return token
        return 0.0 if number == 0 else number
    return token


def count_leaves(fields: tuple[Field, ...]) -> int:
    return sum(1 if f.children is None else count_leaves(f.children) for f in fields)


def build_row(fields: tuple[Field, ...], cells: Iterator[Any]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in fields:
        row[field.name] = (
            next(cells) if field.children is None else build_row(field.children, cells)
        )
    return row
