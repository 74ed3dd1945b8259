"""Shared fixtures: a fake upstream on loopback and lynkr's app served by uvicorn."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest

from tests.fakes.server import serve, serving
from tests.fakes.upstream import FakeUpstream


@pytest.fixture
def upstream() -> Iterator[FakeUpstream]:
    with serving(FakeUpstream()) as fake:
        yield fake


ProxyFactory = Callable[..., contextlib.AbstractContextManager[str]]


@pytest.fixture
def proxy_factory(tmp_path) -> ProxyFactory:  # type: ignore[no-untyped-def]
    """Start lynkr with settings from a mapping of variables (as if from .env); yields the URL."""

    @contextlib.contextmanager
    def start(**env: str) -> Iterator[str]:
        from lynkr.app import create_app  # imported here so unit suites never need the app
        from lynkr.config import settings_from_env

        values = {"LYNKR_DATA_DIR": str(tmp_path / "data"), "SEMANTIC_CACHE_ENABLED": "false",
                  "MAX_RETRIES": "0", **env}
        with serve(create_app(settings_from_env(values))) as url:
            yield url

    return start


@pytest.fixture
def proxy(upstream: FakeUpstream, proxy_factory: ProxyFactory) -> Iterator[str]:
    """lynkr in front of the fake upstream speaking OpenAI chat completions."""
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk-test",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", OPENAI_MODEL="gpt-fake") as url:
        yield url
