"""File bytes -> facts, with tree-sitter queries: pure functions, no file system.

One query per language (``queries/<language>.scm``) names what matters through its capture
names; this module only interprets captures, so it has no language branches:

- ``@def.<kind>`` + ``@name``: a definition (kind: function, method, class, struct, ...);
  a ``function`` directly inside a class-like definition becomes a ``method``.
- ``@scope`` + ``@name``: a container that qualifies names but is no symbol (Rust ``impl``);
  functions inside it are methods. ``@namespace`` + ``@name`` qualifies names only.
- ``@call`` (+ optional ``@call.receiver``): the name of a called function.
- ``@import`` (+ optional ``@import.name``, ``@import.alias``): a module or path string, an
  imported member and the local name it is bound to.
- ``@inherit``: a base type named inside a class-like definition or scope.
- ``@branch``: a decision point (cyclomatic complexity); ``@nest``: a block that nests.
- ``@comment``, ``@doc``: comments and docstrings (comment lines, documented flags).

Syntax errors do not stop extraction: tree-sitter recovers and what parses is kept.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from tree_sitter import Node, Parser, Query, QueryCursor

from graph.facts import CLASS_KINDS, Call, FileFacts, Import, Inherit, Symbol
from graph.languages import BY_NAME, query_source, refine_language

SIGNATURE_LIMIT = 200
_SPACES = re.compile(r"\s+")
_QUOTES = "\"'`<>"
_IMPORT_KEYWORD = re.compile(r"^(?:import|using|use)\s+")  # grammars that capture whole statements

_compiled: dict[str, tuple[Parser, Query, Query]] = {}


def compiled_query(language: str) -> tuple[Parser, Query, Query]:
    """Parser, main query and error query for a language, compiled once per process."""
    entry = _compiled.get(language)
    if entry is None:
        from tree_sitter_language_pack import get_language

        grammar = get_language(BY_NAME[language].grammar)  # type: ignore[arg-type]
        entry = (Parser(grammar), Query(grammar, query_source(language)),
                 Query(grammar, "(ERROR) @error"))
        _compiled[language] = entry
    return entry


class _Container(NamedTuple):
    start: int
    end: int
    kind: str  # a symbol kind, or "scope"
    name: str
    node: Node
    prefix: str  # explicit qualifier, e.g. a Go method receiver


def _text(node: Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")


def _signature(source: bytes, node: Node) -> str:
    """The definition's header: from its start to its body, whitespace collapsed."""
    body = node.child_by_field_name("body")
    if body is None:  # grammars without a body field (Kotlin): the first body-like child
        body = next((c for c in node.named_children
                     if c.type.endswith("body") or c.type == "block"), None)
    end = body.start_byte if body is not None and body.start_byte > node.start_byte else -1
    if end < 0:
        newline = source.find(b"\n", node.start_byte, node.end_byte)
        end = node.end_byte if newline < 0 else newline
    text = source[node.start_byte : min(end, node.start_byte + 4 * SIGNATURE_LIMIT)]
    header = _SPACES.sub(" ", text.decode("utf-8", "replace")).strip()
    return header[:SIGNATURE_LIMIT]


def _innermost(containers: list[_Container], positions: list[int]) -> list[int]:
    """For each sorted byte position, the index of the innermost container holding it.

    Containers are sorted by (start, -end) and properly nested (they are syntax nodes), so a
    single sweep with a stack of open containers answers every position.
    """
    owners: list[int] = []
    stack: list[int] = []
    nxt = 0
    for pos in positions:
        while nxt < len(containers) and containers[nxt].start <= pos:
            while stack and containers[stack[-1]].end <= containers[nxt].start:
                stack.pop()
            stack.append(nxt)
            nxt += 1
        while stack and containers[stack[-1]].end <= pos:
            stack.pop()
        owners.append(stack[-1] if stack else -1)
    return owners


