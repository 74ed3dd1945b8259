"""Error bodies in the caller's own format, so official SDKs raise the right exception."""

from __future__ import annotations

import anthropic
import httpx2
import openai
import pytest

from lynkr.errors import InvalidRequest, LynkrError, NotFound, UpstreamError
from lynkr.wire.errors import anthropic_error_body, error_body, openai_error_body


def test_anthropic_error_body_carries_kind_and_message() -> None:
    err = InvalidRequest("messages: field required", param="messages")
    assert anthropic_error_body(err) == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "messages: field required"},
    }


def test_openai_error_body_carries_param_and_openai_type() -> None:
    err = InvalidRequest("messages[0].role: unknown role 'bot'", param="messages[0].role")
    assert openai_error_body(err) == {"error": {
        "message": "messages[0].role: unknown role 'bot'", "type": "invalid_request_error",
        "param": "messages[0].role", "code": None}}


@pytest.mark.parametrize(("err", "type_", "code"), [
    (LynkrError("bad key", status=401, kind="authentication_error"),
     "authentication_error", "invalid_api_key"),
    (NotFound("no such model"), "not_found_error", "not_found"),
    (UpstreamError("slow down", status=429, kind="rate_limit_error"),
     "rate_limit_exceeded", "rate_limit_exceeded"),
    (UpstreamError("timed out", status=504, kind="timeout_error"), "timeout", "timeout"),
    (UpstreamError("boom", status=502), "server_error", None),
    (LynkrError("odd", status=418, kind="teapot_error"), "api_error", None),
])
def test_openai_error_types_follow_openai_vocabulary(err, type_, code) -> None:
    body = openai_error_body(err)["error"]
    assert (body["type"], body["code"]) == (type_, code)


def test_error_body_dispatches_on_the_client_format() -> None:
    err = NotFound("gone")
    assert error_body(err, "anthropic")["type"] == "error"
    chat = error_body(err, "openai_chat")
    assert chat["error"]["type"] == "not_found_error" and "type" not in chat
    assert error_body(err, "openai_responses") == openai_error_body(err)


def _response(status: int, body: dict) -> httpx2.Response:
    return httpx2.Response(status, json=body, request=httpx2.Request("POST", "http://x/v1"))


def test_official_sdks_read_our_error_bodies() -> None:
    err = InvalidRequest("max_tokens: must be an integer", param="max_tokens")
    a = anthropic.Anthropic(api_key="k")._make_status_error_from_response(
        _response(400, anthropic_error_body(err)))
    assert isinstance(a, anthropic.BadRequestError)
    assert "max_tokens: must be an integer" in a.message
    o = openai.OpenAI(api_key="k")._make_status_error_from_response(
        _response(400, openai_error_body(err)))
    assert isinstance(o, openai.BadRequestError)
    assert o.param == "max_tokens"
