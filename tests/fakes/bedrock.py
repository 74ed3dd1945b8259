"""A fake Amazon Bedrock runtime: ``/model/{id}/converse`` (JSON) and ``/converse-stream``
(``application/vnd.amazon.eventstream`` frames), written from the AWS docs independently of
lynkr's decoder. Scripted with the behaviours of :mod:`tests.fakes.upstream`, plus
:class:`BadCRC` (a frame whose message CRC is wrong) and :class:`StreamException` (an
``exception`` message such as ``throttlingException`` in the middle of the stream).
"""

from __future__ import annotations

import json
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.upstream import Cut, Fail, FakeUpstream, Garbage, Received, Reply, _pieces


@dataclass
class BadCRC:
    reply: Reply = field(default_factory=Reply)
    after: int = 2  # frames sent intact before the corrupt one


@dataclass
class StreamException:
    kind: str = "throttlingException"
    message: str = "Too many requests, please wait before trying again."
    after: int = 2


def frame(headers: dict[str, str], payload: bytes) -> bytes:
    """One event stream message: prelude, prelude CRC, string headers, payload, message CRC."""
    raw_headers = b""
    for name, value in headers.items():
        encoded = value.encode()
        raw_headers += (bytes([len(name)]) + name.encode() + b"\x07"
                        + struct.pack(">H", len(encoded)) + encoded)
    total = 12 + len(raw_headers) + len(payload) + 4
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude += struct.pack(">I", zlib.crc32(prelude))
    message = prelude + raw_headers + payload
    return message + struct.pack(">I", zlib.crc32(message))


def event(kind: str, payload: dict[str, Any]) -> bytes:
    return frame({":event-type": kind, ":content-type": "application/json",
                  ":message-type": "event"}, json.dumps(payload).encode())


class FakeBedrock(FakeUpstream):
    def __init__(self) -> None:
        super().__init__()
        self.raw_paths: list[str] = []
        self.raw_bodies: list[bytes] = []
        self.app = Starlette(routes=[
            Route("/model/{model_id:path}/converse", self._converse, methods=["POST"]),
            Route("/model/{model_id:path}/converse-stream", self._converse_stream,
                  methods=["POST"]),
        ])

    async def _record(self, request: Request) -> tuple[Any, dict[str, Any]]:
        self.raw_paths.append(request.scope["raw_path"].decode())
        self.raw_bodies.append(await request.body())
        return await self._next(request)

    async def _converse(self, request: Request) -> Response:
        behavior, body = await self._record(request)
        if isinstance(behavior, Fail):
            return JSONResponse({"message": behavior.message}, status_code=behavior.status,
                                headers=behavior.headers)
        assert isinstance(behavior, Reply)
        content: list[dict[str, Any]] = []
        if behavior.thinking:
            content.append({"reasoningContent": {"reasoningText": {
                "text": behavior.thinking, "signature": "sig"}}})
        if behavior.text:
            content.append({"text": behavior.text})
        content += [{"toolUse": {"toolUseId": c.id, "name": c.name, "input": c.arguments}}
                    for c in behavior.tool_calls]
        return JSONResponse({
            "output": {"message": {"role": "assistant", "content": content}},
            "stopReason": _stop(behavior),
            "usage": {"inputTokens": behavior.input_tokens, "outputTokens": behavior.output_tokens,
                      "totalTokens": behavior.input_tokens + behavior.output_tokens},
            "metrics": {"latencyMs": 12}})

    async def _converse_stream(self, request: Request) -> Response:
        behavior, _ = await self._record(request)
        if isinstance(behavior, Fail):
            return JSONResponse({"message": behavior.message}, status_code=behavior.status,
                                headers=behavior.headers)
        if isinstance(behavior, Garbage):
            return Response(b"\x00\x00\x00\x10 definitely not an event stream",
                            media_type="application/vnd.amazon.eventstream")
        if isinstance(behavior, StreamException):
            frames = _events(Reply())[: behavior.after]
            frames.append(frame({":exception-type": behavior.kind, ":message-type": "exception",
                                 ":content-type": "application/json"},
                                json.dumps({"message": behavior.message}).encode()))
            return Response(b"".join(frames), media_type="application/vnd.amazon.eventstream")
        if isinstance(behavior, BadCRC):
            frames = _events(behavior.reply)
            bad = bytearray(frames[behavior.after])
            bad[-1] ^= 0xFF
            data = b"".join(frames[: behavior.after]) + bytes(bad)
            return Response(data, media_type="application/vnd.amazon.eventstream")
        reply = behavior.reply if isinstance(behavior, Cut) else behavior
        assert isinstance(reply, Reply)
        frames = _events(reply)
        if isinstance(behavior, Cut):  # cut in the middle of a frame, as a dropped link does
            data = b"".join(frames[: behavior.after]) + frames[behavior.after][:7]
            return Response(data, media_type="application/vnd.amazon.eventstream")
        return self._stream(frames, behavior, "application/vnd.amazon.eventstream")


def _stop(reply: Reply) -> str:
    if reply.tool_calls:
        return "tool_use"
    return {"length": "max_tokens"}.get(reply.finish, "end_turn")


def _events(reply: Reply) -> list[bytes]:
    frames = [event("messageStart", {"role": "assistant"})]
    index = 0
    if reply.thinking:
        frames.append(event("contentBlockDelta", {"contentBlockIndex": index, "delta": {
            "reasoningContent": {"text": reply.thinking}}}))
        frames.append(event("contentBlockDelta", {"contentBlockIndex": index, "delta": {
            "reasoningContent": {"signature": "sig"}}}))
        frames.append(event("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    if reply.text:
        for piece in _pieces(reply.text, reply.chunk_size):
            frames.append(event("contentBlockDelta", {"contentBlockIndex": index,
                                                      "delta": {"text": piece}}))
        frames.append(event("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    for call in reply.tool_calls:
        frames.append(event("contentBlockStart", {"contentBlockIndex": index, "start": {
            "toolUse": {"toolUseId": call.id, "name": call.name}}}))
        for piece in _pieces(json.dumps(call.arguments), 5):
            frames.append(event("contentBlockDelta", {"contentBlockIndex": index,
                                                      "delta": {"toolUse": {"input": piece}}}))
        frames.append(event("contentBlockStop", {"contentBlockIndex": index}))
        index += 1
    frames.append(event("messageStop", {"stopReason": _stop(reply)}))
    frames.append(event("metadata", {
        "usage": {"inputTokens": reply.input_tokens, "outputTokens": reply.output_tokens,
                  "totalTokens": reply.input_tokens + reply.output_tokens},
        "metrics": {"latencyMs": 12}}))
    return frames


__all__ = ["BadCRC", "FakeBedrock", "Received", "StreamException", "event", "frame"]
