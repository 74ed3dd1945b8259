"""ROUTING_WEIGHTS_FILE: overrides on top of the defaults; any flaw is a clear error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lynkr.config import ConfigError, RoutingSettings
from lynkr.routing.scorer import Scorer
from lynkr.routing.weights import DEFAULT_WEIGHTS, WeightsError, load_weights

from .helpers import ask


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "weights.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_no_file_means_the_defaults() -> None:
    assert load_weights(None) is DEFAULT_WEIGHTS


def test_file_overrides_only_the_keys_it_names(tmp_path: Path) -> None:
    weights = load_weights(write(tmp_path, {"weights": {"reasoning": 0.9},
                                            "thresholds": {"medium": 0.05},
                                            "affinity_margin": 0.2}))
    assert weights.dimensions["reasoning"] == 0.9
    assert weights.dimensions["codegen_intent"] == DEFAULT_WEIGHTS.dimensions["codegen_intent"]
    assert weights.thresholds.medium == 0.05
    assert weights.thresholds.complex == DEFAULT_WEIGHTS.thresholds.complex
    assert weights.affinity_margin == 0.2


def test_scorer_reads_the_weights_file_from_routing_settings(tmp_path: Path) -> None:
    path = write(tmp_path, {"thresholds": {"medium": 0.001, "complex": 0.002, "reasoning": 0.9}})
    decision = Scorer(RoutingSettings(weights_file=str(path))).score(ask("write a function"))
    assert decision.tier == "COMPLEX"


@pytest.mark.parametrize(("data", "message"), [
    ([1, 2], "expected a JSON object"),
    ({"wieghts": {}}, "unknown key"),
    ({"weights": {"reasonning": 0.3}}, "unknown name"),
    ({"weights": {"reasoning": "high"}}, "expected a number"),
    ({"thresholds": {"medium": 0.5, "complex": 0.4}}, "medium < complex"),
    ({"affinity_margin": 3}, "within"),
])
def test_invalid_weights_file_is_rejected_with_the_reason(tmp_path: Path, data: object,
                                                          message: str) -> None:
    with pytest.raises(WeightsError, match=message):
        load_weights(write(tmp_path, data))


def test_unreadable_or_malformed_file_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match="ROUTING_WEIGHTS_FILE=.*cannot read"):
        load_weights(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{\"weights\": ", encoding="utf-8")
    with pytest.raises(WeightsError, match="invalid JSON at line 1"):
        load_weights(bad)


def test_weights_errors_are_config_errors_so_the_cli_prints_one_line() -> None:
    assert issubclass(WeightsError, ConfigError)