def extract_facts(source: bytes, language: str) -> FileFacts:
    """Symbols, imports, calls, inheritance and complexity of one file's source."""
    parser, query, error_query = compiled_query(language)
    tree = parser.parse(source)
    root = tree.root_node

    found: dict[tuple[int, int], _Container] = {}
    calls: list[tuple[int, str, str, int]] = []
    branches: list[int] = []
    nests: list[tuple[int, int]] = []
    docs: list[int] = []
    comment_rows: set[int] = set()
    comment_lines = 0
    imports: list[Import] = []
    inherits: list[tuple[int, str]] = []

    for _, caps in QueryCursor(query).matches(root):
        if "call" in caps:
            node = caps["call"][0]
            receiver = caps.get("call.receiver")
            recv = ""
            if receiver and receiver[0].named_child_count == 0:
                recv = _text(receiver[0])
            calls.append((node.start_byte, _text(node), recv, node.start_point[0] + 1))
        elif "branch" in caps:
            branches.append(caps["branch"][0].start_byte)
        elif "nest" in caps:
            node = caps["nest"][0]
            nests.append((node.start_byte, node.end_byte))
        elif "comment" in caps:
            node = caps["comment"][0]
            first, last = node.start_point[0], node.end_point[0]
            comment_lines += last - first + 1
            comment_rows.add(last)
        elif "import" in caps:
            spec = _IMPORT_KEYWORD.sub("", _text(caps["import"][0])).strip(_QUOTES)
            member = caps.get("import.name")
            alias = caps.get("import.alias")
            imports.append(Import(
                spec, _text(member[0]) if member else "", _text(alias[0]) if alias else "",
                caps["import"][0].start_point[0] + 1,
            ))
        elif "inherit" in caps:
            node = caps["inherit"][0]
            inherits.append((node.start_byte, _text(node)))
        elif "doc" in caps:
            docs.append(caps["doc"][0].start_byte)
        else:
            _collect_definition(caps, found)

    containers = sorted(found.values(), key=lambda c: (c.start, -c.end))
    symbols, emitted = _symbols(source, containers, comment_rows)

    calls.sort()
    call_owner = _innermost(containers, [c[0] for c in calls])
    seen: set[tuple[int, str, str]] = set()
    call_facts: list[Call] = []
    for (_, name, recv, line), owner in zip(calls, call_owner, strict=True):
        caller = emitted[owner] if owner >= 0 else -1
        key = (caller, name, recv)
        if key not in seen:
            seen.add(key)
            call_facts.append(Call(caller, name, recv, line))

    symbols = _with_complexity(symbols, containers, emitted, sorted(branches),
                                sorted(nests, key=lambda n: (n[0], -n[1])))
    for pos, owner in zip(sorted(docs), _innermost(containers, sorted(docs)), strict=True):
        if owner >= 0 and emitted[owner] >= 0 and containers[owner].start <= pos:
            symbols[emitted[owner]] = symbols[emitted[owner]]._replace(documented=True)

    inherit_facts = _inherits(containers, emitted, sorted(inherits))
    errors = 0
    if root.has_error:  # recovery can leave only MISSING nodes, which the query cannot see
        errors = max(len(QueryCursor(error_query).captures(root).get("error", [])), 1)
    return FileFacts(
        language,
        source.count(b"\n") + (0 if source.endswith(b"\n") or not source else 1),
        comment_lines,
        errors,
        tuple(symbols),
        tuple(imports),
        tuple(call_facts),
        inherit_facts,
    )


def _collect_definition(caps: dict[str, list[Node]], found: dict[tuple[int, int], _Container]
                        ) -> None:
    name_nodes = caps.get("name")
    if not name_nodes:
        return
    for key, nodes in caps.items():
        if key.startswith("def.") or key in ("scope", "namespace"):
            node = nodes[0]
            span = (node.start_byte, node.end_byte)
            if span not in found:
                kind = key[4:] if key.startswith("def.") else key
                receiver = caps.get("receiver")
                prefix = _text(receiver[0]) if receiver else ""
                found[span] = _Container(span[0], span[1], kind, _text(name_nodes[0]), node,
                                         prefix)
            return


