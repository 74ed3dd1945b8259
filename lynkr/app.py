"""The Starlette application: routes, lifespan (one shared HTTP client), the completion
endpoints and request logging. Endpoints that call no model are in :mod:`lynkr.info_endpoints`."""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request as HTTPRequest
from starlette.responses import Response as HTTPResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket

from lynkr import info_endpoints as info
from lynkr.components import build_components
from lynkr.config import Settings
from lynkr.errors import InvalidRequest, LynkrError
from lynkr.http import (
    ClientDisconnected,
    EventStreamResponse,
    JSONResponse,
    RequestIds,
    read_json,
    request_id_of,
    unless_disconnected,
    upstream_client,
)
from lynkr.model import Request, Response
from lynkr.ops import admin, dashboard
from lynkr.ops.guard import Guard
from lynkr.ops.metrics import load_pricing
from lynkr.ops.redact import redact
from lynkr.ops.reload import Reloader, components_unchanged
from lynkr.ops.shedding import SheddingLimits
from lynkr.ops.state import Ops
from lynkr.pipeline import Pipeline
from lynkr.providers.base import UpstreamStatusError
from lynkr.providers.registry import build_providers
from lynkr.request_record import RequestRecord
from lynkr.routing.fallback import ChainExhausted
from lynkr.wire.formats import ANTHROPIC, OPENAI_CHAT, OPENAI_RESPONSES, ClientFormat
from lynkr.wire.openai_responses import response_to_history
from lynkr.wire.response_store import ResponseStore, previous_response_not_found
from lynkr.wire.sse import with_heartbeat
from lynkr.wire.thinking_binding import dropped_thinking, header_betas, peek_dropped

log = logging.getLogger("lynkr.request")


@dataclass
class AppState:
    settings: Settings
    client: httpx.AsyncClient
    pipeline: Pipeline
    responses: ResponseStore


