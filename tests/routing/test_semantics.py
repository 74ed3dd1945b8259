"""Static word embeddings of the task: a deterministic unit vector that moves with meaning, and
a learned model that uses it, round-trips through its file and degrades to the hand-set path
when the table cannot be read."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.config import RoutingSettings
from lynkr.routing.learned import LearnedModel, parse_learned
from lynkr.routing.scorer import Scorer
from lynkr.routing.semantics import (
    DIMENSIONS,
    MAX_TOKENS,
    POOLINGS,
    StaticEmbeddings,
    load_static_embeddings,
    semantic_names,
    semantic_vector,
)
from lynkr.routing.weights import TIER_ORDER, WeightsError

from .helpers import CLAUDE_CODE_TOOLS, ask, hand_scorer


@pytest.fixture(scope="module")
def table() -> StaticEmbeddings:
    loaded = load_static_embeddings()
    assert loaded is not None, "the bundled all-MiniLM-L6-v2 table must load"
    return loaded


def cosine(table: StaticEmbeddings, a: str, b: str, pooling: str) -> float:
    return float(table.vector(a, pooling) @ table.vector(b, pooling))


@pytest.mark.parametrize("pooling", POOLINGS)
def test_the_same_text_always_gives_the_same_unit_vector(table: StaticEmbeddings,
                                                         pooling: str) -> None:
    text = "design a sharding strategy for the events table"
    first, again = table.vector(text, pooling), semantic_vector(text, pooling)
    assert again is not None and np.array_equal(first, again)
    assert first.shape == (DIMENSIONS,)
    assert np.linalg.norm(first) == pytest.approx(1.0)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=300), st.sampled_from(POOLINGS))
def test_any_text_gives_a_unit_vector_or_zeros(text: str, pooling: str) -> None:
    table = load_static_embeddings()
    assert table is not None
    vector = table.vector(text.lower(), pooling)
    norm = float(np.linalg.norm(vector))
    assert vector.shape == (DIMENSIONS,) and np.isfinite(vector).all()
    assert norm == pytest.approx(1.0) or norm == 0.0


@pytest.mark.parametrize("text", ["", "   \n", "?! ... ```", "____"])
def test_a_text_without_words_gives_the_zero_vector(table: StaticEmbeddings, text: str) -> None:
    assert not table.vector(text).any()


@pytest.mark.parametrize("pooling", POOLINGS)
def test_paraphrases_are_closer_than_unrelated_tasks(table: StaticEmbeddings,
                                                     pooling: str) -> None:
    pairs = [("how do i exit vim", "what is the command to quit the vim editor",
              "design a sharding strategy for the events table and explain the trade-offs"),
             ("prove this lock-free queue is linearizable",
              "argue that the concurrent queue's operations are atomic and correctly ordered",
              "fix the typo in the readme heading"),
             ("rename the variable x to count", "change the name of variable x to count",
              "plan a zero-downtime migration of the production database")]
    for anchor, paraphrase, unrelated in pairs:
        assert (cosine(table, anchor, paraphrase, pooling)
                > cosine(table, anchor, unrelated, pooling) + 0.1)


def test_words_outside_the_vocabulary_are_spelled_in_word_pieces(table: StaticEmbeddings) -> None:
    ids = table.token_ids("linearizability of parse_iso_duration")
    assert len(ids) > 4  # "linearizability" in pieces, the identifier split at underscores
    assert table.token_ids("x" * 200) == []  # a 200-char "word" is not language


def test_only_the_first_tokens_are_read(table: StaticEmbeddings) -> None:
    long = "sharding " * (MAX_TOKENS + 50)
    assert len(table.token_ids(long)) == MAX_TOKENS
    assert np.array_equal(table.vector(long + "typo readme"), table.vector(long))


def semantic_model(pooling: str = "frequency", seed: int = 0) -> LearnedModel:
    """A model over two dimensions and the embedding with arbitrary (seeded) coefficients."""
    rng = np.random.default_rng(seed)
    names = ["reasoning", "score", *semantic_names()]
    return parse_learned({
        "features": names, "under_two_cost": 2.0,
        "semantics": {"pooling": pooling, "center": list(rng.normal(0, 0.05, DIMENSIONS))},
        "intercepts": dict.fromkeys(TIER_ORDER, 0.0),
        "coefficients": {t: {f: float(rng.normal(0, 3)) for f in names} for t in TIER_ORDER}})


def test_a_semantic_model_round_trips_through_its_json_file(table: StaticEmbeddings) -> None:
    model = semantic_model()
    data = {"features": list(model.features), "under_two_cost": model.under_two_cost,
            "semantics": {"pooling": model.semantics, "center": list(model.semantic_center)},
            "intercepts": dict(model.intercepts),
            "coefficients": {t: dict(model.coefficients[t]) for t in TIER_ORDER}}
    again = parse_learned(json.loads(json.dumps(data)))
    assert again == model
    vector = table.vector("prove the queue is linearizable", model.semantics)
    values = {"reasoning": 0.8, "score": 0.5}
    assert again.probabilities(values, vector) == model.probabilities(values, vector)
    assert again.predict(values, vector) == model.predict(values, vector)


def test_the_semantic_push_is_zero_for_the_average_task_and_linear_around_it() -> None:
    model = semantic_model()
    center = np.array(model.semantic_center)
    assert all(v == pytest.approx(0.0) for v in model.semantic_push(center).values())
    step = np.full(DIMENSIONS, 0.01)
    one, two = model.semantic_push(center + step), model.semantic_push(center + 2 * step)
    assert all(two[t] == pytest.approx(2 * one[t]) for t in TIER_ORDER)


def _semantic_file(**change: object) -> dict[str, object]:
    names = semantic_names()
    data: dict[str, object] = {
        "features": names, "semantics": {"pooling": "mean", "center": [0.0] * DIMENSIONS},
        "intercepts": dict.fromkeys(TIER_ORDER, 0.0),
        "coefficients": {t: dict.fromkeys(names, 0.0) for t in TIER_ORDER}}
    return data | change


@pytest.mark.parametrize("change", [
    {"semantics": None},  # sem* features but no semantics entry
    {"semantics": {"pooling": "max", "center": [0.0] * DIMENSIONS}},
    {"semantics": {"pooling": "mean", "center": [0.0] * 10}},
    {"semantics": {"pooling": "mean", "center": ["0"] * DIMENSIONS}},
    {"semantics": {"pooling": "mean"}},
])
def test_a_malformed_semantics_entry_is_an_error(change: dict[str, object]) -> None:
    data = {k: v for k, v in _semantic_file(**change).items() if v is not None}
    with pytest.raises(WeightsError):
        parse_learned(data)


def test_a_learned_decision_reports_the_embeddings_push_as_one_input(
        table: StaticEmbeddings) -> None:
    model = semantic_model()
    decision = Scorer(RoutingSettings(), learned=model, embeddings=table).score(
        ask("Prove that this lock-free queue is linearizable.", tools=CLAUDE_CODE_TOOLS))
    assert "learned stage" in decision.reason
    pushes = {d.name: d for d in decision.learned}
    assert pushes["semantics"].contribution == pytest.approx(
        model.semantic_push(table.vector(
            "prove that this lock-free queue is linearizable.", "frequency"))[decision.tier])
    assert not any(name.startswith("sem") and name != "semantics" for name in pushes)


def test_without_the_table_a_semantic_model_falls_back_to_the_hand_set_path(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="lynkr.routing.semantics"):
        missing = load_static_embeddings(tmp_path / "no-model-here")
    assert missing is None
    assert "static word embeddings unavailable" in caplog.text
    request = ask("Design a sharding strategy for our events table.", tools=CLAUDE_CODE_TOOLS)
    fallback = Scorer(RoutingSettings(), learned=semantic_model(),
                      embeddings=missing).score(request)
    hand = hand_scorer().score(request)
    assert fallback.tier == hand.tier and fallback.learned == ()
    assert "word embeddings are unavailable" in fallback.reason


@pytest.mark.parametrize(("semantic", "loads"), [(True, 1), (False, 0)])
def test_warm_up_loads_the_table_only_for_a_model_that_reads_it(
        monkeypatch: pytest.MonkeyPatch, table: StaticEmbeddings, semantic: bool,
        loads: int) -> None:
    calls: list[None] = []
    monkeypatch.setattr("lynkr.routing.scorer.load_static_embeddings",
                        lambda: calls.append(None) or table)
    model = semantic_model() if semantic else parse_learned({
        "features": ["score"], "intercepts": dict.fromkeys(TIER_ORDER, 0.0),
        "coefficients": {t: {"score": 0.0} for t in TIER_ORDER}})
    Scorer(RoutingSettings(), learned=model).warm_up()
    assert len(calls) == loads
