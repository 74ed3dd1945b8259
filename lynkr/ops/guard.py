"""The ASGI middleware in front of every route: API key, load shedding, rate limit, and the
in-flight count. Refusals are answered here, in the caller's wire format, before any body is
read; health probes pass untouched."""

from __future__ import annotations

import hashlib

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

from lynkr.errors import LynkrError
from lynkr.http import JSONResponse
from lynkr.ops.auth import (
    OPS_PATHS,
    Access,
    access_for,
    missing_or_wrong_key,
    presented_key,
    same_secret,
)
from lynkr.wire.formats import ANTHROPIC, OPENAI_CHAT, ClientFormat


def format_for_path(path: str) -> ClientFormat:
    """The wire format a caller of ``path`` speaks, for errors raised before parsing."""
    return ANTHROPIC if path.startswith("/v1/messages") else OPENAI_CHAT


class Guard:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        access = access_for(path)
        if access in (Access.OPEN, Access.ADMIN):
            await self.app(scope, receive, send)
            return
        state = scope["app"].state
        settings, ops = state.lynkr.settings, state.ops
        conn = HTTPConnection(scope)
        key = None
        if settings.ops.api_key:
            browser = access is Access.BROWSER
            key = presented_key(conn.headers, conn.query_params if browser else None,
                                conn.cookies if browser else None)
            if not same_secret(key, settings.ops.api_key):
                ops.metrics.rejected.labels("auth").inc()
                await _refuse(scope, receive, send, missing_or_wrong_key(key))
                return
        if path in OPS_PATHS:
            await self.app(scope, receive, send)
            return
        if settings.ops.load_shedding_enabled:
            reason = ops.shedder.overloaded()
            if reason is not None:
                ops.metrics.rejected.labels("overloaded").inc()
                retry = ops.shedder.limits.retry_after
                await _refuse(scope, receive, send, LynkrError(
                    f"lynkr is overloaded ({reason}); retry in {retry} s", status=503,
                    kind="overloaded_error"), retry)
                return
        if settings.ops.rate_limit_rpm:
            wait = ops.limiter.acquire(_caller(key, conn), settings.ops.rate_limit_rpm)
            if wait is not None:
                ops.metrics.rejected.labels("rate_limited").inc()
                await _refuse(scope, receive, send, LynkrError(
                    f"rate limit of {settings.ops.rate_limit_rpm} requests per minute "
                    f"reached; retry in {wait:.0f} s", status=429, kind="rate_limit_error"),
                    wait)
                return
        ops.shedder.enter()
        try:
            await self.app(scope, receive, send)
        finally:
            ops.shedder.leave()


def _caller(key: str | None, conn: HTTPConnection) -> str:
    """Whom a rate limit applies to: the API key when there is one (hashed, so the table
    never holds secrets), else the client address."""
    if key is None:
        key = presented_key(conn.headers)
    if key:
        return "key:" + hashlib.sha256(key.encode()).hexdigest()[:16]
    return "addr:" + (conn.client.host if conn.client else "unknown")


async def _refuse(scope: Scope, receive: Receive, send: Send, err: LynkrError,
                  retry_after: float | None = None) -> None:
    headers = {"retry-after": str(int(retry_after))} if retry_after is not None else None
    if err.status == 401:
        headers = {**(headers or {}), "www-authenticate": "Bearer"}
    body = format_for_path(scope["path"]).error(err)
    await JSONResponse(body, status_code=err.status, headers=headers)(scope, receive, send)
