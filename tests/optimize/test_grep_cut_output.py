"""Grep output cut short by the client still groups losslessly, its cut tail kept verbatim."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.optimize.compressors.grep import compress_grep, restore_grep
from lynkr.optimize.text_compressors import compress_text

CUT_AT = 30_000  # Claude Code's Bash output limit, in characters


def grep_output(rows: int = 400) -> str:
    return "".join(f"src/lynkr/optimize/module_{i // 10}.py:{i + 1}:    value = compute(x, {i})\n"
                   for i in range(rows))


def claude_code_cut(text: str, limit: int = CUT_AT) -> str:
    """The shape Claude Code gives an over-long output: cut mid-line, then a notice."""
    hidden = text.count("\n", limit) + 1
    return f"{text[:limit]}\n\n... [{hidden} lines truncated] ..."


def test_a_claude_code_cut_grep_output_is_grouped_with_its_partial_line_kept_verbatim() -> None:
    text = claude_code_cut(grep_output(), 10_000)
    partial = text[:10_000].rsplit("\n", 1)[1]
    result = compress_grep(text)
    assert result.lossless and len(result.text) < len(text)
    assert result.text.endswith(f"\n{partial}\n\n... [{text.split('[')[-1].split()[0]} lines "
                                f"truncated] ...")
    assert restore_grep(result.text) == text


def test_an_output_cut_mid_path_without_a_notice_keeps_the_fragment_verbatim() -> None:
    text = grep_output(50) + "src/lynkr/optim"
    result = compress_grep(text)
    assert result.text != text and result.text.endswith("\nsrc/lynkr/optim")
    assert restore_grep(result.text) == text


def test_a_non_grep_line_before_the_end_still_leaves_the_output_unchanged() -> None:
    text = grep_output(20) + "not a match\n" + grep_output(20)
    assert compress_grep(text).text == text


def test_cut_grep_output_is_detected_and_compressed_through_compress_text() -> None:
    text = claude_code_cut(grep_output(800))
    result = compress_text(text, lossy=False)
    assert result.kind == "grep" and result.lossless and len(result.text) < 0.8 * len(text)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=200), st.integers(min_value=20, max_value=6_000),
       st.booleans())
def test_grep_output_cut_anywhere_round_trips_exactly(rows: int, limit: int,
                                                      notice: bool) -> None:
    full = grep_output(rows)
    text = claude_code_cut(full, limit) if notice else full[:limit]
    assert restore_grep(compress_grep(text).text) == text
