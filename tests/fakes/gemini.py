"""A fake Gemini API: ``/v1beta/models/{model}:generateContent`` (JSON) and
``:streamGenerateContent?alt=sse`` (SSE of whole GenerateContentResponse objects, ending when
the connection closes), written from Google's API reference. Scripted like
:mod:`tests.fakes.upstream`; ``queries`` records each request's query string.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.fakes.upstream import Cut, Fail, FakeUpstream, Garbage, Reply, _once, _pieces


class FakeGemini(FakeUpstream):
    def __init__(self) -> None:
        super().__init__()
        self.queries: list[str] = []
        self.app = Starlette(routes=[
            Route("/v1beta/models/{call:path}", self._call, methods=["POST"])])

    async def _call(self, request: Request) -> Response:
        self.queries.append(request.url.query)
        behavior, body = await self._next(request)
        model, _, action = request.path_params["call"].partition(":")
        if isinstance(behavior, Fail):
            return JSONResponse({"error": {"code": behavior.status, "message": behavior.message,
                                           "status": "UNAVAILABLE"}},
                                status_code=behavior.status, headers=behavior.headers)
        if isinstance(behavior, Garbage):
            return StreamingResponse(_once(behavior.payload), media_type="text/event-stream")
        reply = behavior.reply if isinstance(behavior, Cut) else behavior
        assert isinstance(reply, Reply)
        if action == "generateContent":
            return JSONResponse(_chunk(model, _parts(reply), reply, final=True))
        chunks = []
        if reply.thinking:
            chunks.append(_chunk(model, [{"text": reply.thinking, "thought": True}], reply))
        chunks += [_chunk(model, [{"text": p}], reply)
                   for p in _pieces(reply.text, reply.chunk_size)]
        calls = [{"functionCall": {"name": c.name, "args": c.arguments},
                  "thoughtSignature": f"sig-{c.name}"} for c in reply.tool_calls]
        chunks.append(_chunk(model, calls, reply, final=True))
        frames = [b"data: " + json.dumps(c).encode() + b"\r\n\r\n" for c in chunks]
        return self._stream(frames, behavior, "text/event-stream")


def _parts(reply: Reply) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = []
    if reply.thinking:
        parts.append({"text": reply.thinking, "thought": True})
    if reply.text:
        parts.append({"text": reply.text})
    parts += [{"functionCall": {"name": c.name, "args": c.arguments},
               "thoughtSignature": f"sig-{c.name}"} for c in reply.tool_calls]
    return parts


def _chunk(model: str, parts: list[dict[str, Any]], reply: Reply,
           final: bool = False) -> dict[str, Any]:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}, "index": 0}
    chunk: dict[str, Any] = {"candidates": [candidate], "modelVersion": model,
                             "responseId": "gemini-response-1"}
    if final:
        candidate["finishReason"] = "MAX_TOKENS" if reply.finish == "length" else "STOP"
        chunk["usageMetadata"] = {"promptTokenCount": reply.input_tokens,
                                  "candidatesTokenCount": reply.output_tokens,
                                  "totalTokenCount": reply.input_tokens + reply.output_tokens}
    return chunk
