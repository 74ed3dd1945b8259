"""Hashed word n-grams: a stable, bounded, normalised bag of the task's words and word pairs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lynkr.model import Message, Request, TextBlock
from lynkr.routing.features import extract_features
from lynkr.routing.ngrams import hashed_ngrams, is_ngram, ngram_text


def test_the_same_text_always_hashes_to_the_same_buckets() -> None:
    # crc32, not hash(): the fitted coefficients must mean the same in every process.
    vector = hashed_ngrams("prove the queue is linearizable", 1024)
    assert sorted(vector) == ["ng127", "ng147", "ng177", "ng260", "ng486", "ng663", "ng764",
                              "ng867", "ng883"]
    assert set(vector.values()) == {1 / 3}  # 9 buckets, unit length


def test_word_order_matters_through_bigrams() -> None:
    assert hashed_ngrams("rename the file", 4096) != hashed_ngrams("the file rename", 4096)


def test_no_buckets_means_no_ngrams() -> None:
    assert hashed_ngrams("anything at all", 0) == {}


@given(st.text(max_size=400), st.sampled_from([16, 256, 1024]))
def test_the_vector_is_unit_length_and_stays_inside_the_buckets(text: str, buckets: int) -> None:
    vector = hashed_ngrams(text.lower(), buckets)
    assert all(is_ngram(k) and int(k[2:]) < buckets for k in vector)
    if vector:
        assert abs(sum(v * v for v in vector.values()) - 1.0) < 1e-9


def test_a_short_follow_up_is_read_with_the_turns_before_it() -> None:
    request = _after("design a sharding strategy for the events table", "yes, do it")
    assert "sharding" in ngram_text(extract_features(request))


def test_a_question_of_its_own_is_read_without_the_turns_before_it() -> None:
    request = _after("design a sharding strategy for the events table",
                     "thanks. what was the exact command you used to run just that one test?")
    assert "sharding" not in ngram_text(extract_features(request))


def _after(first: str, follow_up: str) -> Request:
    return Request("m", [Message("user", [TextBlock(first)]),
                         Message("assistant", [TextBlock("Here is a plan.")]),
                         Message("user", [TextBlock(follow_up)])])


def test_words_of_any_script_are_words_and_accents_are_folded() -> None:
    assert hashed_ngrams("добавь флаг", 4096) != {}
    assert hashed_ngrams("migración", 4096) == hashed_ngrams("migracion", 4096)


def test_chinese_and_japanese_are_read_as_characters_and_their_pairs() -> None:
    # no spaces: "迁移数据" gives 4 characters + 3 pairs, so a shared word still overlaps
    assert len(hashed_ngrams("迁移数据", 1 << 20)) == 7
    assert set(hashed_ngrams("迁移", 1 << 20)) < set(hashed_ngrams("迁移数据", 1 << 20))