def _symbols(source: bytes, containers: list[_Container], comment_rows: set[int]
             ) -> tuple[list[Symbol], list[int]]:
    """Symbols with parents and qualified names; ``emitted`` maps container -> symbol index
    (a scope maps to its nearest enclosing symbol, or -1)."""
    parents: list[int] = []
    stack: list[int] = []
    for i, c in enumerate(containers):
        while stack and containers[stack[-1]].end <= c.start:
            stack.pop()
        parents.append(stack[-1] if stack else -1)
        stack.append(i)

    symbols: list[Symbol] = []
    emitted: list[int] = []
    quals: list[str] = []
    for i, c in enumerate(containers):
        parent = parents[i]
        outer = quals[parent] if parent >= 0 else ""
        prefix = c.prefix or outer
        qual = f"{prefix}.{c.name}" if prefix else c.name
        quals.append(qual)
        if c.kind in ("scope", "namespace"):
            emitted.append(emitted[parent] if parent >= 0 else -1)
            continue
        kind = c.kind
        parent_kind = containers[parent].kind if parent >= 0 else ""
        if kind == "function" and (c.prefix or parent_kind in CLASS_KINDS
                                   or parent_kind == "scope"):
            kind = "method"
        row = c.node.start_point[0]
        emitted.append(len(symbols))
        symbols.append(Symbol(
            c.name, qual, kind, row + 1, c.node.end_point[0] + 1, _signature(source, c.node),
            emitted[parent] if parent >= 0 else -1, 1, 0, (row - 1) in comment_rows,
        ))
    return symbols, emitted


def _with_complexity(symbols: list[Symbol], containers: list[_Container], emitted: list[int],
                     branches: list[int], nests: list[tuple[int, int]]) -> list[Symbol]:
    """Cyclomatic complexity (1 + decision points) and deepest nesting per symbol.

    Decision points and nesting blocks count for the innermost symbol only, so a nested
    function's branches are not charged to its parent.
    """
    extra = [0] * len(symbols)
    depth = [0] * len(symbols)
    for owner in _innermost(containers, branches):
        if owner >= 0 and emitted[owner] >= 0:
            extra[emitted[owner]] += 1
    nest_owners = _innermost(containers, [n[0] for n in nests])
    open_blocks: list[tuple[int, int]] = []  # (end byte, owner symbol)
    for (start, end), owner in zip(nests, nest_owners, strict=True):
        sym = emitted[owner] if owner >= 0 else -1
        while open_blocks and open_blocks[-1][0] <= start:
            open_blocks.pop()
        if sym >= 0:
            level = 1 + sum(1 for _, o in open_blocks if o == sym)
            depth[sym] = max(depth[sym], level)
        open_blocks.append((end, sym))
    return [
        s._replace(cyclomatic=1 + extra[i], nesting=depth[i]) for i, s in enumerate(symbols)
    ]


def _inherits(containers: list[_Container], emitted: list[int],
              inherits: list[tuple[int, str]]) -> tuple[Inherit, ...]:
    owners = _innermost(containers, [pos for pos, _ in inherits])
    facts: list[Inherit] = []
    for (_, base), owner in zip(inherits, owners, strict=True):
        if owner < 0:
            continue
        c = containers[owner]
        symbol = emitted[owner] if c.kind not in ("scope", "namespace") else -1
        facts.append(Inherit(symbol, c.name, base.rsplit(".", 1)[-1].rsplit("::", 1)[-1]))
    return tuple(facts)


def outline_source(source: bytes, language: str) -> list[dict[str, object]]:
    """The symbols of one file, for showing its shape without a stored graph."""
    facts = extract_facts(source, refine_language(language, source))
    return [
        {"kind": s.kind, "name": s.name, "qualname": s.qualname, "start_line": s.start_line,
         "end_line": s.end_line, "signature": s.signature}
        for s in facts.symbols
    ]
