"""Settings from the environment and ``.env``: what is accepted, what stops startup with one
line naming the variable, and how ``.env`` lines are read."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynkr.config import ConfigError, settings_from_env
from lynkr.dotenv import parse_env_file


@pytest.mark.parametrize(("variable", "value"), [
    ("REQUEST_TIMEOUT", "-5"), ("REQUEST_TIMEOUT", "0"), ("CONNECT_TIMEOUT", "0"),
    ("REQUEST_TIMEOUT", "nan"), ("REQUEST_TIMEOUT", "inf"), ("CONNECT_TIMEOUT", "-inf"),
    ("CIRCUIT_BREAKER_COOLDOWN", "nan"), ("CIRCUIT_BREAKER_COOLDOWN", "-1"),
    ("SEMANTIC_CACHE_THRESHOLD", "nan"), ("SEMANTIC_CACHE_THRESHOLD", "1.5"),
])
def test_timeouts_and_fractions_out_of_range_are_refused_naming_the_variable(
        variable: str, value: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{variable}="):
        settings_from_env({variable: value})


def test_sensible_timeouts_and_a_zero_cooldown_are_accepted() -> None:
    settings = settings_from_env({"REQUEST_TIMEOUT": "0.5", "CONNECT_TIMEOUT": "2",
                                  "CIRCUIT_BREAKER_COOLDOWN": "0"})
    assert (settings.request_timeout, settings.connect_timeout) == (0.5, 2.0)
    assert settings.breaker_cooldown == 0.0


@pytest.mark.parametrize("variable", ["ROUTING_FORCE_LOCAL", "ROUTING_FORCE_REASONING"])
def test_an_invalid_force_regex_is_refused_naming_the_variable_and_the_pattern(
        variable: str) -> None:
    with pytest.raises(ConfigError, match=rf"^{variable}: invalid regex '\(\['"):
        settings_from_env({variable: r"fine\b,(["})


def test_valid_force_regexes_are_kept_in_order() -> None:
    settings = settings_from_env({"ROUTING_FORCE_LOCAL": r"^title:, (?i)summar(y|ize) "})
    assert settings.routing.force_local == ("^title:", "(?i)summar(y|ize)")


def env_file(text: str) -> dict[str, str]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / ".env"
        path.write_text(text, encoding="utf-8")
        return parse_env_file(path)


def test_a_quoted_value_followed_by_a_comment_loses_the_quotes_and_the_comment() -> None:
    assert env_file('OPENAI_API_KEY="sk-abc"   # my key\nB=\'x y\' # c\n') == {
        "OPENAI_API_KEY": "sk-abc", "B": "x y"}


def test_a_hash_inside_quotes_is_part_of_the_value() -> None:
    assert env_file('A="abc # not a comment"\nB=\'#x\'  # comment\n') == {
        "A": "abc # not a comment", "B": "#x"}


def test_an_unquoted_hash_starts_a_comment_only_after_whitespace() -> None:
    assert env_file("A=abc#def\nC=val # comment\nT=v\t#tab\nN=#x\nM= # empty\n") == {
        "A": "abc#def", "C": "val", "T": "v", "N": "#x", "M": ""}


def test_export_prefix_spaces_around_the_sign_and_escaped_quotes() -> None:
    text = 'export D=1\nE = spaced\nF="say \\"hi\\""\nG="C:\\\\dir\\\\new"\n# K=v\n\nnoequals\n'
    assert env_file(text) == {"D": "1", "E": "spaced", "F": 'say "hi"', "G": "C:\\dir\\new"}


def test_text_after_a_closing_quote_keeps_the_value_as_written() -> None:
    assert env_file('A="x"y\nB="open\n') == {"A": '"x"y', "B": '"open'}


_VALUE = st.text(st.characters(codec="ascii", exclude_characters="\r\n\x0b\x0c\x1c\x1d\x1e\x85"),
                 max_size=30)


@given(value=_VALUE, comment=st.sampled_from(["", " # note", "\t#", "  #x # y"]))
def test_unquoted_values_read_as_python_dotenv_reads_them(value: str, comment: str) -> None:
    dotenv = pytest.importorskip("dotenv")  # the reference (installed with uvicorn/chromadb)
    line = f"KEY={value}{comment}\n"
    expected = dotenv.dotenv_values(stream=io.StringIO(line)).get("KEY")
    if expected is None or value.strip()[:1] in ("'", '"'):
        return  # a quoted value (tested above), or a line python-dotenv cannot parse
    assert env_file(line).get("KEY") == expected
