"""Fake provider servers on loopback for the provider integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.bedrock import FakeBedrock
from tests.fakes.gemini import FakeGemini
from tests.fakes.paths import PathsUpstream
from tests.fakes.server import serving


@pytest.fixture
def fake_bedrock() -> Iterator[FakeBedrock]:
    with serving(FakeBedrock()) as fake:
        yield fake


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    with serving(FakeGemini()) as fake:
        yield fake


@pytest.fixture
def paths_upstream() -> Iterator[PathsUpstream]:
    with serving(PathsUpstream()) as fake:
        yield fake
