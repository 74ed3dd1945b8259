"""Affix factoring of JSON tables: shared column text is stated once, losslessly."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.optimize.compressors.tables import MIN_ROWS, Affix, factor, find_affixes, unfactor
from lynkr.optimize.text_compressors import compress_text
from lynkr.optimize.toon import encode
from lynkr.tokens import count_tokens

API = "https://api.example.com/v1/repos/acme/widgets/issues/"


def issues(count: int = 20) -> list[dict[str, Any]]:
    return [{"number": 120 + i, "url": f"{API}{120 + i}", "title": f"Bug {i}"}
            for i in range(count)]


def test_a_shared_url_prefix_is_stated_once_and_the_table_decodes_to_the_same_data() -> None:
    rows = issues()
    text = factor(rows)
    assert text is not None
    assert text.split("\n")[0] == f'(every url below is "{API}" + the value shown)'
    assert text.count(API) == 1
    assert unfactor(text) == rows


def test_affixes_end_where_a_word_ends_so_numbers_and_names_are_never_split() -> None:
    # Every number starts with "12": the prefix still stops at the slash.
    assert find_affixes(issues(8)) == [Affix((), "url", API, "")]


def test_prefix_and_suffix_are_both_factored_from_a_repeated_template() -> None:
    rows = [{"id": i, "code": f"  // TODO: task {i}\n  function handler{i}(req, res) "
                               "{ return res.json({ status: 'ok' }); }"} for i in range(10)]
    [affix] = find_affixes(rows)
    assert affix.prefix == "  // TODO: task "
    assert affix.suffix == "(req, res) { return res.json({ status: 'ok' }); }"
    assert unfactor(factor(rows) or "") == rows


def test_tables_nested_under_object_keys_are_named_by_their_path() -> None:
    value = {"data": {"items": issues(10)}, "total": 10}
    text = factor(value) or ""
    assert text.startswith(f'(every data.items[].url below is "{API}" + the value shown)')
    assert unfactor(text) == value


def test_small_tables_short_affixes_and_mixed_columns_are_left_alone() -> None:
    assert factor(issues(MIN_ROWS - 1)) is None
    assert factor([{"file": f"src/m{i}.js"} for i in range(30)]) is None  # "src/" is too short
    mixed = [{"url": f"{API}{i}" if i else None} for i in range(20)]
    assert factor(mixed) is None


def test_json_tool_output_uses_factoring_only_when_it_clearly_pays() -> None:
    rows = issues(40)
    result = compress_text(json.dumps(rows, indent=2), lossy=False)
    assert result.lossless and result.text.startswith("(every url")
    assert unfactor(result.text) == rows
    plain = [{"id": i, "name": f"item {i}"} for i in range(40)]
    assert compress_text(json.dumps(plain, indent=2)).text.startswith("[40]{id,name}:")


def test_factoring_a_repetitive_table_saves_tokens_over_plain_toon() -> None:
    rows = issues(40)
    text = factor(rows) or ""
    assert count_tokens(text) < 0.8 * count_tokens(encode(rows))


_WORD = st.text(st.sampled_from("ab1 /._-\n\"é"), max_size=6)


@settings(max_examples=300, deadline=None)
@given(prefix=_WORD, suffix=_WORD,
       middles=st.lists(_WORD, min_size=0, max_size=14),
       nested=st.booleans())
def test_unfactor_inverts_factor_for_any_table(prefix: str, suffix: str, middles: list[str],
                                               nested: bool) -> None:
    rows: Any = [{"k": i, "v": f"{prefix * 3}{m}{suffix * 3}", "w": m} for i, m in
                 enumerate(middles)]
    value = {"page": {"rows": rows}} if nested else rows
    text = factor(value)
    if text is not None:
        assert unfactor(text) == value
    assert unfactor(text or encode(value)) == value  # plain TOON passes through unfactor too