def create_app(settings: Settings, env_file: Path | None = None) -> Starlette:
    """Build the app for ``settings``. Nothing is read from the environment here; with
    ``env_file`` the app reloads from it when it changes or on ``POST /v1/admin/reload``."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # One client for the app's life, shared across reloads: requests in flight on the
        # previous configuration keep a working connection pool until they finish.
        async with upstream_client(settings) as client:
            app.state.lynkr = await _build_state(settings, client, ResponseStore(), None)
            async with anyio.create_task_group() as tasks:
                tasks.start_soon(ops.shedder.monitor)
                if env_file is not None:
                    tasks.start_soon(reloader.watch)
                yield
                tasks.cancel_scope.cancel()

    async def rebuild(new: Settings) -> None:
        old: AppState = app.state.lynkr
        # Everything that can fail is built first; then all of it is applied together.
        pricing = await anyio.to_thread.run_sync(load_pricing, new.ops.pricing_file)
        state = await _build_state(new, old.client, old.responses, old)
        # The shared client's timeouts: requests already sent keep the ones they started with.
        old.client.timeout = httpx.Timeout(new.request_timeout, connect=new.connect_timeout)
        ops.configure(SheddingLimits.from_settings(new.ops), pricing)
        app.state.lynkr = state

    ops = Ops.create(lambda: _breakers_of(app), SheddingLimits.from_settings(settings.ops),
                     load_pricing(settings.ops.pricing_file))
    reloader = Reloader(env_file, rebuild, lambda r: ops.metrics.reloads.labels(r).inc())

    routes = [
        Route("/", info.health, methods=["GET", "HEAD"]),
        Route("/health/live", info.live, methods=["GET", "HEAD"]),
        Route("/health/ready", info.ready, methods=["GET"]),
        Route("/health/providers", info.providers_health, methods=["GET"]),
        Route("/v1/models", info.models, methods=["GET"]),
        Route("/v1/models/{model_id:path}", info.model, methods=["GET"]),
        Route("/v1/messages", messages, methods=["POST"]),
        Route("/v1/messages/count_tokens", info.count_tokens, methods=["POST"]),
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/responses", responses, methods=["POST"]),
        WebSocketRoute("/v1/responses", _responses_over_http_only),
        WebSocketRoute("/responses", _responses_over_http_only),
        Route("/routing/analyze", info.routing_analyze, methods=["POST"]),
        Route("/routing/stats", info.routing_stats, methods=["GET"]),
        Route("/metrics", dashboard.metrics, methods=["GET"]),
        Route("/v1/stats", dashboard.stats, methods=["GET"]),
        Route("/dashboard", dashboard.page, methods=["GET"]),
        Route("/v1/admin/reload", admin.reload_config, methods=["POST"]),
        Route("/v1/admin/breakers/reset", admin.reset_breakers, methods=["POST"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan,
                    middleware=[Middleware(RequestIds), Middleware(Guard)],
                    exception_handlers={HTTPException: _http_exception})
    app.state.ops, app.state.reloader = ops, reloader
    return app


async def _build_state(settings: Settings, client: httpx.AsyncClient,
                       responses: ResponseStore, previous: AppState | None) -> AppState:
    """Everything that serves requests under ``settings``, built before anything is swapped
    in; stores and breakers carry over from ``previous`` where the settings allow."""
    if previous is not None and components_unchanged(previous.settings, settings):
        components = previous.pipeline.parts
    else:
        components = await anyio.to_thread.run_sync(build_components, settings)
        for warning in components.warnings:
            logging.getLogger("lynkr").warning(warning)
    breakers = None
    if previous is not None and _same_breaker_limits(previous.settings, settings):
        breakers = previous.pipeline.breakers  # else start afresh under the new limits
    pipeline = Pipeline(settings, build_providers(settings, client), components,
                        breakers=breakers)
    if previous is not None:  # what models refused, and who wrote which thinking, stay true
        pipeline.upstream_limits = previous.pipeline.upstream_limits
        pipeline.thinking_origins = previous.pipeline.thinking_origins
    pipeline.on_complete.append(_store_responses_turn(responses))
    return AppState(settings, client, pipeline, responses)


def _same_breaker_limits(old: Settings, new: Settings) -> bool:
    return (old.breaker_threshold, old.breaker_cooldown) == (new.breaker_threshold,
                                                             new.breaker_cooldown)


def _breakers_of(app: Starlette) -> dict[str, dict[str, object]]:
    state = getattr(app.state, "lynkr", None)
    return state.pipeline.breakers.snapshot() if state is not None else {}


def _state(request: HTTPRequest) -> AppState:
    return request.app.state.lynkr  # type: ignore[no-any-return]


# --- completions ------------------------------------------------------------------------


async def messages(request: HTTPRequest) -> HTTPResponse:
    return await _complete(request, ANTHROPIC)


async def chat_completions(request: HTTPRequest) -> HTTPResponse:
    return await _complete(request, OPENAI_CHAT)


async def responses(request: HTTPRequest) -> HTTPResponse:
    return await _complete(request, OPENAI_RESPONSES)


async def _complete(http: HTTPRequest, fmt: ClientFormat) -> HTTPResponse:
    state = _state(http)
    record = RequestRecord(fmt.name, request_id=request_id_of(http.scope))
    try:
        body = await read_json(http, max_bytes=state.settings.policy.max_body_bytes,
                               max_depth=state.settings.policy.max_json_depth)
        request = _parse(fmt, body, state, record)
        if fmt is ANTHROPIC:  # they go on to an Anthropic upstream
            request.betas = header_betas(http.headers.getlist("anthropic-beta"))
        outcome = await unless_disconnected(
            http, state.pipeline.run(request, record, use_cache=_cache_allowed(http)))
        # The upstream's own drops join those of a model switch the pipeline counted.
        if outcome.response is not None:
            record.thinking_dropped += dropped_thinking(outcome.response.input_transformations)
        elif outcome.events is not None:
            dropped, outcome.events = await peek_dropped(outcome.events)
            record.thinking_dropped += dropped
    except ClientDisconnected:
        record.error = "client disconnected"
        record.status = 499  # nginx's code for it; nobody is left to read the answer
        _log(http, record)
        return HTTPResponse(status_code=499)
    except LynkrError as err:
        return _error(http, fmt, err, record)
    except Exception as exc:  # a bug must still answer in the caller's format
        log.exception("internal error on %s", http.url.path)
        err = LynkrError(f"internal error: {type(exc).__name__}: {exc}")
        return _error(http, fmt, err, record)
    headers = record.headers()
    if outcome.events is not None:
        frames, beat = fmt.encode_stream(outcome.events, request, record.response_id)
        body_iter = with_heartbeat(frames, beat, state.settings.stream_heartbeat)
        return EventStreamResponse(_logged(body_iter, http, record), headers=headers)
    assert outcome.response is not None
    _log(http, record)
    return JSONResponse(fmt.render(outcome.response, request, record.response_id),
                        headers=headers)


def _cache_allowed(http: HTTPRequest) -> bool:
    """``x-lynkr-no-cache: 1`` or ``Cache-Control: no-cache`` bypass the cache."""
    if http.headers.get("x-lynkr-no-cache", "").strip() not in ("", "0", "false"):
        return False
    return "no-cache" not in http.headers.get("cache-control", "").lower()


def _parse(fmt: ClientFormat, body: dict, state: AppState, record: RequestRecord) -> Request:
    if fmt is not OPENAI_RESPONSES:
        return fmt.parse(body)
    previous = body.get("previous_response_id")
    history = None
    if previous is not None:
        if not isinstance(previous, str):
            raise InvalidRequest("previous_response_id must be a string",
                                 param="previous_response_id")
        stored = state.responses.get(previous)
        if stored is None:
            raise previous_response_not_found(previous)
        history = stored[0]
    from lynkr.wire import openai_responses

    request = openai_responses.parse_request(body, history=history)
    if previous is not None and stored is not None and not request.system:
        request.system = list(stored[1])
    record.response_id = f"resp_{uuid.uuid4().hex}"
    return request


def _store_responses_turn(store: ResponseStore):  # type: ignore[no-untyped-def]
    def hook(request: Request, response: Response, record: RequestRecord) -> None:
        if request.client_format == "openai_responses" and request.extra.get("store", True):
            store.put(record.response_id or "", response_to_history(request, response),
                      request.system)
    return hook


def _error(http: HTTPRequest, fmt: ClientFormat, err: LynkrError,
           record: RequestRecord) -> HTTPResponse:
    err.message = redact(err.message)  # upstream errors may echo a key back
    record.status, record.error = err.status, err.message
    if isinstance(err, UpstreamStatusError):  # one upstream's answer, passed on as it came
        record.upstream_request_id = err.request_id
    _log(http, record)
    headers = record.headers()
    retry_after = getattr(err, "retry_after", None)
    if retry_after is not None:
        headers["retry-after"] = str(int(retry_after))
    elif isinstance(err, ChainExhausted) and err.status >= 500 and _failed_over(err):
        # Every target of the chain failed: an SDK retrying on top (Claude Code: ten times,
        # with backoff) only multiplies the wait before the user sees the error. With one
        # target, lynkr's few quick retries (under a second) are no substitute for the
        # client's backoff, which rides out a transient 500 as it would going direct.
        headers["x-should-retry"] = "false"
    return JSONResponse(fmt.error(err), status_code=err.status, headers=headers)


def _failed_over(err: ChainExhausted) -> bool:
    return len({str(attempt.target) for attempt in err.attempts}) > 1


async def _logged(body: AsyncIterator[bytes], http: HTTPRequest,
                  record: RequestRecord) -> AsyncIterator[bytes]:
    streams = http.app.state.ops.metrics.active_streams
    streams.inc()
    try:
        async for chunk in body:
            yield chunk
    except BaseException:
        record.error = record.error or "client disconnected"
        raise
    finally:
        streams.dec()
        with contextlib.suppress(Exception):
            await body.aclose()  # type: ignore[attr-defined]
        _log(http, record)


def _log(http: HTTPRequest, record: RequestRecord) -> None:
    seconds = time.perf_counter() - record.started
    latency = seconds * 1000
    if record.error:
        record.error = redact(record.error)
    if log.isEnabledFor(logging.INFO):
        # tokens_in is what went upstream; saved_by says what each optimizer took off before.
        saved_by = ",".join(f"{k}:{v}" for k, v in record.saved_by.items())
        # The id a provider's support needs; every response's when there is more to it
        # (retries, failover, a failed chain).
        ids = record.upstream_request_ids
        upstream = (f" upstream_request_id={record.upstream_request_id}"
                    if record.upstream_request_id else "")
        if any(ids) and ids != [record.upstream_request_id]:
            upstream += f" upstream_request_ids={','.join(i or '-' for i in ids)}"
        log.info(
            "method=%s path=%s request_id=%s format=%s provider=%s model=%s tier=%s cache=%s "
            "status=%s latency_ms=%.1f tokens_in=%s tokens_out=%s tokens_saved=%s%s%s%s",
            http.method, http.url.path, record.request_id, record.client_format,
            record.provider, record.model, record.tier, record.cache, record.status, latency,
            record.tokens_in, record.tokens_out, record.tokens_saved,
            f" saved_by={saved_by}" if saved_by else "", upstream,
            f' error="{record.error}"' if record.error else "")
    state = _state(http)
    http.app.state.ops.observe(http.url.path, record, seconds,
                               state.pipeline.parts.cache is not None)


async def _responses_over_http_only(websocket: WebSocket) -> None:
    """Codex tries the Responses API over a WebSocket first and falls back to HTTP at once
    on 426; any other refusal (Starlette's default 403) cost five reconnects, about 6.6 s and
    an ERROR line at the start of every session."""
    error = OPENAI_RESPONSES.error(LynkrError(
        "lynkr serves the Responses API over HTTP: POST /v1/responses", status=426,
        kind="invalid_request_error"))
    await websocket.send_denial_response(JSONResponse(error, status_code=426))


async def _http_exception(request: HTTPRequest, exc: Exception) -> HTTPResponse:
    assert isinstance(exc, HTTPException)
    fmt = ANTHROPIC if request.url.path.startswith("/v1/messages") else OPENAI_CHAT
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    message = (f"no route {request.method} {request.url.path}" if exc.status_code in (404, 405)
               else str(exc.detail))
    return JSONResponse(fmt.error(LynkrError(message, status=exc.status_code, kind=kind)),
                        status_code=exc.status_code, headers=exc.headers)  # 405: Allow
