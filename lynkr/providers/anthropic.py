"""Anthropic Messages upstreams: Anthropic itself and Azure-hosted Anthropic (Foundry).

When the client also speaks Anthropic, fields we do not model (``context_management``,
``output_config``, ...) are forwarded untouched, so Claude Code features keep working.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import orjson

from lynkr.errors import UpstreamError
from lynkr.model import FLUSH, Request, Response, StreamEvent
from lynkr.providers.base import Provider, connection_error, join_url, raise_for_upstream
from lynkr.wire import anthropic
from lynkr.wire.sse import sse_reads

ANTHROPIC_VERSION = "2023-06-01"


class AnthropicProvider(Provider):
    family = "anthropic"

    def url(self) -> str:
        endpoint = self.config.endpoint.rstrip("/")
        if endpoint.endswith("/messages"):
            return endpoint
        return join_url(endpoint, "/messages" if endpoint.endswith("/v1") else "/v1/messages")

    def headers(self) -> dict[str, str]:
        headers = {"content-type": "application/json", "anthropic-version": ANTHROPIC_VERSION}
        if self.config.api_key:
            headers["x-api-key"] = self.config.api_key
        return headers

    def body(self, request: Request, model: str, stream: bool) -> bytes:
        payload = anthropic.build_request(
            request, model, stream=stream, passthrough_extra=request.client_format == "anthropic")
        return orjson.dumps(payload)

    async def send(self, request: Request, model: str) -> Response:
        data = await self.post_json(self.url(), self.body(request, model, False), self.headers())
        return anthropic.parse_response(data)

    async def stream(self, request: Request, model: str) -> AsyncIterator[StreamEvent]:
        url = self.url()
        decoder = anthropic.StreamDecoder()
        try:
            async with self.client.stream(
                "POST", url, content=self.body(request, model, True), headers=self.headers()
            ) as response:
                await raise_for_upstream(response, self.name)
                async for batch in sse_reads(response.aiter_bytes()):
                    for name, data in batch:
                        for event in decoder.feed(name, orjson.loads(data)):
                            yield event
                    yield FLUSH
        except httpx.HTTPError as exc:
            raise connection_error(exc, self.name, url) from exc
        except orjson.JSONDecodeError as exc:
            raise UpstreamError(f"{self.name} sent a malformed stream event: {exc}",
                                provider=self.name) from exc
        decoder.finish()  # raises when message_stop never came (stream cut)
