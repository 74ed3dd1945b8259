"""SigV4 against the vectors of AWS's published Signature Version 4 test suite (access key
AKIDEXAMPLE, region us-east-1, service "service", 2015-08-30T12:36:00Z)."""

from __future__ import annotations

import pytest

from lynkr.providers.sigv4 import Credentials, canonical_path, sign

SUITE = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
STAMP = "20150830T123600Z"
HOST = "https://example.amazonaws.com"
STS_TOKEN = (
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeo"
    "IYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5V"
    "SXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yj"
    "c8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==")

# (suite case, method, url, extra headers, body, signed headers, published signature)
VECTORS = [
    ("get-vanilla", "GET", f"{HOST}/", {}, b"", "host;x-amz-date",
     "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"),
    ("post-vanilla", "POST", f"{HOST}/", {}, b"", "host;x-amz-date",
     "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"),
    ("get-vanilla-query-order-key-case", "GET", f"{HOST}/?Param2=value2&Param1=value1", {}, b"",
     "host;x-amz-date", "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"),
    ("post-vanilla-query", "POST", f"{HOST}/?Param1=value1", {}, b"", "host;x-amz-date",
     "28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11"),
    ("get-utf8", "GET", f"{HOST}/\u1234", {}, b"", "host;x-amz-date",
     "8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85"),
    ("get-unreserved", "GET",
     f"{HOST}/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", {}, b"",
     "host;x-amz-date", "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"),
    ("post-x-www-form-urlencoded", "POST", f"{HOST}/",
     {"Content-Type": "application/x-www-form-urlencoded"}, b"Param1=value1",
     "content-type;host;x-amz-date",
     "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"),
]


@pytest.mark.parametrize("case", VECTORS, ids=[v[0] for v in VECTORS])
def test_signature_matches_the_published_aws_test_suite(case) -> None:  # type: ignore[no-untyped-def]
    _, method, url, headers, body, signed_headers, signature = case
    added = sign(method, url, {"Host": "example.amazonaws.com", **headers}, body, SUITE,
                 "us-east-1", "service", STAMP)
    assert added["x-amz-date"] == STAMP
    assert added["authorization"] == (
        "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
        f"SignedHeaders={signed_headers}, Signature={signature}")


def test_session_token_is_signed_and_sent_like_post_sts_header_before() -> None:
    temporary = Credentials(SUITE.access_key_id, SUITE.secret_access_key, STS_TOKEN)
    added = sign("POST", f"{HOST}/", {}, b"", temporary, "us-east-1", "service", STAMP)
    assert added["x-amz-security-token"] == STS_TOKEN
    assert added["authorization"].endswith(
        "SignedHeaders=host;x-amz-date;x-amz-security-token, "
        "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead")


def test_host_is_taken_from_the_url_when_not_given() -> None:
    with_host = sign("GET", f"{HOST}/", {"host": "example.amazonaws.com"}, b"", SUITE,
                     "us-east-1", "service", STAMP)
    without = sign("GET", f"{HOST}/", {}, b"", SUITE, "us-east-1", "service", STAMP)
    assert with_host == without


def test_an_escaped_model_id_colon_is_signed_double_encoded_as_aws_does() -> None:
    assert canonical_path("/model/anthropic.claude-v2%3A1/converse") == \
        "/model/anthropic.claude-v2%253A1/converse"
