"""Typed errors, mapped to each caller's wire format in one place (``lynkr.wire.errors``).

``kind`` uses Anthropic's error type names because the internal model is Anthropic-shaped;
the OpenAI renderers translate them.
"""

from __future__ import annotations


class LynkrError(Exception):
    """An error a client should see: HTTP status, a stable kind, and a human message."""

    status: int = 500
    kind: str = "api_error"

    def __init__(self, message: str, *, status: int | None = None, kind: str | None = None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if kind is not None:
            self.kind = kind
        self.param = param


class InvalidRequest(LynkrError):
    """The client sent something we cannot accept (bad JSON, wrong type, missing field)."""

    status = 400
    kind = "invalid_request_error"


class NotFound(LynkrError):
    status = 404
    kind = "not_found_error"


class UpstreamError(LynkrError):
    """An upstream provider failed. ``retryable`` tells the fallback layer whether to try again
    (connect errors, timeouts, 429 and 5xx are; other 4xx are the caller's problem)."""

    status = 502
    kind = "api_error"

    def __init__(self, message: str, *, status: int | None = None, kind: str | None = None,
                 provider: str = "", retryable: bool = False,
                 retry_after: float | None = None) -> None:
        super().__init__(message, status=status, kind=kind)
        self.provider = provider
        self.retryable = retryable
        self.retry_after = retry_after


def kind_for_status(status: int) -> str:
    """The Anthropic error type for an HTTP status passed on from an upstream."""
    return {
        400: "invalid_request_error",
        401: "authentication_error",
        403: "permission_error",
        404: "not_found_error",
        413: "request_too_large",
        429: "rate_limit_error",
        503: "overloaded_error",
        529: "overloaded_error",
    }.get(status, "api_error")
