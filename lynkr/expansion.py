"""Answer the model's ``lynkr_expand`` calls inside the proxy.

Lossy tool-result compression leaves a marker with an id; the model may call ``lynkr_expand``
to read what was omitted. The client never offered that tool, so the proxy answers it itself
and asks the upstream again, splicing the rounds into one answer: the client sees a single
message whose blocks are the visible blocks of every round.

When a round mixes ``lynkr_expand`` with tool calls the client must run, the expand calls are
hidden and the client's calls go out as usual (the conversation stays valid; the model can ask
again next turn).

Never for an upstream that checks preserved thinking (``lynkr_expand`` is not offered there,
see :mod:`lynkr.optimize.request_optimizer`): the client would get [thinking A, thinking B,
text], but B was produced after [A, expand call] and the expand result, a prefix the client
never sends back, so B and every later block would be "bound to a different conversation".
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable

from lynkr.model import Message, Request, Response, ToolUseBlock
from lynkr.optimize.expand_store import EXPAND_TOOL_NAME, ExpandStore, answer_expand
from lynkr.stream_events import (
    BlockStart,
    BlockStop,
    Flush,
    MessageDelta,
    MessageStart,
    MessageStop,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolArgsDelta,
)
from lynkr.streams import ResponseBuilder

MAX_ROUNDS = 3


def _follow_up(request: Request, assistant: Response, store: ExpandStore) -> Request:
    calls = [b for b in assistant.content
             if isinstance(b, ToolUseBlock) and b.name == EXPAND_TOOL_NAME]
    results = [answer_expand(call, store) for call in calls]
    messages = [*request.messages, Message("assistant", list(assistant.content)),
                Message("user", list(results))]
    return dataclasses.replace(request, messages=messages)


def _only_expand_calls(response: Response) -> bool:
    uses = response.tool_uses
    return bool(uses) and all(u.name == EXPAND_TOOL_NAME for u in uses)


async def send_with_expansion(request: Request, response: Response,
                              send: Callable[[Request], Awaitable[Response]],
                              store: ExpandStore) -> Response:
    """Non-streaming: re-ask while the answer only calls ``lynkr_expand``."""
    shown = [b for b in response.content
             if not (isinstance(b, ToolUseBlock) and b.name == EXPAND_TOOL_NAME)]
    rounds = 0
    output_tokens = response.usage.output_tokens
    while _only_expand_calls(response) and rounds < MAX_ROUNDS:
        request = _follow_up(request, response, store)
        response = await send(request)
        output_tokens += response.usage.output_tokens
        shown += [b for b in response.content
                  if not (isinstance(b, ToolUseBlock) and b.name == EXPAND_TOOL_NAME)]
        rounds += 1
    if any(isinstance(b, ToolUseBlock) for b in shown) and response.stop_reason == "tool_use":
        stop = response.stop_reason
    else:
        stop = response.stop_reason if response.stop_reason != "tool_use" else "end_turn"
    usage = dataclasses.replace(response.usage, output_tokens=output_tokens)
    return dataclasses.replace(response, content=shown, stop_reason=stop, usage=usage)


async def stream_with_expansion(request: Request, events: AsyncIterator[StreamEvent],
                                open_stream: Callable[[Request],
                                                      Awaitable[AsyncIterator[StreamEvent]]],
                                store: ExpandStore) -> AsyncIterator[StreamEvent]:
    """Streaming: forward visible blocks as they arrive (re-indexed across rounds), hold back
    ``lynkr_expand`` calls, and when a round ends with only those, answer them and continue
    with the next upstream stream."""
    next_index = 0
    started = False
    output_tokens = 0
    for round_number in range(MAX_ROUNDS + 1):
        builder = ResponseBuilder()
        hidden: set[int] = set()
        mapping: dict[int, int] = {}
        held: MessageDelta | None = None
        async for event in events:
            if isinstance(event, Flush):
                yield event
                continue
            builder.add(event)
            if isinstance(event, MessageStart):
                if not started:
                    started = True
                    yield event
                continue
            if isinstance(event, BlockStart):
                if isinstance(event.block, ToolUseBlock) and event.block.name == EXPAND_TOOL_NAME:
                    hidden.add(event.index)
                    continue
                mapping[event.index] = next_index
                next_index += 1
                yield BlockStart(mapping[event.index], event.block)
                continue
            if isinstance(event, TextDelta | ToolArgsDelta | ThinkingDelta | BlockStop):
                if event.index in hidden:
                    continue
                target = mapping.get(event.index, event.index)
                yield event if target == event.index else dataclasses.replace(event, index=target)
                continue
            if isinstance(event, MessageDelta):
                output_tokens += event.usage.output_tokens
                held = event
                continue
            if isinstance(event, MessageStop):
                break
        response = builder.build()
        if hidden and _only_expand_calls(response) and round_number < MAX_ROUNDS:
            request = _follow_up(request, response, store)
            events = await open_stream(request)
            continue
        stop = held.stop_reason if held else "end_turn"
        if hidden and stop == "tool_use" and not _has_client_calls(response):
            stop = "end_turn"
        # The last round's delta (its cache reads and writes, its input transformations),
        # with every round's output.
        held = held or MessageDelta(stop)
        yield dataclasses.replace(held, stop_reason=stop, usage=dataclasses.replace(
            held.usage, output_tokens=output_tokens))
        yield MessageStop()
        return


def _has_client_calls(response: Response) -> bool:
    return any(u.name != EXPAND_TOOL_NAME for u in response.tool_uses)
