"""The learned second stage: coefficients load, decisions explain themselves, the hand-set
path is still there for operators with a weights file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lynkr.config import RoutingSettings
from lynkr.routing.features import extract_features
from lynkr.routing.learned import (
    LEARNED_WEIGHTS_PATH,
    least_cost_tier,
    load_learned,
    parse_learned,
)
from lynkr.routing.ngrams import hashed_ngrams, is_ngram, ngram_text
from lynkr.routing.scorer import Scorer
from lynkr.routing.semantics import is_semantic, semantic_vector
from lynkr.routing.weights import TIER_ORDER, WeightsError

from .helpers import CLAUDE_CODE_TOOLS, ask, hand_scorer, scorer

TASKS = ["how do I exit vim?",
         "Write a Python function that parses ISO-8601 durations, with tests.",
         "Implement OAuth2 login for the Django app: callback view, encrypted refresh tokens, "
         "update the user model and write tests.",
         "Design a sharding strategy for our events table and explain the trade-offs."]


def test_the_shipped_coefficients_load_and_cover_every_tier_and_dimension() -> None:
    model = load_learned()
    assert model is not None
    names = {d.name for d in hand_scorer().score(ask("fix the bug")).dimensions}
    assert {f for f in model.features if not (is_ngram(f) or is_semantic(f))} <= names | {"score"}
    assert sum(is_ngram(f) for f in model.features) == model.ngram_buckets
    assert "score" in model.features and "reasoning" in model.features
    assert set(model.coefficients) == set(TIER_ORDER) == set(model.intercepts)


def test_the_default_scorer_uses_the_learned_stage_and_a_weights_file_the_hand_path(
        tmp_path: Path) -> None:
    weights_file = tmp_path / "weights.json"
    weights_file.write_text(json.dumps({"weights": {"reasoning": 0.3}}))
    assert scorer().learned is not None
    assert Scorer(RoutingSettings(weights_file=str(weights_file))).learned is None
    decision = hand_scorer().score(ask(TASKS[2], tools=CLAUDE_CODE_TOOLS))
    assert "learned stage" not in decision.reason


@pytest.mark.parametrize("task", TASKS)
def test_a_learned_decision_shows_each_dimensions_push_toward_the_chosen_tier(task: str) -> None:
    learned = scorer().learned
    assert learned is not None
    decision = scorer().score(ask(task, tools=CLAUDE_CODE_TOOLS))
    assert "learned stage" in decision.reason and not decision.forced
    row = learned.coefficients[decision.tier]
    words = {"word_ngrams"} if learned.ngram_buckets else set()
    meaning = {"semantics"} if learned.semantics else set()
    assert ({d.name for d in decision.learned}
            == {d.name for d in decision.dimensions} | {"score"} | words | meaning)
    for push in decision.learned:
        if push.name not in ("word_ngrams", "semantics"):
            assert push.weight == row.get(push.name, 0.0)
        assert push.contribution == pytest.approx(push.value * push.weight)
    # dimensions and score stay the hand-weighted ones that affinity and the API report
    hand = hand_scorer().score(ask(task, tools=CLAUDE_CODE_TOOLS))
    assert decision.score == hand.score and decision.dimensions == hand.dimensions
    assert hand.learned == ()


def test_learned_decisions_are_deterministic_and_follow_the_highest_logit() -> None:
    learned = scorer().learned
    assert learned is not None
    for task in TASKS:
        first, again = (scorer().score(ask(task, tools=CLAUDE_CODE_TOOLS)) for _ in range(2))
        assert first == again
        request = ask(task, tools=CLAUDE_CODE_TOOLS)
        text = ngram_text(extract_features(request))
        values = ({d.name: d.value for d in first.learned
                   if d.name not in ("word_ngrams", "semantics")}
                  | hashed_ngrams(text, learned.ngram_buckets))
        vector = semantic_vector(text, learned.semantics) if learned.semantics else None
        assert first.tier == learned.predict(values, vector) or "raised" in first.reason
        assert sum(learned.probabilities(values, vector).values()) == pytest.approx(1.0)


def test_a_think_hard_hint_still_floors_a_learned_decision() -> None:
    decision = scorer().score(ask("ultrathink: rename `x` to `count` in utils.py"))
    assert decision.tier == "REASONING"


def test_a_missing_coefficients_file_means_no_learned_stage(tmp_path: Path) -> None:
    assert load_learned(tmp_path / "absent.json") is None


@pytest.mark.parametrize("data", [
    [],
    {"features": ["a"], "intercepts": {"SIMPLE": 0}, "coefficients": {}},
    {"features": ["a"], "intercepts": dict.fromkeys(TIER_ORDER, 0),
     "coefficients": {t: {} for t in TIER_ORDER}},
    {"features": ["a"], "intercepts": dict.fromkeys(TIER_ORDER, 0),
     "coefficients": {t: {"a": "1"} for t in TIER_ORDER}},
])
def test_a_malformed_coefficients_file_is_an_error(data: object) -> None:
    with pytest.raises(WeightsError):
        parse_learned(data)


def test_the_shipped_file_records_that_it_was_fitted_on_train_with_cross_validation() -> None:
    data = json.loads(LEARNED_WEIGHTS_PATH.read_text())
    assert "train split only" in data["about"]
    assert {"folds", "repeats", "accuracy"} <= set(data["cv"])


def test_a_costly_two_tier_under_route_moves_a_close_call_up_a_tier() -> None:
    # Likeliest is SIMPLE, but a quarter of the mass says COMPLEX, two tiers above it.
    p = {"SIMPLE": 0.45, "MEDIUM": 0.3, "COMPLEX": 0.25, "REASONING": 0.0}
    assert least_cost_tier(p, 1.0) == "SIMPLE"
    assert least_cost_tier(p, 4.0) == "MEDIUM"


def test_with_equal_costs_the_least_cost_tier_is_the_likeliest() -> None:
    p = {"SIMPLE": 0.1, "MEDIUM": 0.2, "COMPLEX": 0.6, "REASONING": 0.1}
    assert least_cost_tier(p, 1.0) == "COMPLEX"


def test_under_two_cost_and_ngram_buckets_are_read_from_the_coefficients_file() -> None:
    model = parse_learned({"features": ["a"], "intercepts": dict.fromkeys(TIER_ORDER, 0),
                           "coefficients": {t: {"a": 0.0} for t in TIER_ORDER},
                           "ngram_buckets": 64, "under_two_cost": 4})
    assert (model.ngram_buckets, model.under_two_cost) == (64, 4.0)
