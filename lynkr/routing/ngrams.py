"""Hashed word n-grams of the task: a cheap lexical input for the learned stage.

Why: the dimension rules are hand-written patterns, and each round of new requests shows
phrasings they miss. Word unigrams and bigrams, hashed into a fixed number of buckets, let the
fitted model weigh words the rules never named, without a vocabulary file to ship. Whether they
are used at all, and how many buckets, is chosen by cross-validation on the train split
(``bench/fit_router.py``); a model fitted without them never computes them.

The vector is binary per bucket and L2-normalised, so a long task does not outweigh the
dimensions just by having more words. crc32 is stable across processes (unlike ``hash``).
"""

from __future__ import annotations

import re
import zlib
from typing import TYPE_CHECKING

from lynkr.routing.glossary import KANA_HAN, fold

if TYPE_CHECKING:
    from lynkr.routing.features import Features

PREFIX = "ng"
# Kana and Han are written without spaces: each character is a token, so the bigrams of a run
# are its character pairs. Any other letter starts a word (accents folded, any script).
_WORD = re.compile(rf"[{KANA_HAN}]|[^\W\d_{KANA_HAN}](?:[^\W{KANA_HAN}]|['-])*")
_MAX_WORDS = 300


def ngram_text(f: Features) -> str:
    """The words the n-grams are taken from: the task's prose, plus the earlier turns when the
    task is a follow-up ("yes, do it") whose meaning lives in them."""
    if f.earlier:
        return f"{f.task}\n{f.earlier}"
    return f.task


def hashed_ngrams(text: str, buckets: int) -> dict[str, float]:
    """``{"ng<bucket>": weight}`` over the distinct unigrams and bigrams of lower-cased
    ``text`` (first 300 words), each present bucket weighted ``1 / sqrt(buckets hit)``."""
    if buckets <= 0:
        return {}
    words = _WORD.findall(fold(text))[:_MAX_WORDS]
    grams = set(words) | {f"{a} {b}" for a, b in zip(words, words[1:], strict=False)}
    hit = {f"{PREFIX}{zlib.crc32(g.encode()) % buckets}" for g in grams}
    if not hit:
        return {}
    weight = len(hit) ** -0.5
    return dict.fromkeys(sorted(hit), weight)


def is_ngram(feature: str) -> bool:
    return feature.startswith(PREFIX) and feature[len(PREFIX):].isdigit()
