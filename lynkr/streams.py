"""Turn a stream of events into a response and back.

``collect`` is how a non-streaming client is served from a streaming upstream (and how a
streamed answer is stored in the cache); ``replay`` is how a complete response (a cache hit, a
non-streaming upstream) is served to a streaming client. Both are pure over the model types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any, TypeVar

import orjson

from lynkr.errors import UpstreamError
from lynkr.model import (
    Block,
    NativeBlock,
    RedactedThinkingBlock,
    Response,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
    Usage,
)
from lynkr.stream_events import (
    BlockStart,
    BlockStop,
    MessageDelta,
    MessageStart,
    MessageStop,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolArgsDelta,
)


class ResponseBuilder:
    """Folds stream events into a :class:`Response`, one event at a time."""

    def __init__(self) -> None:
        self.id = ""
        self.model = ""
        self.usage = Usage()
        self.stop_reason: str | None = None
        self.stop_sequence: str | None = None
        self.input_transformations: list[dict[str, Any]] | None = None
        self._blocks: dict[int, Block] = {}
        self._args: dict[int, list[str]] = {}
        self._logprobs: dict[str, Any] | None = None
        self.finished = False

    def add(self, event: StreamEvent) -> None:
        match event:
            case MessageStart(id=id_, model=model, usage=usage,
                              input_transformations=transformations):
                self.id, self.model = id_, model
                self.input_transformations = transformations
                self.usage.input_tokens = usage.input_tokens or self.usage.input_tokens
                self.usage.cache_read_input_tokens = usage.cache_read_input_tokens
                self.usage.cache_creation_input_tokens = usage.cache_creation_input_tokens
            case BlockStart(index=i, block=block):
                self._blocks[i] = _copy_empty(block)
                if isinstance(block, ToolUseBlock):
                    self._args[i] = []
            case TextDelta(index=i, text=text, citation=citation, logprobs=logprobs):
                block = self._blocks.setdefault(i, TextBlock(""))
                if isinstance(block, TextBlock):
                    block.text += text
                    if citation is not None:
                        _cite(block, citation)
                if logprobs:
                    self._logprobs = merge_logprobs(self._logprobs, logprobs)
            case ToolArgsDelta(index=i, partial_json=fragment):
                self._args.setdefault(i, []).append(fragment)
            case ThinkingDelta(index=i, thinking=text, signature=signature):
                block = self._blocks.setdefault(i, ThinkingBlock(""))
                if isinstance(block, ThinkingBlock):
                    block.thinking += text
                    if signature:
                        block.signature = signature
            case BlockStop():
                pass
            case MessageDelta(stop_reason=reason, usage=usage, stop_sequence=seq,
                              input_transformations=transformations):
                self.stop_reason = reason or self.stop_reason
                self.stop_sequence = seq or self.stop_sequence
                if transformations is not None:  # sent again after a fallback: replaces
                    self.input_transformations = transformations
                # Anthropic reports cache use at message_start; OpenAI-style upstreams only
                # know usage at the end, so any non-zero figure here wins.
                for name in ("input_tokens", "output_tokens", "cache_read_input_tokens",
                             "cache_creation_input_tokens"):
                    if getattr(usage, name):
                        setattr(self.usage, name, getattr(usage, name))
            case MessageStop():
                self.finished = True

    def build(self) -> Response:
        content: list[Block] = []
        for index in sorted(self._blocks):
            block = self._blocks[index]
            if isinstance(block, ToolUseBlock):
                block.input = parse_tool_arguments("".join(self._args.get(index, [])))
            content.append(block)
        return Response(
            id=self.id,
            model=self.model,
            content=content,
            stop_reason=self.stop_reason,  # type: ignore[arg-type]
            stop_sequence=self.stop_sequence,
            usage=self.usage,
            input_transformations=self.input_transformations,
            logprobs=self._logprobs,
        )


def merge_logprobs(total: dict[str, Any] | None, part: dict[str, Any]) -> dict[str, Any]:
    """OpenAI logprobs of a stream so far, with one more chunk's: the token lists
    (``content``, ``refusal``) are concatenated, anything else keeps its first value. Neither
    argument is changed."""
    merged = dict(total or {})
    for key, value in part.items():
        before = merged.get(key)
        if isinstance(value, list):
            merged[key] = (before if isinstance(before, list) else []) + value
        elif before is None:
            merged[key] = value
    return merged


def parse_tool_arguments(raw: str) -> dict:
    """Parse a tool call's accumulated JSON arguments; empty means no arguments.

    Models occasionally emit invalid JSON; we keep it under ``_raw`` rather than failing the
    whole answer, so the client sees what the model said.
    """
    if not raw.strip():
        return {}
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return {"_raw": raw}
    return value if isinstance(value, dict) else {"_value": value}


def tool_arguments_text(arguments: dict) -> str:
    """The JSON text of a tool call's arguments, the inverse of :func:`parse_tool_arguments`:
    arguments kept under ``_raw`` (a call cut off by ``max_tokens``) go back as the model wrote
    them, not wrapped in an object it never wrote."""
    if len(arguments) == 1:
        if isinstance(raw := arguments.get("_raw"), str):
            return raw
        if "_value" in arguments:
            return orjson.dumps(arguments["_value"]).decode()
    return orjson.dumps(arguments).decode()


async def collect(events: AsyncIterator[StreamEvent]) -> Response:
    """Consume a whole event stream into one response.

    A stream that ends without ``message_stop`` was cut: that is an upstream error, never a
    silently truncated success.
    """
    builder = ResponseBuilder()
    async for event in events:
        builder.add(event)
    if not builder.finished:
        raise UpstreamError("upstream stream ended before the message was complete", status=502)
    return builder.build()


def replay(response: Response, *, chunk_size: int = 0) -> Iterator[StreamEvent]:
    """Yield the events that would have streamed ``response``.

    ``chunk_size`` > 0 splits text into pieces of that many characters (a cached answer then
    streams like a live one); 0 sends each block's text in one delta.
    """
    yield MessageStart(
        id=response.id,
        model=response.model,
        usage=Usage(
            input_tokens=response.usage.input_tokens,
            cache_read_input_tokens=response.usage.cache_read_input_tokens,
            cache_creation_input_tokens=response.usage.cache_creation_input_tokens,
        ),
        input_transformations=response.input_transformations,
    )
    # The answer's logprobs ride with its first text (a client collecting the stream gets
    # them all back; see merge_logprobs).
    logprobs = response.logprobs
    for index, block in enumerate(response.content):
        yield from _replay_block(index, block, chunk_size,
                                 logprobs if isinstance(block, TextBlock) else None)
        if isinstance(block, TextBlock):
            logprobs = None
    yield MessageDelta(
        stop_reason=response.stop_reason,
        usage=Usage(input_tokens=response.usage.input_tokens,
                    output_tokens=response.usage.output_tokens),
        stop_sequence=response.stop_sequence,
    )
    yield MessageStop()


async def areplay(response: Response, *, chunk_size: int = 0) -> AsyncIterator[StreamEvent]:
    """Async form of :func:`replay`, for code paths that expect an event stream."""
    for event in replay(response, chunk_size=chunk_size):
        yield event


def _replay_block(index: int, block: Block, chunk_size: int,
                  logprobs: dict[str, Any] | None = None) -> Iterable[StreamEvent]:
    if isinstance(block, TextBlock):
        citations = block.extra.get("citations")
        if not isinstance(citations, list):
            yield BlockStart(index, TextBlock("", extra=dict(block.extra)))
        else:  # as the API streams them: opened with none, each in its own delta
            yield BlockStart(index, TextBlock("", extra={**block.extra, "citations": []}))
            for citation in citations:
                yield TextDelta(index, "", citation=citation)
        for piece in _chunks(block.text, chunk_size):
            yield TextDelta(index, piece, logprobs)
            logprobs = None
    elif isinstance(block, ToolUseBlock):
        yield BlockStart(index, ToolUseBlock(block.id, block.name, {}))
        yield ToolArgsDelta(index, orjson.dumps(block.input).decode())
    elif isinstance(block, ThinkingBlock):
        yield BlockStart(index, ThinkingBlock(""))
        yield ThinkingDelta(index, block.thinking, block.signature)
    elif isinstance(block, RedactedThinkingBlock | NativeBlock):  # whole, as streamed
        yield BlockStart(index, block)
    else:  # images and tool results never appear in assistant output
        return
    yield BlockStop(index)


def _chunks(text: str, size: int) -> Iterable[str]:
    if size <= 0 or len(text) <= size:
        yield text
        return
    for start in range(0, len(text), size):
        yield text[start : start + size]


def _copy_empty(block: Block) -> Block:
    if isinstance(block, TextBlock):  # its own citations list, which deltas extend
        return TextBlock(block.text, extra={k: list(v) if isinstance(v, list) else v
                                            for k, v in block.extra.items()})
    if isinstance(block, ToolUseBlock):
        return ToolUseBlock(block.id, block.name, {})
    if isinstance(block, ThinkingBlock):
        return ThinkingBlock(block.thinking, block.signature)
    return block


def _cite(block: TextBlock, citation: dict[str, Any]) -> None:
    """Add a streamed citation to the block's ``citations``, as the SDKs fold them."""
    citations = block.extra.get("citations")
    if isinstance(citations, list):
        citations.append(citation)
    else:
        block.extra["citations"] = [citation]


T = TypeVar("T")


async def prepend(first: T | None, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    """``first`` (unless None: nothing was read) and then ``rest``, which is closed when this
    is: the stream a caller gets back after it read the first item to look at it."""
    try:
        if first is not None:
            yield first
        async for item in rest:
            yield item
    finally:
        close = getattr(rest, "aclose", None)
        if close is not None:
            await close()
