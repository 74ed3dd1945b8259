"""OpenAI-compatible chat completions: OpenAI, OpenRouter, DeepSeek, Moonshot, LM Studio,
llama.cpp and Databricks serving endpoints (Azure OpenAI is in ``azure.py``).

They share one wire format (``lynkr.wire.openai_chat``); they differ only in URL shape and
auth headers, which is all these adapters decide.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson

from lynkr.errors import UpstreamError
from lynkr.model import FLUSH, Request, Response, StreamEvent
from lynkr.providers.base import Provider, connection_error, join_url, raise_for_upstream
from lynkr.wire import openai_chat
from lynkr.wire.sse import sse_reads


class OpenAICompatProvider(Provider):
    family = "openai_chat"

    def url(self, model: str) -> str:
        """Chat completions URL: a full URL is used as is; a base ending in a version segment
        gets ``/chat/completions``; a bare server root (llama.cpp, LM Studio) gets
        ``/v1/chat/completions``."""
        endpoint = self.config.endpoint.rstrip("/")
        if endpoint.endswith("/chat/completions"):
            return endpoint
        last = endpoint.rsplit("/", 1)[-1]
        if last.startswith("v") and last[1:2].isdigit() or "/v1/" in endpoint + "/":
            return join_url(endpoint, "/chat/completions")
        return join_url(endpoint, "/v1/chat/completions")

    def headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json"}
        if self.config.api_key:
            headers["authorization"] = f"Bearer {self.config.api_key}"
        # OpenRouter's app attribution (OPENROUTER_SITE_URL / OPENROUTER_SITE_NAME).
        if site_url := self.config.options.get("site_url"):
            headers["http-referer"] = site_url
        if site_name := self.config.options.get("site_name"):
            headers["x-title"] = site_name
        return headers

    def body(self, request: Request, model: str, stream: bool) -> bytes:
        payload = openai_chat.build_request(
            request, model, stream=stream,
            passthrough_extra=request.client_format == "openai_chat")
        return orjson.dumps(payload)

    async def send(self, request: Request, model: str) -> Response:
        data = await self.post_json(self.url(model), self.body(request, model, False),
                                    self.headers())
        return openai_chat.parse_response(data)

    async def stream(self, request: Request, model: str) -> AsyncIterator[StreamEvent]:
        url = self.url(model)
        decoder = openai_chat.StreamDecoder()
        done = False
        try:
            async with self.client.stream(
                "POST", url, content=self.body(request, model, True), headers=self.headers()
            ) as response:
                await raise_for_upstream(response, self.name)
                # Read to the end even after [DONE]: a response left unread cannot return its
                # connection to the keep-alive pool, and every stream would pay a new connect.
                async for batch in sse_reads(response.aiter_bytes()):
                    for _name, data in batch:
                        if done:
                            continue
                        if data == "[DONE]":
                            done = True
                            for event in decoder.finish():
                                yield event
                            continue
                        for event in decoder.feed(orjson.loads(data)):
                            yield event
                    yield FLUSH
        except httpx.HTTPError as exc:
            raise connection_error(exc, self.name, url) from exc
        except orjson.JSONDecodeError as exc:
            raise UpstreamError(f"{self.name} sent a malformed stream chunk: {exc}",
                                provider=self.name, retryable=False) from exc
        if not done:  # closed without [DONE]: finish() raises if the message never completed
            for event in decoder.finish():
                yield event

    async def list_models(self) -> list[str]:
        return [self.config.model] if self.config.model else []


class DatabricksProvider(OpenAICompatProvider):
    """Databricks model serving: ``{DATABRICKS_API_BASE}/serving-endpoints/{model}/invocations``
    with a Bearer token; the body is OpenAI chat. The model is the serving endpoint's name."""

    def url(self, model: str) -> str:
        base = self.config.endpoint.rstrip("/")
        if base.endswith("/invocations"):
            return base
        base = base.removesuffix("/serving-endpoints")
        return f"{base}/serving-endpoints/{model}/invocations"
