"""The three client-facing wire formats behind one small interface, so the HTTP handlers
are written once: parse a body, render a response, encode a stream, render an error."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from lynkr.errors import LynkrError
from lynkr.model import Request, Response, StreamEvent
from lynkr.wire import anthropic, openai_chat, openai_responses
from lynkr.wire.errors import error_body


@dataclass(frozen=True)
class ClientFormat:
    name: str
    parse: Callable[[Any], Request]
    render: Callable[[Response, Request, str | None], dict]
    encode_stream: Callable[[AsyncIterator[StreamEvent], Request, str | None],
                            AsyncIterator[bytes]]

    def error(self, err: LynkrError) -> dict:
        return error_body(err, self.name)


async def _anthropic_stream(events: AsyncIterator[StreamEvent], request: Request,
                            response_id: str | None = None) -> AsyncIterator[bytes]:
    encoder = anthropic.StreamEncoder()
    try:
        async for event in events:
            yield encoder.encode(event)
    except LynkrError as err:
        yield encoder.encode_error(err)


async def _chat_stream(events: AsyncIterator[StreamEvent], request: Request,
                       response_id: str | None = None) -> AsyncIterator[bytes]:
    encoder = openai_chat.StreamEncoder(model=request.model, id=f"chatcmpl-{uuid.uuid4().hex}",
                                        include_usage=openai_chat.include_usage(request))
    try:
        async for event in events:
            for frame in encoder.encode(event):
                yield frame
    except LynkrError as err:
        yield encoder.encode_error(err)


async def _responses_stream(events: AsyncIterator[StreamEvent], request: Request,
                            response_id: str | None = None) -> AsyncIterator[bytes]:
    response_id = response_id or f"resp_{uuid.uuid4().hex}"
    encoder = openai_responses.StreamEncoder(response_id, request.model, int(time.time()),
                                             request)
    try:
        async for event in events:
            for frame in encoder.encode(event):
                yield frame
    except LynkrError as err:
        yield encoder.encode_error(err)


def _render_chat(response: Response, request: Request, response_id: str | None = None) -> dict:
    return openai_chat.render_response(response)


def _render_responses(response: Response, request: Request,
                      response_id: str | None = None) -> dict:
    return openai_responses.render_response(
        response, request=request, response_id=response_id or f"resp_{uuid.uuid4().hex}",
        created_at=int(time.time()))


ANTHROPIC = ClientFormat("anthropic", anthropic.parse_request,
                         lambda r, _req, _id: anthropic.render_response(r), _anthropic_stream)
OPENAI_CHAT = ClientFormat("openai_chat", openai_chat.parse_request, _render_chat, _chat_stream)
OPENAI_RESPONSES = ClientFormat("openai_responses", openai_responses.parse_request,
                                _render_responses, _responses_stream)
