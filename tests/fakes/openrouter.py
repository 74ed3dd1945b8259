"""A fake OpenRouter: OpenAI chat completions under ``/api/v1`` (and ``/v1``, to stand in for
OpenAI too), recording each body, answering with a tool call or text, whole or streamed, and
reporting prompt-cache use as OpenRouter documents it: ``usage.prompt_tokens_details`` with
``cached_tokens`` (read) and ``cache_write_tokens`` (written), both counted in
``prompt_tokens``. Rendered by hand, independently of lynkr's codecs."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route


@dataclass
class Answer:
    text: str = "Done."
    call: str | None = None  # the id of a Bash tool call to make instead of answering
    prompt_tokens: int = 12_000
    cached_tokens: int = 0
    cache_write_tokens: int = 0


@dataclass
class FakeOpenRouter:
    script: deque[Answer] = field(default_factory=deque)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""

    def __post_init__(self) -> None:
        self.app = Starlette(routes=[
            Route("/api/v1/chat/completions", self._chat, methods=["POST"]),
            Route("/v1/chat/completions", self._chat, methods=["POST"])])

    def queue(self, *answers: Answer) -> None:
        self.script.extend(answers)

    async def _chat(self, request: Request) -> Response:
        body = json.loads(await request.body())
        self.bodies.append(body)
        answer = self.script.popleft() if self.script else Answer()
        usage = {"prompt_tokens": answer.prompt_tokens, "completion_tokens": 20,
                 "total_tokens": answer.prompt_tokens + 20,
                 "prompt_tokens_details": {"cached_tokens": answer.cached_tokens,
                                           "cache_write_tokens": answer.cache_write_tokens}}
        message: dict[str, Any] = {"role": "assistant", "content": answer.text}
        if answer.call:
            message = {"role": "assistant", "content": None, "tool_calls": [
                {"id": answer.call, "type": "function",
                 "function": {"name": "Bash", "arguments": '{"command": "pytest"}'}}]}
        finish = "tool_calls" if answer.call else "stop"
        head = {"id": "gen-1", "created": 1, "model": body["model"]}
        if not body.get("stream"):
            return JSONResponse({**head, "object": "chat.completion", "usage": usage,
                                 "choices": [{"index": 0, "message": message,
                                              "finish_reason": finish}]})
        if answer.call:
            message["tool_calls"][0]["index"] = 0
        chunks = [{"choices": [{"index": 0, "delta": message, "finish_reason": None}]},
                  {"choices": [{"index": 0, "delta": {}, "finish_reason": finish}]},
                  {"choices": [], "usage": usage}]
        return StreamingResponse(_frames(head, chunks), media_type="text/event-stream")


async def _frames(head: dict[str, Any], chunks: list[dict[str, Any]]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield f"data: {json.dumps({**head, 'object': 'chat.completion.chunk', **chunk})}\n\n" \
            .encode()
    yield b"data: [DONE]\n\n"
