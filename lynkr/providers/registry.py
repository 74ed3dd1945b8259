"""``MODEL_PROVIDER`` names -> adapter classes. Adding a provider: one adapter file + one line."""

from __future__ import annotations

import httpx

from lynkr.config import PROVIDERS, ProviderConfig, Settings
from lynkr.providers.anthropic import AnthropicProvider
from lynkr.providers.azure import AzureOpenAIProvider
from lynkr.providers.base import Provider
from lynkr.providers.bedrock import BedrockProvider
from lynkr.providers.gemini import GeminiProvider
from lynkr.providers.ollama import OllamaProvider
from lynkr.providers.openai_compat import (
    DatabricksProvider,
    OpenAICompatProvider,
    OpenAIProvider,
    OpenRouterProvider,
    ReasoningHistoryProvider,
)

ADAPTERS: dict[str, type[Provider]] = {
    "ollama": OllamaProvider,
    "llamacpp": OpenAICompatProvider,
    "lmstudio": OpenAICompatProvider,
    "openai": OpenAIProvider,
    "openrouter": OpenRouterProvider,
    "deepseek": ReasoningHistoryProvider,
    "moonshot": ReasoningHistoryProvider,
    "azure-openai": AzureOpenAIProvider,
    "anthropic": AnthropicProvider,
    "azure-anthropic": AnthropicProvider,
    "bedrock": BedrockProvider,
    "databricks": DatabricksProvider,
    "gemini": GeminiProvider,
}
LOCAL = frozenset({"ollama", "llamacpp", "lmstudio"})


def build_providers(settings: Settings, client: httpx.AsyncClient) -> dict[str, Provider]:
    """One adapter instance per configured provider name that has an adapter."""
    return {name: ADAPTERS[name](config, client)
            for name, config in settings.providers.items() if name in ADAPTERS}


def missing_credentials(config: ProviderConfig) -> str | None:
    """Why a provider cannot work as configured (naming the variables to set), or None.
    Used for startup warnings."""
    prefix = PROVIDERS[config.name][0]
    options = config.options
    if config.name == "bedrock":
        if not config.api_key and not (options.get("access_key_id")
                                       and options.get("secret_access_key")):
            return (f"bedrock: no credentials (set {prefix}_API_KEY, or {prefix}_ACCESS_KEY_ID "
                    f"and {prefix}_SECRET_ACCESS_KEY)")
        return None
    if not config.endpoint:
        variable = f"{prefix}_API_BASE" if config.name == "databricks" else f"{prefix}_ENDPOINT"
        return f"{config.name}: no endpoint (set {variable})"
    if config.name not in LOCAL and not config.api_key:
        return f"{config.name}: no API key (set {prefix}_API_KEY)"
    if config.name == "azure-openai" and not (options.get("deployment") or config.model):
        return f"azure-openai: no deployment (set {prefix}_DEPLOYMENT)"
    if config.name == "databricks" and not config.model:
        return f"databricks: no serving endpoint name (set {prefix}_MODEL)"
    return None
