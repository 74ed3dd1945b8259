"""Properties of extraction that hold for any input (hypothesis)."""

from __future__ import annotations

import ast

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graph.extract import extract_facts
from graph.languages import LANGUAGES

LANGUAGE_NAMES = [spec.name for spec in LANGUAGES]
NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True).filter(
    lambda n: n not in {"if", "in", "is", "or", "as", "def", "for", "and", "not", "del",
                        "try", "with", "else", "elif", "pass", "from", "class", "while",
                        "async", "await", "break", "raise", "yield", "global", "lambda",
                        "return", "assert", "except", "import", "finally", "continue",
                        "nonlocal", "match", "case", "type"})


@st.composite
def python_programs(draw: st.DrawFn, depth: int = 0) -> str:
    """Random nests of classes, functions and branches, rendered as Python source."""
    lines: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["def", "class", "if", "call"] if depth < 3 else ["call"]))
        name = draw(NAMES)
        if kind == "call":
            lines.append(f"{name}()")
            continue
        header = {"def": f"def {name}(a, b=1):", "class": f"class {name.title()}(Base):",
                  "if": "if a and b:"}[kind]
        body = draw(python_programs(depth + 1))
        lines.append(header)
        lines.extend("    " + line for line in body.splitlines())
    return "\n".join(lines)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(source=python_programs())
def test_python_definitions_match_the_ast_module(source: str):
    expected = sorted(
        (node.name, node.lineno, node.end_lineno)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.ClassDef)
    )
    facts = extract_facts(source.encode(), "python")
    assert sorted((s.name, s.start_line, s.end_line) for s in facts.symbols) == expected


@settings(max_examples=40, deadline=None)
@given(source=python_programs())
def test_cyclomatic_complexity_is_one_plus_the_decisions_directly_inside(source: str):
    facts = extract_facts(source.encode(), "python")
    tree = ast.parse(source)
    by_line = {s.start_line: s for s in facts.symbols if s.kind in ("function", "method")}

    def decisions(fn: ast.AST) -> int:
        count = 0
        stack = list(ast.iter_child_nodes(fn))
        while stack:
            node = stack.pop()
            if isinstance(node, ast.FunctionDef | ast.ClassDef):
                continue  # charged to the nested definition
            count += isinstance(node, ast.If) + isinstance(node, ast.BoolOp)
            stack.extend(ast.iter_child_nodes(node))
        return count

    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            assert by_line[node.lineno].cyclomatic == 1 + decisions(node)


@settings(max_examples=150, deadline=None)
@given(language=st.sampled_from(LANGUAGE_NAMES), data=st.binary(max_size=400))
def test_any_bytes_in_any_language_give_consistent_facts(language: str, data: bytes):
    facts = extract_facts(data, language)
    assert facts == extract_facts(data, language)  # deterministic
    lines = max(facts.lines, 1)
    for i, s in enumerate(facts.symbols):
        assert 1 <= s.start_line <= s.end_line <= lines + 1
        assert -1 <= s.parent < i  # parents come before their children
        if s.parent >= 0:
            parent = facts.symbols[s.parent]
            assert parent.start_line <= s.start_line and s.end_line <= parent.end_line
        assert s.cyclomatic >= 1 and s.nesting >= 0
    for call in facts.calls:
        assert -1 <= call.caller < len(facts.symbols)
    for inherit in facts.inherits:
        assert -1 <= inherit.symbol < len(facts.symbols)


@settings(max_examples=80, deadline=None)
@given(language=st.sampled_from(LANGUAGE_NAMES),
       text=st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_any_text_in_any_language_extracts_without_error(language: str, text: str):
    facts = extract_facts(text.encode("utf-8", "surrogatepass"), language)
    assert facts.language == language
