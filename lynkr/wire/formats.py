"""The three client-facing wire formats behind one small interface, so the HTTP handlers
are written once: parse a body, render a response, encode a stream, render an error."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from lynkr.errors import LynkrError
from lynkr.model import Request, Response
from lynkr.stream_events import Flush, StreamEvent
from lynkr.wire import anthropic, openai_chat, openai_responses
from lynkr.wire.errors import error_body
from lynkr.wire.sse import sse_frame


@dataclass(frozen=True)
class ClientFormat:
    name: str
    parse: Callable[[Any], Request]
    render: Callable[[Response, Request, str | None], dict]
    # A stream's frames, and its heartbeat: what is written into it when it has been quiet a
    # while (see sse.with_heartbeat): Anthropic's own ping event; for chat completions a
    # comment line, which every SSE parser skips; for Responses a keepalive event.
    encode_stream: Callable[[AsyncIterator[StreamEvent], Request, str | None],
                            tuple[AsyncIterator[bytes], Callable[[], bytes]]]

    def error(self, err: LynkrError) -> dict:
        return error_body(err, self.name)


async def _write_per_read(events: AsyncIterator[StreamEvent],
                          encode: Callable[[StreamEvent], list[bytes]],
                          encode_error: Callable[[LynkrError], bytes]) -> AsyncIterator[bytes]:
    """Encode events, writing once per upstream read (at each ``Flush``) and at the end.

    A burst of events from one network read becomes one client write instead of one per SSE
    frame; streams without ``Flush`` (a replayed cache hit) are written when they end.
    """
    pending: list[bytes] = []
    try:
        async for event in events:
            if isinstance(event, Flush):
                if pending:
                    yield b"".join(pending)
                    pending.clear()
                continue
            pending.extend(encode(event))
    except LynkrError as err:
        pending.append(encode_error(err))
    if pending:
        yield b"".join(pending)


_PING = sse_frame(b'{"type":"ping"}', "ping")
_COMMENT = b": keep-alive\n\n"
Encoded = tuple[AsyncIterator[bytes], Callable[[], bytes]]


def _anthropic_stream(events: AsyncIterator[StreamEvent], request: Request,
                      response_id: str | None = None) -> Encoded:
    encoder = anthropic.StreamEncoder(model=request.model)
    return (_write_per_read(events, lambda e: [encoder.encode(e)], encoder.encode_error),
            lambda: _PING)


def _chat_stream(events: AsyncIterator[StreamEvent], request: Request,
                 response_id: str | None = None) -> Encoded:
    encoder = openai_chat.StreamEncoder(model=request.model, id=f"chatcmpl-{uuid.uuid4().hex}",
                                        include_usage=openai_chat.include_usage(request),
                                        legacy_functions=openai_chat.legacy_functions(request))
    return _write_per_read(events, encoder.encode, encoder.encode_error), lambda: _COMMENT


def _responses_stream(events: AsyncIterator[StreamEvent], request: Request,
                      response_id: str | None = None) -> Encoded:
    encoder = openai_responses.StreamEncoder(response_id or f"resp_{uuid.uuid4().hex}",
                                             request.model, int(time.time()), request)
    return _write_per_read(events, encoder.encode, encoder.encode_error), encoder.keepalive


def _render_chat(response: Response, request: Request, response_id: str | None = None) -> dict:
    return openai_chat.render_response(
        response, legacy_functions=openai_chat.legacy_functions(request))


def _render_responses(response: Response, request: Request,
                      response_id: str | None = None) -> dict:
    return openai_responses.render_response(
        response, request=request, response_id=response_id or f"resp_{uuid.uuid4().hex}",
        created_at=int(time.time()))


ANTHROPIC = ClientFormat("anthropic", anthropic.parse_request,
                         lambda r, req, _id: anthropic.render_response(r, req.model),
                         _anthropic_stream)
OPENAI_CHAT = ClientFormat("openai_chat", openai_chat.parse_request, _render_chat, _chat_stream)
OPENAI_RESPONSES = ClientFormat("openai_responses", openai_responses.parse_request,
                                _render_responses, _responses_stream)
