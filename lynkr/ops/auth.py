"""Access control: the optional client API key (``LYNKR_API_KEY``) and the admin token
(``LYNKR_ADMIN_TOKEN``) that admin routes always require.

Keys are compared with :func:`hmac.compare_digest` so response timing says nothing about how
much of a guess was right. Which routes need what is decided here, by path, in one place.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from enum import Enum

from lynkr.errors import LynkrError

COOKIE = "lynkr_key"
ADMIN_PREFIX = "/v1/admin/"
# Read-only pages a browser opens: they also accept ``?key=`` and the cookie set from it.
BROWSER_PATHS = frozenset({"/dashboard", "/v1/stats"})
# Routes that are neither counted as API traffic nor rate limited or shed.
OPS_PATHS = BROWSER_PATHS | {"/metrics"}


class Access(Enum):
    OPEN = "open"  # health probes: always answer, whatever the key
    ADMIN = "admin"  # checked by the admin handlers against the admin token
    BROWSER = "browser"
    API = "api"


def access_for(path: str) -> Access:
    if path == "/" or path.startswith("/health/"):
        return Access.OPEN
    if path.startswith(ADMIN_PREFIX):
        return Access.ADMIN
    if path in BROWSER_PATHS:
        return Access.BROWSER
    return Access.API


def presented_key(headers: Mapping[str, str], query: Mapping[str, str] | None = None,
                  cookies: Mapping[str, str] | None = None) -> str | None:
    """The key a caller sent: ``x-api-key`` (Anthropic SDKs), ``Authorization: Bearer``
    (OpenAI SDKs), then, for browser pages only, ``?key=`` and the cookie."""
    key = headers.get("x-api-key")
    if key:
        return key.strip()
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if query and query.get("key"):
        return query["key"]
    if cookies and cookies.get(COOKIE):
        return cookies[COOKIE]
    return None


def same_secret(presented: str | None, expected: str) -> bool:
    """Constant-time comparison; a missing key never matches."""
    if presented is None:
        return False
    return hmac.compare_digest(presented.encode("utf-8"), expected.encode("utf-8"))


def missing_or_wrong_key(presented: str | None) -> LynkrError:
    if presented is None:
        message = ("this proxy requires an API key: send it as x-api-key or "
                   "Authorization: Bearer (the value of LYNKR_API_KEY)")
    else:
        message = "invalid API key (it does not match LYNKR_API_KEY)"
    return LynkrError(message, status=401, kind="authentication_error")


def check_admin(headers: Mapping[str, str], admin_token: str | None) -> None:
    """Raise unless the request carries the admin token; admin routes are disabled (403)
    while ``LYNKR_ADMIN_TOKEN`` is unset, so a proxy is never administrable by accident."""
    if not admin_token:
        raise LynkrError("admin routes are disabled: set LYNKR_ADMIN_TOKEN to enable them",
                         status=403, kind="permission_error")
    token = headers.get("x-lynkr-admin-token")
    if not token:
        scheme, _, value = headers.get("authorization", "").partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else None
    if not same_secret(token, admin_token):
        raise LynkrError("admin token missing or wrong: send LYNKR_ADMIN_TOKEN as "
                         "Authorization: Bearer or x-lynkr-admin-token",
                         status=401, kind="authentication_error")
