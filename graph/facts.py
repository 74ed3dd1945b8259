"""What extraction learns about one file: plain, immutable, picklable records.

Facts are local to one file (names are not yet resolved to other files); ``resolve.py`` turns
them into graph edges. They are NamedTuples so that they cross process boundaries and the
on-disk store as compact rows (``tuple(record)``), and rebuild with ``Record(*row)``.
"""

from __future__ import annotations

from typing import NamedTuple

CLASS_KINDS = frozenset({"class", "struct", "interface", "enum", "trait", "module", "object"})


class Symbol(NamedTuple):
    """A definition: function, method, class, struct, interface, enum, trait or module.

    ``parent`` is the index of the enclosing symbol in the file's symbol list, or -1.
    ``qualname`` joins enclosing class-like names and the name with dots (``Shape.area``).
    Lines are 1-based and inclusive.
    """

    name: str
    qualname: str
    kind: str
    start_line: int
    end_line: int
    signature: str
    parent: int
    cyclomatic: int
    nesting: int
    documented: bool


class Call(NamedTuple):
    """A call site: ``caller`` is a symbol index or -1 for module level code.

    ``receiver`` is the object the call is made on when it is a plain name
    (``self``, ``this``, a module alias), else "".
    """

    caller: int
    name: str
    receiver: str
    line: int


class Import(NamedTuple):
    """An import as written: ``spec`` is the module or path, ``name`` an imported member,
    ``alias`` the local name it is bound to when renamed (``import x as alias``)."""

    spec: str
    name: str
    alias: str
    line: int


class Inherit(NamedTuple):
    """``symbol`` (index of a class-like symbol, or -1) names ``base`` as its parent type.

    ``owner`` is the class name as written, used when the symbol is declared apart from its
    inheritance (Rust ``impl Trait for Type``).
    """

    symbol: int
    owner: str
    base: str


class FileFacts(NamedTuple):
    """Everything extracted from one file."""

    language: str
    lines: int
    comment_lines: int
    error_count: int
    symbols: tuple[Symbol, ...]
    imports: tuple[Import, ...]
    calls: tuple[Call, ...]
    inherits: tuple[Inherit, ...]


def facts_to_rows(facts: FileFacts) -> list[object]:
    """Plain lists and tuples for JSON storage (NamedTuples are not serialised natively)."""
    return [
        facts.language,
        facts.lines,
        facts.comment_lines,
        facts.error_count,
        [tuple(s) for s in facts.symbols],
        [tuple(i) for i in facts.imports],
        [tuple(c) for c in facts.calls],
        [tuple(h) for h in facts.inherits],
    ]


def facts_from_rows(rows: list[object]) -> FileFacts:
    """Inverse of ``facts_to_rows``."""
    language, lines, comment_lines, errors, symbols, imports, calls, inherits = rows
    return FileFacts(
        language,  # type: ignore[arg-type]
        lines,  # type: ignore[arg-type]
        comment_lines,  # type: ignore[arg-type]
        errors,  # type: ignore[arg-type]
        tuple(Symbol(*s) for s in symbols),  # type: ignore[attr-defined]
        tuple(Import(*i) for i in imports),  # type: ignore[attr-defined]
        tuple(Call(*c) for c in calls),  # type: ignore[attr-defined]
        tuple(Inherit(*h) for h in inherits),  # type: ignore[attr-defined]
    )
