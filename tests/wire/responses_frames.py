"""What a Responses client receives for an answer, whole and streamed, each item and event
validated against the openai SDK's own types (a shape the SDK refuses fails the spec)."""

from __future__ import annotations

import json
from typing import Any

from openai.types.responses import Response as SDKResponse
from openai.types.responses import ResponseStreamEvent
from pydantic import TypeAdapter

from lynkr.model import Request, Response
from lynkr.streams import replay
from lynkr.wire.openai_responses import StreamEncoder, render_response

EVENTS = TypeAdapter(ResponseStreamEvent)


def rendered(request: Request, answer: Response) -> dict[str, Any]:
    """The whole answer's body, validated as an SDK Response."""
    body = render_response(answer, request=request, response_id="resp_1", created_at=1)
    SDKResponse.model_validate(body)
    return body


def streamed(request: Request, answer: Response, chunk_size: int = 5) -> list[dict[str, Any]]:
    """The answer's stream events, replayed in ``chunk_size`` pieces, each validated as an SDK
    stream event."""
    encoder = StreamEncoder("resp_1", "m", 1, request)
    frames = b"".join(f for e in replay(answer, chunk_size=chunk_size) for f in encoder.encode(e))
    events = [json.loads(frame.split("\ndata: ", 1)[1])
              for frame in frames.decode().split("\n\n") if frame]
    for event in events:
        EVENTS.validate_python(event)
    return events
