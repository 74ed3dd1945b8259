"""TOON (Token-Oriented Object Notation) v4.0 codec, plus a TOON-or-JSON chooser.

Why TOON: JSON repeats every key of every element and spends tokens on braces and quotes.
TOON states the keys of a uniform array once (``users[2]{id,name}:`` then one row per line),
drops most quotes and uses indentation instead of brackets, so tool results and catalogs cost
far fewer tokens while staying readable to a model. The codec follows the v4.0 spec and is
checked against the spec's own conformance fixtures (``tests/optimize/test_toon_spec.py``).

Both directions are pure functions. ``encode`` is deterministic and preserves key order;
``decode(encode(x)) == x`` for every JSON value (numbers compare by value: ``1.0`` may come
back as ``1``; rows of a table take the header's key order, §9.3). Key folding and path
expansion (``a.b.c: 1``) are opt-in, as in the spec.
"""

from __future__ import annotations

import math
from typing import Any

import orjson

from lynkr.optimize.toon.decoder import Decoder
from lynkr.optimize.toon.encoder import DELIMITER_SYMBOL, Encoder
from lynkr.optimize.toon.syntax import ToonDecodeError

__all__ = ["ToonDecodeError", "decode", "encode", "toon_or_json"]


def encode(
    value: Any,
    *,
    indent: int = 2,
    delimiter: str = ",",
    key_folding: str = "off",
    flatten_depth: int | None = None,
) -> str:
    """Encode a JSON-compatible value as TOON (no trailing newline).

    ``delimiter`` is ``","``, ``"\\t"`` or ``"|"``; tab and pipe pay off when values contain
    commas. ``key_folding="safe"`` writes chains of single-key objects as dotted keys
    (``a.b.c: 1``), limited to ``flatten_depth`` segments; decode such text with
    ``expand_paths="safe"``. NaN and infinities become ``null`` (spec §3).
    """
    if delimiter not in DELIMITER_SYMBOL:
        raise ValueError(f"delimiter must be ',', '\\t' or '|', not {delimiter!r}")
    if indent < 1:
        raise ValueError("indent must be at least 1")
    if key_folding not in ("off", "safe"):
        raise ValueError(f"key_folding must be 'off' or 'safe', not {key_folding!r}")
    encoder = Encoder(indent, delimiter, key_folding == "safe", flatten_depth or math.inf)
    encoder.root(value)
    return "\n".join(encoder.lines)


def decode(text: str, *, indent: int = 2, strict: bool = True, expand_paths: str = "off") -> Any:
    """Decode TOON text to Python JSON values (dict, list, str, int, float, bool, None).

    ``strict`` (the default) enforces declared lengths, indentation and unique keys, as the
    spec asks; ``strict=False`` accepts sloppy hand- or model-written TOON where the spec
    allows it. ``expand_paths="safe"`` turns unquoted dotted keys back into nested objects.
    Raises ``ToonDecodeError`` (a ``ValueError``) carrying the 1-based line number.
    """
    if expand_paths not in ("off", "safe"):
        raise ValueError(f"expand_paths must be 'off' or 'safe', not {expand_paths!r}")
    if indent < 1:
        raise ValueError("indent must be at least 1")
    return Decoder(text, indent, strict, expand_paths == "safe").document()


def toon_or_json(value: Any) -> tuple[str, str]:
    """Return ``("toon", text)`` when TOON is fewer tokens than compact JSON, else JSON.

    TOON wins on uniform arrays and shallow objects but can lose on deeply nested or
    string-heavy data, so the choice is measured rather than assumed (ties go to JSON,
    which every model reads natively).
    """
    from lynkr.tokens import count_tokens  # local: keep the codec importable without tiktoken

    as_json = orjson.dumps(value).decode()
    as_toon = encode(value)
    if count_tokens(as_toon) < count_tokens(as_json):
        return "toon", as_toon
    return "json", as_json
