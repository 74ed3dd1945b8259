"""AWS Signature Version 4, pure: ``sign(...)`` returns the headers to add to a request.

Only what Bedrock needs (header signing, not presigned URLs), written with ``hashlib`` and
``hmac`` so no AWS SDK is required. Checked against AWS's published SigV4 test suite.

Path canonicalisation follows the rule for every service but S3: the path *as sent* is
URI-encoded once more. A Bedrock model id such as ``anthropic.claude-3-5-sonnet-v1:0`` is
sent with the colon escaped (``%3A``) and signed as ``%253A``, which is what AWS computes.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote, unquote, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
_UNRESERVED = "-_.~"


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    secret_access_key: str
    session_token: str | None = None


def amz_date(now: datetime | None = None) -> str:
    """The ``X-Amz-Date`` stamp (basic ISO 8601, UTC) for ``now``."""
    return (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sign(method: str, url: str, headers: Mapping[str, str], body: bytes,
         credentials: Credentials, region: str, service: str, stamp: str) -> dict[str, str]:
    """Headers to add so the request is signed: ``x-amz-date``, ``authorization`` and,
    with temporary credentials, ``x-amz-security-token``.

    ``headers`` are the ones that will be sent (``host`` is taken from ``url`` when absent);
    every one of them is signed. ``stamp`` is an :func:`amz_date` value, passed in so the
    function stays pure and testable against fixed vectors.
    """
    parts = urlsplit(url)
    added = {"x-amz-date": stamp}
    if credentials.session_token:
        added["x-amz-security-token"] = credentials.session_token
    signed = {k.lower(): v for k, v in headers.items()}
    signed.setdefault("host", parts.netloc)
    signed.update(added)
    names = sorted(signed)
    canonical_headers = "".join(f"{n}:{_trim(signed[n])}\n" for n in names)
    signed_headers = ";".join(names)
    canonical_request = "\n".join([
        method.upper(),
        canonical_path(parts.path),
        canonical_query(parts.query),
        canonical_headers,
        signed_headers,
        hashlib.sha256(body).hexdigest(),
    ])
    day = stamp[:8]
    scope = f"{day}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join([
        ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()])
    key = signing_key(credentials.secret_access_key, day, region, service)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    added["authorization"] = (f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
                              f"SignedHeaders={signed_headers}, Signature={signature}")
    return added


def signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = ("AWS4" + secret).encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key


def canonical_path(path: str) -> str:
    return quote(path or "/", safe="/" + _UNRESERVED)


def canonical_query(query: str) -> str:
    pairs = []
    for item in filter(None, query.split("&")):
        name, _, value = item.partition("=")
        pairs.append((quote(unquote(name), safe=_UNRESERVED),
                      quote(unquote(value), safe=_UNRESERVED)))
    return "&".join(f"{n}={v}" for n, v in sorted(pairs))


def _trim(value: str) -> str:
    return " ".join(value.strip().split())
