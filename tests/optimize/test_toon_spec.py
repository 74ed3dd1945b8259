"""The TOON v4.0 conformance fixtures, every case, run against our codec.

Each fixture file holds cases of one kind (encode: JSON -> TOON text, decode: TOON text ->
JSON); ``shouldError`` cases must raise. Ids are ``file::name`` so a failure names the case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from lynkr.optimize.toon import ToonDecodeError, decode, encode

FIXTURES = Path(__file__).parent.parent / "fixtures" / "toon-spec" / "tests" / "fixtures"


def _cases(category: str) -> list[Any]:
    params = []
    for path in sorted((FIXTURES / category).glob("*.json")):
        for case in json.loads(path.read_text(encoding="utf-8"))["tests"]:
            params.append(pytest.param(case, id=f"{path.name}::{case['name']}"))
    return params


def _encode_options(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "indent": options.get("indentSize", 2),
        "delimiter": options.get("delimiter", ","),
        "key_folding": options.get("keyFolding", "off"),
        "flatten_depth": options.get("flattenDepth"),
    }


def _decode_options(options: dict[str, Any]) -> dict[str, Any]:
    return {
        "indent": options.get("indentSize", 2),
        "strict": options.get("strict", True),
        "expand_paths": options.get("expandPaths", "off"),
    }


def test_the_fixture_suite_is_present() -> None:
    assert len(_cases("encode")) > 150 and len(_cases("decode")) > 300


@pytest.mark.parametrize("case", _cases("encode"))
def test_encode_fixture(case: dict[str, Any]) -> None:
    options = _encode_options(case.get("options", {}))
    if case.get("shouldError"):
        with pytest.raises((ValueError, TypeError)):
            encode(case["input"], **options)
        return
    assert encode(case["input"], **options) == case["expected"]


@pytest.mark.parametrize("case", _cases("decode"))
def test_decode_fixture(case: dict[str, Any]) -> None:
    options = _decode_options(case.get("options", {}))
    if case.get("shouldError"):
        with pytest.raises(ToonDecodeError):
            decode(case["input"], **options)
        return
    assert decode(case["input"], **options) == case["expected"]
