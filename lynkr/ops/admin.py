"""Admin routes; every one requires ``LYNKR_ADMIN_TOKEN`` (see :func:`check_admin`)."""

from __future__ import annotations

from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse

from lynkr.config import ConfigError
from lynkr.errors import LynkrError
from lynkr.http import JSONResponse
from lynkr.ops.auth import check_admin
from lynkr.wire.formats import OPENAI_CHAT


async def reload_config(request: HTTPRequest) -> HTTPResponse:
    """``POST /v1/admin/reload``: re-read the env file; 400 with the reason when invalid."""
    try:
        check_admin(request.headers, request.app.state.lynkr.settings.ops.admin_token)
        settings = await request.app.state.reloader.reload()
    except LynkrError as err:
        return JSONResponse(OPENAI_CHAT.error(err), status_code=err.status)
    except ConfigError as err:
        error = LynkrError(f"configuration rejected, previous one still serving: {err}",
                           status=400, kind="invalid_request_error")
        return JSONResponse(OPENAI_CHAT.error(error), status_code=400)
    return JSONResponse({"status": "reloaded", "provider": settings.model_provider,
                         "tiers": {k: str(v) for k, v in settings.tiers.items()}})


async def reset_breakers(request: HTTPRequest) -> HTTPResponse:
    """``POST /v1/admin/breakers/reset``: close every circuit breaker now."""
    state = request.app.state.lynkr
    try:
        check_admin(request.headers, state.settings.ops.admin_token)
    except LynkrError as err:
        return JSONResponse(OPENAI_CHAT.error(err), status_code=err.status)
    targets = sorted(state.pipeline.breakers.snapshot())
    state.pipeline.breakers.reset()
    return JSONResponse({"status": "reset", "targets": targets})
