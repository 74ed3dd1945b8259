"""Codex asks for the Responses API over a WebSocket first; lynkr serves it over HTTP, and
says so with the status that makes Codex fall back at once (426), in OpenAI's error shape."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect


@pytest.mark.parametrize("path", ["/v1/responses", "/responses"])
def test_a_websocket_upgrade_is_refused_with_426_and_an_openai_error(
        proxy_factory, path: str) -> None:  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="ollama") as url:
        with pytest.raises(InvalidStatus) as refused:
            connect(url.replace("http://", "ws://") + path, open_timeout=10)
    response = refused.value.response
    assert response.status_code == 426
    error = json.loads(response.body)["error"]
    assert "POST /v1/responses" in error["message"] and error["type"] == "invalid_request_error"
