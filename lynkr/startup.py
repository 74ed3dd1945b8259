"""Startup checks: files the settings name must be readable, and one warning line per
configured-but-unusable target, none for the rest.

A target is "configured" when a variable points requests at it: ``MODEL_PROVIDER``, a
``TIER_*``, or ``FALLBACK_PROVIDER`` with ``FALLBACK_ENABLED=true``. Providers nobody routes to
are not checked, so an ``.env`` that only sets up Ollama starts without noise.
"""

from __future__ import annotations

import difflib

from lynkr.config import PROVIDERS, TIERS, Settings, canonical_provider
from lynkr.providers.registry import missing_credentials

# Every spelling parse_target accepts as a provider prefix.
_PROVIDER_NAMES = (*PROVIDERS, "vertex", "azure_openai", "azure_anthropic", "llama.cpp",
                   "llama-cpp")


def check_files(settings: Settings) -> None:
    """Read the files the settings name (routing weights, price table) the way the app will,
    so a missing or invalid one stops startup with one line (a :class:`ConfigError` naming
    the variable) before anything is started, not as a traceback from inside the server."""
    from lynkr.ops.metrics import load_pricing
    from lynkr.routing.weights import load_weights

    if settings.routing.enabled:
        load_weights(settings.routing.weights_file)
    load_pricing(settings.ops.pricing_file)


def _routed_to(settings: Settings) -> list[tuple[str, str]]:
    """(the setting, the provider it names) for every place a request can be sent."""
    targets: list[tuple[str, str]] = [(f"MODEL_PROVIDER={settings.model_provider}",
                                       settings.model_provider)]
    targets += [(f"TIER_{tier}={settings.tiers[tier]}", settings.tiers[tier].provider)
                for tier in TIERS if tier in settings.tiers]
    if settings.fallback_enabled and settings.fallback_provider:
        targets.append((f"FALLBACK_PROVIDER={settings.fallback_provider}",
                        settings.fallback_provider.split(":", 1)[0]))
    return targets


def providers_in_use(settings: Settings) -> list[str]:
    """The providers requests can reach, default first: what readiness reports."""
    return list(dict.fromkeys(provider for _, provider in _routed_to(settings)))


def startup_warnings(settings: Settings) -> list[str]:
    targets = _routed_to(settings)
    warnings = [_misspelt_provider(tier, settings) for tier in TIERS if tier in settings.tiers]
    warnings = [w for w in warnings if w]
    for label, provider in targets:
        problem = missing_credentials(settings.provider(provider))
        if problem:
            warnings.append(f"{label}: {problem}; requests routed there will fail")
    if settings.fallback_enabled and not settings.fallback_provider:
        warnings.append("FALLBACK_ENABLED=true but FALLBACK_PROVIDER is not set")
    return warnings


def _misspelt_provider(tier: str, settings: Settings) -> str | None:
    """A tier whose value starts with something close to a provider name (``anthropc:...``)
    was read as a model on ``MODEL_PROVIDER``; say so. Model names contain colons too
    (``qwen2.5-coder:7b``), so this only warns, and only for a near miss that looks like a
    typo: model families carry digits (``llama3:8b``) or extend a provider's name
    (``deepseek-r1:14b``), and typos keep the first letter."""
    target = settings.tiers[tier]
    head, sep, _ = target.model.partition(":")
    name = head.strip().lower()
    if (not sep or target.provider != settings.model_provider or name in _PROVIDER_NAMES
            or any(c.isdigit() for c in name)):
        return None
    if any(name.startswith(known) and name[len(known)] in "-._/"
           for known in _PROVIDER_NAMES if len(name) > len(known)):
        return None
    close = [known for known in difflib.get_close_matches(name, _PROVIDER_NAMES, cutoff=0.8)
             if known[0] == name[:1]]
    if not close:
        return None
    return (f"TIER_{tier}={target.model}: {head!r} is not a provider, so this is model "
            f"{target.model!r} on {target.provider}; did you mean "
            f"{canonical_provider(close[0])}:{target.model.partition(':')[2]}?")
