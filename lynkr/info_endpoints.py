"""The endpoints that answer without calling a model: health and readiness, the model list,
token counting, and the router's explanations. Completions live in :mod:`lynkr.app`."""

from __future__ import annotations

import contextlib
import time
from typing import TYPE_CHECKING, Any

import anyio
from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse

from lynkr import __version__
from lynkr.errors import InvalidRequest, LynkrError
from lynkr.http import JSONResponse, read_json
from lynkr.routing.tiers import AUTO_ALIAS, TIER_ALIASES
from lynkr.startup import providers_in_use, startup_warnings
from lynkr.tokens import request_tokens
from lynkr.wire import anthropic
from lynkr.wire.formats import ANTHROPIC, OPENAI_CHAT, OPENAI_RESPONSES

if TYPE_CHECKING:
    from lynkr.app import AppState


def _state(request: HTTPRequest) -> AppState:
    return request.app.state.lynkr  # type: ignore[no-any-return]


async def health(request: HTTPRequest) -> HTTPResponse:
    return JSONResponse({"service": "lynkr", "version": __version__, "status": "running"})


async def live(request: HTTPRequest) -> HTTPResponse:
    return JSONResponse({"status": "ok"})


async def ready(request: HTTPRequest) -> HTTPResponse:
    """Ready once the app serves requests. Lists the providers requests can reach (the
    default, the tiers, the fallback), not every adapter lynkr knows, and the configuration
    problems that would make some of them fail, so a probe or a user sees them at once."""
    settings = _state(request).settings
    return JSONResponse({"status": "ready", "provider": settings.model_provider,
                         "providers": providers_in_use(settings),
                         "warnings": startup_warnings(settings)})


async def providers_health(request: HTTPRequest) -> HTTPResponse:
    return JSONResponse({"breakers": _state(request).pipeline.breakers.snapshot()})


async def models(request: HTTPRequest) -> HTTPResponse:
    settings = _state(request).settings
    ids = [AUTO_ALIAS, *TIER_ALIASES]
    ids += [str(t) for t in settings.tiers.values()]
    default = settings.provider(settings.model_provider)
    ids.append(f"{default.name}:{default.model}")
    provider = _state(request).pipeline.providers.get(default.name)
    if provider is not None:  # what the default upstream really has (Ollama: /api/tags)
        with contextlib.suppress(Exception), anyio.move_on_after(2):
            ids += [f"{default.name}:{m}" for m in await provider.list_models()]
    created = int(time.time())
    data = [{"id": i, "object": "model", "created": created, "owned_by": "lynkr",
             "type": "model", "display_name": i, "created_at": "2025-01-01T00:00:00Z"}
            for i in dict.fromkeys(ids)]
    return JSONResponse({"object": "list", "data": data, "has_more": False,
                         "first_id": data[0]["id"], "last_id": data[-1]["id"]})


async def model(request: HTTPRequest) -> HTTPResponse:
    """One model, as the OpenAI and Anthropic SDKs retrieve it: every id is served (an alias
    for the configured provider, a tier, or ``provider:model``), so every id exists."""
    model_id = request.path_params["model_id"]
    return JSONResponse({"id": model_id, "object": "model", "created": int(time.time()),
                         "owned_by": "lynkr", "type": "model", "display_name": model_id,
                         "created_at": "2025-01-01T00:00:00Z"})


async def count_tokens(request: HTTPRequest) -> HTTPResponse:
    settings = _state(request).settings
    try:
        body = await read_json(request, max_bytes=settings.policy.max_body_bytes,
                               max_depth=settings.policy.max_json_depth)
        body.setdefault("max_tokens", 1)
        parsed = anthropic.parse_request(body)
    except LynkrError as err:
        return JSONResponse(ANTHROPIC.error(err), status_code=err.status)
    return JSONResponse({"input_tokens": request_tokens(parsed)})


async def routing_analyze(request: HTTPRequest) -> HTTPResponse:
    """Explain the tier a request would get: score and every dimension's contribution.

    The body is a request in any client format (``?format=openai_chat|openai_responses``;
    Anthropic Messages by default); nothing is sent upstream.
    """
    state = _state(request)
    name = request.query_params.get("format", "anthropic")
    fmt = {"anthropic": ANTHROPIC, "openai_chat": OPENAI_CHAT,
           "openai_responses": OPENAI_RESPONSES}.get(name, ANTHROPIC)
    scorer = state.pipeline.parts.scorer
    try:
        if fmt.name != name:
            raise InvalidRequest(f"format={name!r} is not a client format; use anthropic, "
                                 "openai_chat or openai_responses", param="format")
        if scorer is None:
            raise LynkrError("routing is disabled (ROUTING_ENABLED=false)", status=400,
                             kind="invalid_request_error")
        body = await read_json(request, max_bytes=state.settings.policy.max_body_bytes,
                               max_depth=state.settings.policy.max_json_depth)
        decision = scorer.score(fmt.parse(body))
    except LynkrError as err:
        return JSONResponse(fmt.error(err), status_code=err.status)
    target = state.settings.tiers.get(decision.tier)
    return JSONResponse({
        "tier": decision.tier, "score": round(decision.score, 4), "reason": decision.reason,
        "forced": decision.forced, "target": str(target) if target else None,
        "dimensions": [_dimension_json(d) for d in decision.dimensions],
        # On the learned path: each input's push toward the chosen tier.
        "learned": [_dimension_json(d) for d in decision.learned]})


def _dimension_json(d: Any) -> dict[str, Any]:
    return {"name": d.name, "value": round(d.value, 4), "weight": d.weight,
            "contribution": round(d.contribution, 4), "reason": d.reason}


async def routing_stats(request: HTTPRequest) -> HTTPResponse:
    state = _state(request)
    return JSONResponse({**state.pipeline.parts.routing_stats.snapshot(),
                         "tiers": {t: str(v) for t, v in state.settings.tiers.items()}})
