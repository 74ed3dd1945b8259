"""Fake provider servers on loopback for the provider integration tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.bedrock import FakeBedrock
from tests.fakes.gemini import FakeGemini
from tests.fakes.paths import PathsUpstream
from tests.fakes.server import serve


@pytest.fixture
def fake_bedrock() -> Iterator[FakeBedrock]:
    fake = FakeBedrock()
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    fake = FakeGemini()
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake


@pytest.fixture
def paths_upstream() -> Iterator[PathsUpstream]:
    fake = PathsUpstream()
    with serve(fake.app) as url:
        fake.url = url  # type: ignore[attr-defined]
        yield fake
