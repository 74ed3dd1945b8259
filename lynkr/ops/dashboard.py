"""Read-only operations endpoints: ``/metrics`` (Prometheus), ``/v1/stats`` (JSON for the
dashboard and ``lynkr stats``) and ``/dashboard`` (one static page, no build step)."""

from __future__ import annotations

from functools import cache
from importlib import resources

from starlette.requests import Request as HTTPRequest
from starlette.responses import RedirectResponse
from starlette.responses import Response as HTTPResponse

from lynkr import __version__
from lynkr.http import JSONResponse
from lynkr.ops.auth import COOKIE
from lynkr.ops.metrics import CONTENT_TYPE


async def metrics(request: HTTPRequest) -> HTTPResponse:
    return HTTPResponse(request.app.state.ops.metrics.exposition(), media_type=CONTENT_TYPE)


async def stats(request: HTTPRequest) -> HTTPResponse:
    state = request.app.state.lynkr
    body = request.app.state.ops.stats.snapshot()
    body["version"] = __version__
    body["provider"] = state.settings.model_provider
    body["breakers"] = state.pipeline.breakers.snapshot()
    body["in_flight"] = request.app.state.ops.shedder.in_flight
    return JSONResponse(body, headers={"cache-control": "no-store"})


async def page(request: HTTPRequest) -> HTTPResponse:
    """The dashboard. Opened as ``/dashboard?key=...`` it stores the key in an HttpOnly
    cookie and redirects, so the key leaves the address bar and the page's polls carry it."""
    key = request.query_params.get("key")
    if key and request.app.state.lynkr.settings.ops.api_key:
        redirect = RedirectResponse("/dashboard", status_code=303)
        redirect.set_cookie(COOKIE, key, httponly=True, samesite="strict", path="/")
        return redirect
    return HTTPResponse(_html(), media_type="text/html; charset=utf-8",
                        headers={"cache-control": "no-store",
                                 "content-security-policy": _CSP})


_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'")


@cache
def _html() -> bytes:
    return resources.files("lynkr.ops").joinpath("static/dashboard.html").read_bytes()
