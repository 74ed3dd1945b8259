"""The answer lynkr splices from ``lynkr_expand`` rounds reports the usage the client would
see from one answer: the last round's input (with its cache reads and writes, which Claude
Code counts toward context and cost) and every round's output."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from lynkr.expansion import send_with_expansion, stream_with_expansion
from lynkr.model import Message, Request, Response, TextBlock, ToolUseBlock, Usage
from lynkr.optimize.expand_store import EXPAND_TOOL_NAME, ExpandStore
from lynkr.stream_events import (
    BlockStart,
    BlockStop,
    MessageDelta,
    MessageStart,
    MessageStop,
    StreamEvent,
    TextDelta,
)

ASK = Request(model="m", messages=[Message("user", [TextBlock("why?")])])
CACHED = Usage(input_tokens=200, output_tokens=5, cache_read_input_tokens=800,
               cache_creation_input_tokens=40)
EXPAND = ToolUseBlock("call_1", EXPAND_TOOL_NAME, {"id": "nope"})


async def answer(usage: Usage, transformations: list[dict[str, str]] | None = None,
                 ) -> AsyncIterator[StreamEvent]:
    yield MessageStart("msg_1", "m")
    yield BlockStart(0, TextBlock(""))
    yield TextDelta(0, "because")
    yield BlockStop(0)
    yield MessageDelta("end_turn", usage, input_transformations=transformations)
    yield MessageStop()


async def expand_then(usage: Usage) -> AsyncIterator[StreamEvent]:
    yield MessageStart("msg_0", "m")
    yield BlockStart(0, EXPAND)
    yield BlockStop(0)
    yield MessageDelta("tool_use", Usage(input_tokens=150, output_tokens=3))
    yield MessageStop()


def final_delta(first: AsyncIterator[StreamEvent], then: Usage | None = None,
                ) -> MessageDelta:
    async def reopen(_request: Request) -> AsyncIterator[StreamEvent]:
        return answer(then or Usage())

    async def run() -> list[StreamEvent]:
        return [e async for e in stream_with_expansion(ASK, first, reopen, ExpandStore())]

    return next(e for e in asyncio.run(run()) if isinstance(e, MessageDelta))


def test_a_streamed_answer_keeps_its_cache_reads_and_writes() -> None:
    assert final_delta(answer(CACHED)).usage == CACHED


def test_a_streamed_answer_keeps_the_input_transformations_of_its_last_delta() -> None:
    dropped = [{"type": "thinking_dropped"}]
    assert final_delta(answer(CACHED, dropped)).input_transformations == dropped


def test_expand_rounds_add_their_output_to_the_last_rounds_usage() -> None:
    usage = final_delta(expand_then(Usage()), then=CACHED).usage
    assert usage == Usage(input_tokens=200, output_tokens=3 + 5, cache_read_input_tokens=800,
                          cache_creation_input_tokens=40)


def test_a_whole_answer_after_expand_rounds_counts_every_rounds_output() -> None:
    first = Response("msg_0", "m", [EXPAND], "tool_use", usage=Usage(150, 3))

    async def send(_request: Request) -> Response:
        return Response("msg_1", "m", [TextBlock("because")], usage=CACHED)

    response = asyncio.run(send_with_expansion(ASK, first, send, ExpandStore()))
    assert response.usage == Usage(200, 8, 800, 40) and response.text == "because"
