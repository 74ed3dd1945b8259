"""Round-trip properties of the TOON codec: whatever JSON goes in comes back out."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.optimize.toon import ToonDecodeError, decode, encode, toon_or_json

# Strings that a careless encoder would leave unquoted and a decoder would misread.
_TRICKY = st.sampled_from(
    [
        "",
        " ",
        "true",
        "false",
        "null",
        "42",
        "-3.14",
        "1e-6",
        "05",
        "+1",
        ".5",
        "-",
        "- x",
        "#",
        "#tag",
        "a,b",
        "a|b",
        "a\tb",
        "a:b",
        "[2]: x",
        "{k}",
        '"q"',
        "back\\slash",
        "line\nbreak",
        "\r",
        "\x00\x1f",
        " pad ",
        "\u00a0nbsp",
        "café",
        "🚀",
        "[]",
        "x.y",
        "\ufeffbom",
    ]
)
_TEXT = st.one_of(_TRICKY, st.text(st.characters(blacklist_categories=("Cs",)), max_size=12))
_PRIMITIVE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_JSON = st.recursive(
    _PRIMITIVE,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(_TEXT, inner, max_size=5),
        # Uniform objects, so tabular, nested-field-group and keyed forms get exercised.
        st.lists(st.fixed_dictionaries({"id": st.integers(), "name": _TEXT}), max_size=4),
        st.lists(
            st.fixed_dictionaries({"id": _PRIMITIVE, "at": st.fixed_dictionaries({"x": _TEXT})}),
            max_size=3,
        ),
        st.dictionaries(_TEXT, st.fixed_dictionaries({"v": _PRIMITIVE}), max_size=4),
    ),
    max_leaves=25,
)
_OPTIONS = st.fixed_dictionaries(
    {"indent": st.integers(1, 4), "delimiter": st.sampled_from([",", "\t", "|"])}
)


def _same(a: Any, b: Any) -> bool:
    """JSON equality where 1 == 1.0 but True != 1.

    Object key order is checked separately: rows of a table legitimately take the header's
    key order (spec §9.3), so ``{"b":1,"a":2}`` after ``{"a":0,"b":0}`` comes back reordered.
    """
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) in (int, float) and type(b) in (int, float) and a == b or a == b


@settings(max_examples=400, deadline=None)
@given(_JSON, _OPTIONS)
def test_decode_inverts_encode_for_any_json_value(value: Any, options: dict[str, Any]) -> None:
    text = encode(value, **options)
    decoded = decode(text, indent=options["indent"])
    assert _same(decoded, value), text
    if isinstance(value, dict):
        assert list(decoded) == list(value)


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_key_folding_round_trips_through_path_expansion(value: Any) -> None:
    text = encode(value, key_folding="safe")
    assert _same(decode(text, expand_paths="safe"), value), text


@settings(max_examples=200, deadline=None)
@given(_JSON)
def test_encoding_is_deterministic_and_never_leaves_trailing_whitespace(value: Any) -> None:
    text = encode(value)
    assert text == encode(json.loads(json.dumps(value)))
    assert not text.endswith("\n")
    assert all(line == line.rstrip(" ") for line in text.split("\n"))


def test_key_order_is_preserved() -> None:
    value = {"z": 1, "a": {"y": 2, "b": 3}, "m": [{"q": 1, "c": 2}, {"c": 3, "q": 4}]}
    assert list(decode(encode(value))) == ["z", "a", "m"]
    assert encode(value) == "z: 1\na:\n  y: 2\n  b: 3\nm[2]{q,c}:\n  1,2\n  4,3"


def test_uniform_arrays_of_objects_are_written_as_tables() -> None:
    rows = [{"path": "a.py", "line": 3}, {"path": "b.py", "line": 9}]
    assert encode({"hits": rows}) == "hits[2]{path,line}:\n  a.py,3\n  b.py,9"


def test_key_folding_collapses_single_key_chains_up_to_flatten_depth() -> None:
    value = {"a": {"b": {"c": 1}}, "x": {"y": 1, "z": 2}}
    assert encode(value, key_folding="safe") == "a.b.c: 1\nx:\n  y: 1\n  z: 2"
    assert encode(value, key_folding="safe", flatten_depth=2) == "a.b:\n  c: 1\nx:\n  y: 1\n  z: 2"


def test_literal_dotted_keys_are_quoted_when_folding_so_expansion_keeps_them() -> None:
    value = {"a.b": 1, "c": {"d": 2}}
    text = encode(value, key_folding="safe")
    assert text == '"a.b": 1\nc.d: 2'
    assert decode(text, expand_paths="safe") == value


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a.b.c: 1", {"a": {"b": {"c": 1}}}),
        ("data.meta.items[2]: a,b", {"data": {"meta": {"items": ["a", "b"]}}}),
        ("a.b.c: 1\na.b.d: 2\na.e: 3", {"a": {"b": {"c": 1, "d": 2}, "e": 3}}),
        ('a.b: 1\n"c.d": 2', {"a": {"b": 1}, "c.d": 2}),
        ("a.b.c:", {"a": {"b": {"c": {}}}}),
    ],
)
def test_path_expansion_builds_nested_objects(text: str, expected: Any) -> None:
    assert decode(text, expand_paths="safe") == expected
    assert decode(text) != expected or "." not in text


def test_path_expansion_conflicts_error_when_strict_and_last_write_wins_otherwise() -> None:
    with pytest.raises(ToonDecodeError):
        decode("a.b: 1\na: 2", expand_paths="safe")
    assert decode("a.b: 1\na: 2", expand_paths="safe", strict=False) == {"a": 2}
    assert decode("a: 1\na.b: 2", expand_paths="safe", strict=False) == {"a": {"b": 2}}


def test_decode_errors_carry_the_line_number() -> None:
    with pytest.raises(ToonDecodeError) as caught:
        decode("a: 1\nitems[3]: x,y")
    assert caught.value.line == 2 and str(caught.value).startswith("line 2:")
    assert isinstance(caught.value, ValueError)


def test_non_finite_floats_encode_as_null() -> None:
    assert encode({"a": float("nan"), "b": float("inf")}) == "a: null\nb: null"


def test_toon_or_json_picks_toon_for_uniform_rows_and_json_when_toon_is_not_smaller() -> None:
    rows = [{"id": i, "name": f"user{i}", "active": i % 2 == 0} for i in range(20)]
    kind, text = toon_or_json(rows)
    assert kind == "toon" and decode(text) == rows
    kind, text = toon_or_json([[1, 2], [3, 4]])
    assert (kind, text) == ("json", "[[1,2],[3,4]]")
