"""Which ``provider:model`` serves a request: a pinned model, the tier's target, then the
chain of fallbacks (next tiers up, then ``FALLBACK_PROVIDER``)."""

from __future__ import annotations

from lynkr.config import PROVIDERS, TIERS, Settings, TierTarget, canonical_provider
from lynkr.errors import NotFound

#: Model aliases a client may send to pick a tier explicitly (listed by /v1/models).
TIER_ALIASES = {f"lynkr/{t.lower()}": t for t in TIERS}
AUTO_ALIAS = "lynkr/auto"


def default_target(settings: Settings, provider: str | None = None) -> TierTarget:
    name = provider or settings.model_provider
    return TierTarget(name, settings.provider(name).model or "")


def pinned_target(model: str) -> TierTarget | None:
    """``provider:model`` in the client's ``model`` field pins the upstream directly.

    Raises NotFound for an alias in lynkr's namespace that does not exist, so a typo is an
    error instead of a silent reroute.
    """
    if model.startswith("lynkr/") and model not in TIER_ALIASES and model != AUTO_ALIAS:
        raise NotFound(f"unknown model alias {model!r}; use one of: "
                       f"{', '.join([AUTO_ALIAS, *TIER_ALIASES])} or provider:model")
    head, sep, tail = model.partition(":")
    if sep and canonical_provider(head) in PROVIDERS:
        if not tail:
            raise NotFound(f"model {model!r} names a provider but no model")
        return TierTarget(canonical_provider(head), tail)
    return None


def requested_tier(model: str) -> str | None:
    return TIER_ALIASES.get(model)


def target_chain(settings: Settings, tier: str | None) -> list[tuple[str | None, TierTarget]]:
    """The ordered (tier, target) attempts for a request routed to ``tier``.

    With tiers configured: the tier's target, then each higher tier's; then the fallback
    provider when enabled. Without: ``MODEL_PROVIDER`` then the fallback. Duplicates removed.
    """
    chain: list[tuple[str | None, TierTarget]] = []
    if tier and settings.tiers:
        start = TIERS.index(tier)
        for name in TIERS[start:]:
            if name in settings.tiers:
                chain.append((name, settings.tiers[name]))
        if not chain:  # routed above every configured tier: take the highest one
            top = [t for t in TIERS if t in settings.tiers][-1]
            chain.append((top, settings.tiers[top]))
    else:
        chain.append((tier, default_target(settings)))
    if settings.fallback_enabled and settings.fallback_provider:
        name, _, model = settings.fallback_provider.partition(":")
        chain.append(("FALLBACK", TierTarget(name, model or settings.provider(name).model or "")))
    seen: set[str] = set()
    unique = []
    for item in chain:
        if str(item[1]) not in seen:
            seen.add(str(item[1]))
            unique.append(item)
    return unique
