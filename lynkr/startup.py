"""Startup checks: one warning line per configured-but-unusable target, none for the rest."""

from __future__ import annotations

from lynkr.config import Settings
from lynkr.providers.registry import missing_credentials


def startup_warnings(settings: Settings) -> list[str]:
    used = {settings.model_provider}
    used.update(t.provider for t in settings.tiers.values())
    if settings.fallback_enabled and settings.fallback_provider:
        used.add(settings.fallback_provider.split(":", 1)[0])
    warnings = []
    for name in sorted(used):
        problem = missing_credentials(settings.provider(name))
        if problem:
            warnings.append(f"provider {problem}; requests routed there will fail")
    if settings.fallback_enabled and not settings.fallback_provider:
        warnings.append("FALLBACK_ENABLED=true but FALLBACK_PROVIDER is not set")
    return warnings
