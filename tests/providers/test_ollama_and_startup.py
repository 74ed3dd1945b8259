"""Ollama's keep-alive on the wire, and the one-line startup warnings for targets whose
credentials are missing (and silence about everything nobody routes to)."""

from __future__ import annotations

import anthropic
import anyio
import httpx

from lynkr.config import ProviderConfig, settings_from_env
from lynkr.model import Message, Request, TextBlock
from lynkr.providers.ollama import OllamaProvider
from lynkr.startup import startup_warnings
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall


def test_ollama_keep_alive_context_window_and_streamed_tool_calls_on_api_chat(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    upstream.queue(Reply(text="", tool_calls=[ToolCall("ls", {"path": "."})]))
    with proxy_factory(MODEL_PROVIDER="ollama", OLLAMA_ENDPOINT=upstream.url,  # type: ignore[attr-defined]
                       OLLAMA_MODEL="qwen2.5-coder:7b", OLLAMA_KEEP_ALIVE="30m",
                       OLLAMA_NUM_CTX="32768") as url:
        sdk = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
        with sdk.messages.stream(model="m", max_tokens=20, messages=[
                {"role": "user", "content": "list"}], tools=[
                {"name": "ls", "input_schema": {"type": "object"}}]) as stream:
            final = stream.get_final_message()
    assert upstream.last.path == "/api/chat"
    assert upstream.last.body["keep_alive"] == "30m"
    assert upstream.last.body["options"]["num_ctx"] == 32768
    assert upstream.last.body["model"] == "qwen2.5-coder:7b"
    assert final.content[0].name == "ls" and final.content[0].input == {"path": "."}


def test_nothing_is_said_about_providers_nobody_routes_to() -> None:
    assert startup_warnings(settings_from_env({"MODEL_PROVIDER": "ollama"})) == []


def test_each_tier_and_the_fallback_missing_credentials_get_one_line() -> None:
    settings = settings_from_env({
        "MODEL_PROVIDER": "ollama",
        "TIER_SIMPLE": "ollama:qwen2.5:7b",
        "TIER_MEDIUM": "openrouter:openai/gpt-4o-mini",
        "TIER_COMPLEX": "azure-openai:gpt-4o",
        "TIER_REASONING": "bedrock:anthropic.claude-3-7-sonnet-20250219-v1:0",
        "FALLBACK_ENABLED": "true", "FALLBACK_PROVIDER": "databricks",
    })
    assert startup_warnings(settings) == [
        "TIER_MEDIUM=openrouter:openai/gpt-4o-mini: openrouter: no API key (set "
        "OPENROUTER_API_KEY); requests routed there will fail",
        "TIER_COMPLEX=azure-openai:gpt-4o: azure-openai: no endpoint (set "
        "AZURE_OPENAI_ENDPOINT); requests routed there will fail",
        "TIER_REASONING=bedrock:anthropic.claude-3-7-sonnet-20250219-v1:0: bedrock: no "
        "credentials (set AWS_BEDROCK_API_KEY, or AWS_BEDROCK_ACCESS_KEY_ID and "
        "AWS_BEDROCK_SECRET_ACCESS_KEY); requests routed there will fail",
        "FALLBACK_PROVIDER=databricks: databricks: no endpoint (set DATABRICKS_API_BASE); "
        "requests routed there will fail",
    ]


def test_complete_configurations_start_quietly() -> None:
    settings = settings_from_env({
        "MODEL_PROVIDER": "azure-openai", "AZURE_OPENAI_ENDPOINT": "https://r.openai.azure.com",
        "AZURE_OPENAI_API_KEY": "k", "AZURE_OPENAI_DEPLOYMENT": "gpt-4o",
        "TIER_COMPLEX": "bedrock:anthropic.claude-3-7-sonnet-20250219-v1:0",
        "AWS_BEDROCK_ACCESS_KEY_ID": "AKID", "AWS_BEDROCK_SECRET_ACCESS_KEY": "s",
        "TIER_REASONING": "gemini:gemini-2.5-pro", "GEMINI_API_KEY": "g",
        "FALLBACK_ENABLED": "true", "FALLBACK_PROVIDER": "databricks",
        "DATABRICKS_API_BASE": "https://adb-1.azuredatabricks.net", "DATABRICKS_API_KEY": "d",
        "DATABRICKS_MODEL": "databricks-claude-sonnet-4",
    })
    assert startup_warnings(settings) == []


def test_a_disabled_fallback_is_not_checked() -> None:
    settings = settings_from_env({"MODEL_PROVIDER": "ollama", "FALLBACK_PROVIDER": "openai"})
    assert startup_warnings(settings) == []


def test_a_configured_context_window_is_sent_as_num_ctx(upstream: FakeUpstream) -> None:
    """Ollama's default window (4,096 below 24 GB of VRAM) cuts Claude Code's prompt silently;
    ``OLLAMA_NUM_CTX`` (options["num_ctx"]) asks for a larger one on every request."""
    config = ProviderConfig(name="ollama", endpoint=upstream.url, model="qwen3-coder:30b",
                            options={"num_ctx": "65536"})
    request = Request("m", [Message("user", [TextBlock("hi")])], max_tokens=2000)

    async def send() -> None:
        async with httpx.AsyncClient() as client:
            await OllamaProvider(config, client).send(request, "qwen3-coder:30b")

    anyio.run(send)
    assert upstream.last.body["options"] == {"num_predict": 2000, "num_ctx": 65536}
