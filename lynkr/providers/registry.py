"""``MODEL_PROVIDER`` names -> adapter classes. Adding a provider: one adapter file + one line."""

from __future__ import annotations

import httpx

from lynkr.config import ProviderConfig, Settings
from lynkr.providers.anthropic import AnthropicProvider
from lynkr.providers.base import Provider
from lynkr.providers.bedrock import BedrockProvider
from lynkr.providers.gemini import GeminiProvider
from lynkr.providers.ollama import OllamaProvider
from lynkr.providers.openai_compat import OpenAICompatProvider

ADAPTERS: dict[str, type[Provider]] = {
    "ollama": OllamaProvider,
    "llamacpp": OpenAICompatProvider,
    "lmstudio": OpenAICompatProvider,
    "openai": OpenAICompatProvider,
    "openrouter": OpenAICompatProvider,
    "deepseek": OpenAICompatProvider,
    "moonshot": OpenAICompatProvider,
    "anthropic": AnthropicProvider,
    "bedrock": BedrockProvider,
    "gemini": GeminiProvider,
}


def build_providers(settings: Settings, client: httpx.AsyncClient) -> dict[str, Provider]:
    """One adapter instance per configured provider name that has an adapter."""
    return {name: ADAPTERS[name](config, client)
            for name, config in settings.providers.items() if name in ADAPTERS}


def missing_credentials(config: ProviderConfig) -> str | None:
    """Why a provider cannot work as configured, or None. Used for startup warnings."""
    local = {"ollama", "llamacpp", "lmstudio"}
    if config.name not in local and not config.api_key:
        return f"{config.name}: no API key ({config.name.upper().replace('-', '_')}_API_KEY)"
    if not config.endpoint:
        return f"{config.name}: no endpoint configured"
    return None
