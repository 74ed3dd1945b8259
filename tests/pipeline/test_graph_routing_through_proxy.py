"""The code graph reaches routing through the real proxy: the same edit lands on a higher tier
when the file it names is central (imported by many modules, complex) than when it is a leaf.

A small repository is written to a temporary directory and indexed with ``graph.build``;
lynkr starts with ``CODE_GRAPH_WORKSPACE`` pointing at it and four distinct tier models, and
the tier is read from the model the fake upstream received."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from lynkr.routing.weights import TIER_ORDER
from tests.fakes.upstream import FakeUpstream

MODELS = {"SIMPLE": "small-model", "MEDIUM": "medium-model", "COMPLEX": "large-model",
          "REASONING": "reasoning-model"}
EDIT = "Add a retries argument to the load function in {path} and update its docstring."

CENTRAL = '''"""Storage used by every feature."""


def load(key, cache=None, strict=False, default=None):
    """Read ``key``: cache first, then the store."""
    if cache is not None and key in cache:
        if strict and cache[key] is None:
            raise KeyError(key)
        return cache[key]
    for attempt in range(3):
        try:
            value = _read(key)
        except OSError:
            if attempt == 2:
                if default is not None:
                    return default
                raise
            continue
        if value is None and strict:
            raise KeyError(key)
        if value is None:
            return default
        if cache is not None:
            cache[key] = value
        return value
    return default


def _read(key):
    return None
'''

LEAF = '''"""A one-off helper script nobody imports."""


def load(path):
    """Read a text file."""
    with open(path) as handle:
        return handle.read()
'''

FEATURE = '''from core.store import load


def run_{n}(key):
    return load(key)
'''


def write_repository(root: Path) -> None:
    (root / "core").mkdir()
    (root / "core" / "__init__.py").write_text("")
    (root / "core" / "store.py").write_text(CENTRAL)
    (root / "features").mkdir()
    (root / "features" / "__init__.py").write_text("")
    for n in range(14):
        (root / "features" / f"feature_{n}.py").write_text(FEATURE.format(n=n))
    (root / "scripts").mkdir()
    (root / "scripts" / "leaf.py").write_text(LEAF)


@pytest.fixture
def graph_repo(tmp_path: Path) -> Path:
    from graph.build import build_graph

    root = tmp_path / "repo"
    root.mkdir()
    write_repository(root)
    build_graph(root, workers=1)
    return root


@pytest.fixture
def graph_proxy(upstream: FakeUpstream, proxy_factory, graph_repo: Path  # type: ignore[no-untyped-def]
                ) -> Iterator[str]:
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="k",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1",
                       TIER_SIMPLE=f"openai:{MODELS['SIMPLE']}",
                       TIER_MEDIUM=f"openai:{MODELS['MEDIUM']}",
                       TIER_COMPLEX=f"openai:{MODELS['COMPLEX']}",
                       TIER_REASONING=f"openai:{MODELS['REASONING']}",
                       CODE_GRAPH_WORKSPACE=str(graph_repo)) as url:
        yield url


def routed_tier(url: str, upstream: FakeUpstream, text: str) -> str:
    response = httpx.post(f"{url}/v1/messages", timeout=30, json={
        "model": "claude-sonnet-4-6", "max_tokens": 100,
        "messages": [{"role": "user", "content": text}]})
    assert response.status_code == 200
    model = upstream.last.body["model"]
    assert response.headers["x-lynkr-model"] == model
    return next(tier for tier, name in MODELS.items() if name == model)


def test_an_edit_to_a_central_module_lands_on_a_higher_tier_than_the_same_edit_to_a_leaf(
        graph_proxy: str, upstream: FakeUpstream) -> None:
    leaf = routed_tier(graph_proxy, upstream, EDIT.format(path="scripts/leaf.py"))
    central = routed_tier(graph_proxy, upstream, EDIT.format(path="core/store.py"))
    assert TIER_ORDER.index(central) > TIER_ORDER.index(leaf), (leaf, central)


def test_the_graph_signals_the_scorer_reads_have_the_fields_and_types_it_expects(
        graph_repo: Path) -> None:
    from lynkr.routing.scorer import make_graph_signals

    signals_fn = make_graph_signals(str(graph_repo))
    assert signals_fn is not None
    central = signals_fn(["core/store.py"], [])
    leaf = signals_fn(["scripts/leaf.py"], [])
    assert central is not None and leaf is not None
    for field in ("files_found", "max_cyclomatic", "mean_cyclomatic", "max_nesting",
                  "blast_radius", "dependency_depth", "centrality"):
        assert isinstance(getattr(central, field), int | float), field
    assert central.files_found == leaf.files_found == 1
    assert central.blast_radius >= 14 > leaf.blast_radius
    assert central.max_cyclomatic > leaf.max_cyclomatic
