"""Python extraction: symbols, spans, signatures, calls, imports, complexity, docs."""

from __future__ import annotations

import textwrap

from graph.extract import extract_facts, outline_source
from graph.facts import FileFacts

SOURCE = textwrap.dedent('''
    import os
    from .pkg import helper as h

    # A shape.
    class Shape(Base, abc.ABC):
        """Doc."""

        def area(self):
            if self.x and self.y:
                for i in range(3):
                    while True:
                        pass
            return self.scale(2)

        def scale(self, f):
            return h(f) if f else os.path.join("a")


    async def main():
        def inner():
            if x:
                pass
        s = Shape()
        s.area()
    ''').lstrip().encode()


def facts() -> FileFacts:
    return extract_facts(SOURCE, "python")


def test_python_functions_methods_and_classes_are_found_with_line_spans():
    got = [(s.kind, s.qualname, s.start_line, s.end_line) for s in facts().symbols]
    assert got == [
        ("class", "Shape", 5, 16),
        ("method", "Shape.area", 8, 13),
        ("method", "Shape.scale", 15, 16),
        ("function", "main", 19, 24),
        ("function", "main.inner", 20, 22),
    ]


def test_signatures_are_the_definition_header_without_the_body():
    signatures = {s.qualname: s.signature for s in facts().symbols}
    assert signatures["Shape"] == "class Shape(Base, abc.ABC):"
    assert signatures["main"] == "async def main():"
    assert signatures["Shape.scale"] == "def scale(self, f):"


def test_cyclomatic_complexity_counts_decisions_and_nesting_depth_counts_blocks():
    by_name = {s.qualname: s for s in facts().symbols}
    area = by_name["Shape.area"]
    assert area.cyclomatic == 5  # if, and, for, while
    assert area.nesting == 3
    assert by_name["Shape.scale"].cyclomatic == 2  # conditional expression
    # the nested function's branch is charged to it, not to its parent
    assert by_name["main"].cyclomatic == 1
    assert by_name["main.inner"].cyclomatic == 2


def test_calls_are_attributed_to_the_innermost_enclosing_symbol():
    f = facts()
    names = [s.qualname for s in f.symbols]
    calls = {(names[c.caller] if c.caller >= 0 else "<module>", c.name, c.receiver)
             for c in f.calls}
    assert ("Shape.area", "scale", "self") in calls
    assert ("Shape.area", "range", "") in calls
    assert ("main", "Shape", "") in calls
    assert ("main", "area", "s") in calls


def test_imports_keep_module_member_and_alias():
    imports = {(i.spec, i.name, i.alias) for i in facts().imports}
    assert imports == {("os", "", ""), (".pkg", "helper", "h")}


def test_base_classes_are_recorded_by_their_last_name():
    bases = [(i.owner, i.base) for i in facts().inherits]
    assert bases == [("Shape", "Base"), ("Shape", "ABC")]


def test_docstrings_and_preceding_comments_mark_symbols_documented():
    documented = {s.qualname for s in facts().symbols if s.documented}
    assert documented == {"Shape"}
    assert facts().comment_lines == 1


def test_syntax_errors_keep_what_parses():
    broken = b"def good():\n    return 1\n\ndef bad(:\n    pass\n\nclass Later:\n    pass\n"
    f = extract_facts(broken, "python")
    assert f.error_count > 0
    names = {s.name for s in f.symbols}
    assert {"good", "Later"} <= names


def test_outline_source_lists_symbols_for_a_single_file():
    outline = outline_source(b"class A:\n    def m(self):\n        pass\n", "python")
    assert outline == [
        {"kind": "class", "name": "A", "qualname": "A", "start_line": 1, "end_line": 3,
         "signature": "class A:"},
        {"kind": "method", "name": "m", "qualname": "A.m", "start_line": 2, "end_line": 3,
         "signature": "def m(self):"},
    ]


def test_decorated_definitions_start_at_the_def_line_like_python_ast():
    f = extract_facts(b"@dec\n@other(1)\ndef f():\n    pass\n", "python")
    assert [(s.name, s.start_line) for s in f.symbols] == [("f", 3)]
