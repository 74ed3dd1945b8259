"""Startup checks: one warning line per configured-but-unusable target, none for the rest.

A target is "configured" when a variable points requests at it: ``MODEL_PROVIDER``, a
``TIER_*``, or ``FALLBACK_PROVIDER`` with ``FALLBACK_ENABLED=true``. Providers nobody routes to
are not checked, so an ``.env`` that only sets up Ollama starts without noise.
"""

from __future__ import annotations

from lynkr.config import TIERS, Settings
from lynkr.providers.registry import missing_credentials


def startup_warnings(settings: Settings) -> list[str]:
    targets: list[tuple[str, str]] = [(f"MODEL_PROVIDER={settings.model_provider}",
                                       settings.model_provider)]
    targets += [(f"TIER_{tier}={settings.tiers[tier]}", settings.tiers[tier].provider)
                for tier in TIERS if tier in settings.tiers]
    if settings.fallback_enabled and settings.fallback_provider:
        targets.append((f"FALLBACK_PROVIDER={settings.fallback_provider}",
                        settings.fallback_provider.split(":", 1)[0]))
    warnings = []
    for label, provider in targets:
        problem = missing_credentials(settings.provider(provider))
        if problem:
            warnings.append(f"{label}: {problem}; requests routed there will fail")
    if settings.fallback_enabled and not settings.fallback_provider:
        warnings.append("FALLBACK_ENABLED=true but FALLBACK_PROVIDER is not set")
    return warnings
