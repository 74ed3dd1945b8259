"""An OpenAI-compatible upstream that sends no ``id`` on its answers (or an empty one, or one
for all of them) still gives each answer an id of its own through lynkr: Claude Code merges
assistant turns that share an id, so two tool-calling answers both with ``""`` were read back
as one turn, its calls before their results (the model "saw" itself editing before it read)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tests.fakes.server import serving
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

READ = {"name": "Read", "description": "Read a file.",
        "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"}}}}
EDIT = {"name": "Edit", "description": "Edit a file.",
        "input_schema": {"type": "object", "properties": {"file_path": {"type": "string"},
                                                          "old": {"type": "string"},
                                                          "new": {"type": "string"}}}}
ASK = {"role": "user", "content": "Fix the typo in app.py"}


class IdlessUpstream(FakeUpstream):
    """The fake OpenAI upstream, its answers' top-level ``id`` left out (``missing``), empty
    (``empty``) or one for every answer (``reused``: ``chatcmpl-fake``, the fake's own), whole
    and in every streamed chunk, as some compatible servers do."""

    def __init__(self, how: str) -> None:
        super().__init__()
        self.how = how

    def _strip(self, obj: dict[str, Any]) -> dict[str, Any]:
        if self.how == "reused":
            return obj
        if self.how == "missing":
            obj.pop("id", None)
        else:
            obj["id"] = ""
        return obj

    async def _openai(self, request: Request) -> Response:
        response = await super()._openai(request)
        if isinstance(response, StreamingResponse):
            frames = response.body_iterator

            async def stripped() -> AsyncIterator[bytes]:
                async for frame in frames:
                    raw = frame if isinstance(frame, bytes) else str(frame).encode()
                    if raw.startswith(b"data: {"):
                        raw = b"data: " + json.dumps(self._strip(json.loads(raw[6:]))).encode() \
                            + b"\n\n"
                    yield raw

            return StreamingResponse(stripped(), media_type="text/event-stream")
        if response.status_code == 200:
            return JSONResponse(self._strip(json.loads(bytes(response.body))))
        return response


@pytest.fixture(params=["missing", "empty", "reused"])
def idless(request: pytest.FixtureRequest) -> Iterator[IdlessUpstream]:
    with serving(IdlessUpstream(request.param)) as fake:
        yield fake


def read_then_edit(claude: anthropic.Anthropic, streamed: bool) -> list[anthropic.types.Message]:
    """Claude Code's two tool-calling turns: Read, then (with its result) Edit."""
    def ask(messages: list[Any]) -> anthropic.types.Message:
        if streamed:
            with claude.messages.stream(model="m", max_tokens=500, tools=[READ, EDIT],
                                        messages=messages) as stream:
                return stream.get_final_message()
        return claude.messages.create(model="m", max_tokens=500, tools=[READ, EDIT],
                                      messages=messages)

    first = ask([ASK])
    read = first.content[-1]
    assert read.type == "tool_use" and read.name == "Read"
    second = ask([ASK, {"role": "assistant", "content": first.content},
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": read.id,
                                                "content": "print('helo')"}]}])
    assert second.content[-1].type == "tool_use" and second.content[-1].name == "Edit"
    return [first, second]


@pytest.mark.parametrize("streamed", [True, False], ids=["streamed", "whole"])
def test_two_answers_without_an_upstream_id_of_their_own_get_two_messages_ids(
        idless: IdlessUpstream, streamed: bool, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    idless.queue(
        Reply(text="", tool_calls=[ToolCall("Read", {"file_path": "app.py"}, "call_read")]),
        Reply(text="", tool_calls=[ToolCall("Edit", {"file_path": "app.py", "old": "helo",
                                                     "new": "hello"}, "call_edit")]))
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk",
                       OPENAI_ENDPOINT=f"{idless.url}/v1", OPENAI_MODEL="gpt-fake") as url:
        first, second = read_then_edit(anthropic.Anthropic(base_url=url, api_key="x",
                                                           max_retries=0), streamed)
    assert first.id.startswith("msg_") and second.id.startswith("msg_")
    assert first.id != second.id

