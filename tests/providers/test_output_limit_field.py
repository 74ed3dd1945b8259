"""OpenAI's reasoning models (o-series, gpt-5) refuse ``max_tokens``; Azure api-versions
before 2024-09-01 refuse ``max_completion_tokens`` and ``stream_options``. The fakes apply
those documented refusals; Claude Code's shape of request (a limit on every call, streamed)
goes through lynkr with the official SDK."""

from __future__ import annotations

import anthropic
import httpx
import pytest

from lynkr.config import ProviderConfig
from lynkr.providers.openai_compat import OpenAIProvider
from tests.fakes import quirks
from tests.fakes.paths import PathsUpstream

USER = [{"role": "user", "content": "Say hi."}]


def ask(url: str) -> str:
    """One streamed and one whole request, as Claude Code sends them (max_tokens set)."""
    claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    with claude.messages.stream(model="lynkr/auto", max_tokens=16000, messages=USER) as stream:
        streamed = stream.get_final_message().content[0].text
    whole = claude.messages.create(model="lynkr/auto", max_tokens=16000, messages=USER)
    assert whole.content[0].text == streamed
    return streamed


@pytest.mark.parametrize(("endpoint", "model"), [
    ("{url}/v1", "gpt-5"),              # a gateway or proxy serving OpenAI's models
    ("{url}/v1", "openai/o4-mini"),
])
def test_openai_reasoning_models_get_max_completion_tokens(
        endpoint: str, model: str, paths_upstream: PathsUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    paths_upstream.refusals.append(quirks.openai_reasoning_model)
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk",
                       OPENAI_ENDPOINT=endpoint.replace("{url}", paths_upstream.url),
                       OPENAI_MODEL=model) as url:
        assert ask(url) == "Hello from the fake upstream."
    assert paths_upstream.last.body["max_completion_tokens"] == 16000


def test_other_openai_compatible_servers_keep_max_tokens(paths_upstream: PathsUpstream,
                                                         proxy_factory) -> None:  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk",
                       OPENAI_ENDPOINT=f"{paths_upstream.url}/v1",
                       OPENAI_MODEL="qwen2.5-coder-32b") as url:
        ask(url)
    assert paths_upstream.last.body["max_tokens"] == 16000


@pytest.mark.parametrize(("env", "field", "usage_asked"), [
    ({"AZURE_OPENAI_ENDPOINT": "{url}"}, "max_completion_tokens", True),  # 2024-10-21
    ({"AZURE_OPENAI_ENDPOINT": "{url}/openai/v1"}, "max_completion_tokens", True),
    ({"AZURE_OPENAI_ENDPOINT": "{url}", "AZURE_OPENAI_API_VERSION": "2024-06-01"},
     "max_tokens", False),
    ({"AZURE_OPENAI_ENDPOINT": "{url}", "AZURE_OPENAI_API_VERSION": "2024-02-15-preview"},
     "max_tokens", False),
], ids=["ga", "v1", "2024-06-01", "2024-02-15-preview"])
def test_azure_fields_follow_the_api_version(env: dict[str, str], field: str, usage_asked: bool,
                                             paths_upstream: PathsUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    paths_upstream.refusals.append(quirks.azure_before_2024_09)
    settings = {k: v.replace("{url}", paths_upstream.url) for k, v in env.items()}
    with proxy_factory(MODEL_PROVIDER="azure-openai", AZURE_OPENAI_API_KEY="az",
                       AZURE_OPENAI_DEPLOYMENT="prod-o4-mini", **settings) as url:
        assert ask(url) == "Hello from the fake upstream."
    streamed, whole = paths_upstream.received[-2:]
    assert streamed.body[field] == whole.body[field] == 16000
    assert ("stream_options" in streamed.body) is usage_asked


def test_openais_own_api_gets_max_completion_tokens_for_every_model() -> None:
    config = ProviderConfig(name="openai", endpoint="https://api.openai.com/v1", api_key="sk",
                            model="gpt-4o")
    provider = OpenAIProvider(config, httpx.AsyncClient())
    assert provider.max_tokens_field("gpt-4o") == "max_completion_tokens"
