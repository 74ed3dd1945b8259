"""OpenAI Responses streaming: internal stream events -> the Responses SSE event sequence
(``response.created`` ... ``response.completed``), re-exported by ``openai_responses``."""

from __future__ import annotations

from typing import Any

import orjson

from lynkr.errors import CONTEXT_LENGTH_EXCEEDED, LynkrError
from lynkr.model import (
    Block,
    NativeBlock,
    Request,
    TextBlock,
    ThinkingBlock,
    ToolUseBlock,
)
from lynkr.stream_events import (
    BlockStart,
    BlockStop,
    MessageStop,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    ToolArgsDelta,
)
from lynkr.streams import ResponseBuilder, parse_tool_arguments, tool_arguments_text
from lynkr.wire.openai_responses_compaction import (
    NO_SUMMARY,
    compaction_item,
    compaction_item_id,
    is_compaction,
    summary_text,
)
from lynkr.wire.openai_responses_reasoning import wants_summary
from lynkr.wire.openai_responses_render import (
    call_form,
    call_kind,
    custom_tool_input,
    item_id,
    output_item,
    render_response,
    response_shell,
    text_part,
)
from lynkr.wire.openai_responses_web_search import (
    is_search_call,
    offers_web_search,
    search_item,
    search_result_of,
    url_citations,
)


class _OpenItem:
    __slots__ = ("output_index", "item_id", "start", "parts", "signature", "call_kind",
                 "citations")

    def __init__(self, output_index: int, item_id: str, start: Block,
                 request: Request | None) -> None:
        self.output_index = output_index
        self.item_id = item_id
        self.start = start
        self.parts: list[str] = []
        self.signature: str | None = None
        self.citations: list[dict[str, Any]] = []  # a text block's, as streamed
        # function | custom | tool_search, for a tool call: which events its input streams as
        self.call_kind = (call_kind(start.name, request) if isinstance(start, ToolUseBlock)
                          else "")


class StreamEncoder:
    """Internal stream events -> Responses API SSE frames, one event at a time.

    Emits ``response.created`` and ``response.in_progress`` first, then per content block an
    output item with its deltas, and finally ``response.completed`` (``response.incomplete``
    when the answer hit the token limit) carrying the object :func:`render_response` gives for
    the accumulated answer. ``sequence_number`` increases by one per frame.
    """

    def __init__(self, response_id: str, model: str, created_at: int,
                 request: Request | None) -> None:
        self.response_id = response_id
        self.model = model
        self.created_at = created_at
        self.request = request
        self._seq = 0
        self._builder = ResponseBuilder()
        self._started = False
        self._finished = False
        self._open: dict[int, _OpenItem] = {}
        # Web searches the upstream runs, by call id, open until their result arrives.
        self._searches: dict[str, _OpenItem] = {}
        self._searched = offers_web_search(request)
        self._done_items: list[dict[str, Any]] = []
        # A compaction's answer is one item, sent whole once the summary is written.
        self._compaction = is_compaction(request)
        self._summary = wants_summary(request)

    def encode(self, event: StreamEvent) -> list[bytes]:
        """The SSE frames for one event (possibly none)."""
        if self._finished:
            return []
        frames = [] if self._started else self._start()
        self._builder.add(event)
        if self._compaction:
            return frames + self._compaction_frames(event)
        match event:
            case BlockStart(index=index, block=block):
                frames += self._open_item(index, block)
            case TextDelta(index=index, citation=dict() as citation) if index in self._open:
                self._open[index].citations.append(citation)
            case TextDelta(index=index, text=text) if text and index in self._open:
                frames.append(self._text_delta(self._open[index], text))
            case ToolArgsDelta(index=index, partial_json=fragment) if index in self._open:
                frames += self._args_delta(self._open[index], fragment)
            case ThinkingDelta(index=index, thinking=text, signature=signature) \
                    if index in self._open:
                frames += self._thinking_delta(self._open[index], text, signature)
            case BlockStop(index=index) if index in self._open:
                frames += self._close_item(index)
            case MessageStop():
                for index in sorted(self._open):
                    frames += self._close_item(index)
                for call in list(self._searches):
                    frames += self._search_done(call, None)
                frames.append(self._finish())
        return frames

    def keepalive(self) -> bytes:
        """A ``keepalive`` event, as OpenAI sends in a quiet stream: Codex times a stream out
        on its events and ignores SSE comments, so a comment kept nothing alive. It takes
        its place in the sequence like any event; a stream not started yet starts with it."""
        if self._finished:
            return b": keep-alive\n\n"
        frames = [] if self._started else self._start()
        return b"".join([*frames, self._frame("keepalive")])

    def encode_error(self, err: Exception) -> bytes:
        """A ``response.failed`` frame (preceded by ``response.created`` if nothing was sent
        yet) ending the stream with the error where Codex and the SDK look for it."""
        frames = [] if self._started else self._start()
        body = self._shell("failed")
        body["output"] = list(self._done_items)
        body["error"] = {"code": _error_code(err), "message": _error_message(err)}
        frames.append(self._frame("response.failed", response=body))
        self._finished = True
        return b"".join(frames)

    def _start(self) -> list[bytes]:
        self._started = True
        frames = [self._frame("response.created", response=self._shell("in_progress")),
                  self._frame("response.in_progress", response=self._shell("in_progress"))]
        if self._compaction:
            frames.append(self._frame("response.compaction.compacting", output_index=0,
                                      item_id=compaction_item_id(self.response_id)))
        return frames

    def _compaction_frames(self, event: StreamEvent) -> list[bytes]:
        if not isinstance(event, MessageStop):
            return []
        summary = summary_text(self._builder.build())
        if not summary:
            return [self.encode_error(LynkrError(NO_SUMMARY, status=502, kind="api_error"))]
        item = compaction_item(self.response_id, summary)
        self._done_items.append(item)
        return [self._frame("response.output_item.added", output_index=0, item=item),
                self._frame("response.output_item.done", output_index=0, item=item),
                self._finish()]

    def _shell(self, status: str) -> dict[str, Any]:
        return response_shell(self.response_id, self._builder.model or self.model,
                               self.created_at, self.request, status=status)

    def _open_item(self, index: int, block: Block) -> list[bytes]:
        output_index = len(self._done_items) + len(self._open) + len(self._searches)
        if self._searched and isinstance(block, NativeBlock):
            return self._search_frames(output_index, block)
        item = _OpenItem(output_index, item_id(self.response_id, output_index, block), block,
                         self.request)
        added = output_item(block, item.item_id, self.request, status="in_progress")
        if added is None:
            # No Responses item for it (an Anthropic server tool's call or result): left out
            # of the stream, as render_response leaves it out of a whole answer.
            return []
        self._open[index] = item
        frames = [self._frame("response.output_item.added", output_index=output_index,
                              item=added)]
        if isinstance(block, TextBlock):
            frames.append(self._frame("response.content_part.added", **self._where(item),
                                      content_index=0, part=text_part("")))
        return frames

    def _search_frames(self, output_index: int, block: NativeBlock) -> list[bytes]:
        """A web search opens with its call (the upstream runs it then) and is done with its
        result; other server blocks have no item."""
        called = search_result_of(block)
        if called is not None:
            return self._search_done(called, block.raw) if called in self._searches else []
        if not is_search_call(block):
            return []
        item = _OpenItem(output_index, item_id(self.response_id, output_index, block), block,
                         self.request)
        self._searches[str(block.raw.get("id"))] = item
        where = self._where(item)
        added = search_item(block.raw, None, item.item_id, status="in_progress")
        return [self._frame("response.output_item.added", output_index=output_index,
                            item=added),
                self._frame("response.web_search_call.in_progress", **where),
                self._frame("response.web_search_call.searching", **where)]

    def _search_done(self, called: str, result: dict[str, Any] | None) -> list[bytes]:
        item = self._searches.pop(called)
        assert isinstance(item.start, NativeBlock)
        done = search_item(item.start.raw, result, item.item_id)
        self._done_items.append(done)
        frames = [self._frame("response.web_search_call.completed", **self._where(item))] \
            if done["status"] == "completed" else []
        return frames + [self._frame("response.output_item.done",
                                     output_index=item.output_index, item=done)]

    def _text_delta(self, item: _OpenItem, text: str) -> bytes:
        item.parts.append(text)
        return self._frame("response.output_text.delta", **self._where(item), content_index=0,
                           delta=text, logprobs=[])

    def _thinking_delta(self, item: _OpenItem, text: str, signature: str | None) -> list[bytes]:
        """Thinking text streams as the item's ``reasoning_text`` content (and as its summary
        when one was asked for); its parts open with the first text, so thinking without
        any (a display omitted upstream) has none."""
        item.signature = signature or item.signature
        if not text:
            return []
        where = self._where(item)
        frames: list[bytes] = []
        if not item.parts:
            frames.append(self._frame("response.content_part.added", **where, content_index=0,
                                      part=_reasoning_text("")))
            if self._summary:
                frames.append(self._frame("response.reasoning_summary_part.added", **where,
                                          summary_index=0, part=_summary_text("")))
        item.parts.append(text)
        frames.append(self._frame("response.reasoning_text.delta", **where, content_index=0,
                                  delta=text))
        if self._summary:
            frames.append(self._frame("response.reasoning_summary_text.delta", **where,
                                      summary_index=0, delta=text))
        return frames

    def _thinking_done(self, item: _OpenItem, text: str) -> list[bytes]:
        if not text:
            return []
        where = self._where(item)
        frames = [
            self._frame("response.reasoning_text.done", **where, content_index=0, text=text),
            self._frame("response.content_part.done", **where, content_index=0,
                        part=_reasoning_text(text)),
        ]
        if self._summary:
            frames += [
                self._frame("response.reasoning_summary_text.done", **where, summary_index=0,
                            text=text),
                self._frame("response.reasoning_summary_part.done", **where, summary_index=0,
                            part=_summary_text(text)),
            ]
        return frames

    def _args_delta(self, item: _OpenItem, fragment: str) -> list[bytes]:
        item.parts.append(fragment)
        if not fragment or item.call_kind != "function":
            # A custom tool's input is a string inside JSON, a tool search's arguments an
            # object: both are sent whole at the end.
            return []
        return [self._frame("response.function_call_arguments.delta", **self._where(item),
                            delta=fragment)]

    def _close_item(self, index: int) -> list[bytes]:
        item = self._open.pop(index)
        text = "".join(item.parts)
        start, where = item.start, self._where(item)
        frames: list[bytes] = []
        block: Block = start
        if isinstance(start, TextBlock):
            block = TextBlock(text, extra={"citations": item.citations} if item.citations else {})
            frames += [self._frame("response.output_text.annotation.added", **where,
                                   content_index=0, annotation_index=i, annotation=annotation)
                       for i, annotation in enumerate(url_citations(block))]
            frames += [
                self._frame("response.output_text.done", **where, content_index=0, text=text,
                            logprobs=[]),
                self._frame("response.content_part.done", **where, content_index=0,
                            part=text_part(text, url_citations(block))),
            ]
        elif isinstance(start, ThinkingBlock):
            block = ThinkingBlock(text, item.signature)
            frames += self._thinking_done(item, text)
        elif isinstance(start, ToolUseBlock):
            block = ToolUseBlock(start.id, start.name, parse_tool_arguments(text))
            frames += self._tool_done(item, block)
        done = output_item(block, item.item_id, self.request)
        assert done is not None
        self._done_items.append(done)
        frames.append(self._frame("response.output_item.done", output_index=item.output_index,
                                  item=done))
        return frames

    def _tool_done(self, item: _OpenItem, block: ToolUseBlock) -> list[bytes]:
        where = self._where(item)
        if item.call_kind == "tool_search":
            return []  # its item, done, carries the arguments; there is no event for them
        if item.call_kind == "custom":
            value = custom_tool_input(block.input)
            frames = [self._frame("response.custom_tool_call_input.delta", **where,
                                  delta=value)] if value else []
            return frames + [self._frame("response.custom_tool_call_input.done", **where,
                                         input=value)]
        name = call_form(block.name, self.request).get("name", block.name)
        return [self._frame("response.function_call_arguments.done", **where, name=name,
                            arguments=tool_arguments_text(block.input))]

    def _finish(self) -> bytes:
        self._finished = True
        response = self._builder.build()
        response.model = response.model or self.model
        body = render_response(response, request=self.request, response_id=self.response_id,
                               created_at=self.created_at)
        kind = "response.incomplete" if body["status"] == "incomplete" else "response.completed"
        return self._frame(kind, response=body)

    @staticmethod
    def _where(item: _OpenItem) -> dict[str, Any]:
        return {"item_id": item.item_id, "output_index": item.output_index}

    def _frame(self, kind: str, **fields: Any) -> bytes:
        payload = {"type": kind, "sequence_number": self._seq, **fields}
        self._seq += 1
        return b"event: " + kind.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"


def _reasoning_text(text: str) -> dict[str, Any]:
    return {"type": "reasoning_text", "text": text}


def _summary_text(text: str) -> dict[str, Any]:
    return {"type": "summary_text", "text": text}


def _error_code(err: Exception) -> str:
    if getattr(err, "code", None) == CONTEXT_LENGTH_EXCEEDED:
        return CONTEXT_LENGTH_EXCEEDED  # Codex compacts its history on this code
    kind = getattr(err, "kind", "api_error")
    if kind == "rate_limit_error" or getattr(err, "status", 0) == 429:
        return "rate_limit_exceeded"
    return "invalid_prompt" if kind == "invalid_request_error" else "server_error"


def _error_message(err: Exception) -> str:
    message = err.message if isinstance(err, LynkrError) else str(err) or type(err).__name__
    retry_after = getattr(err, "retry_after", None)
    if retry_after:
        # Codex parses this phrase to decide how long to back off before retrying.
        message = f"{message.rstrip('.')}. Please try again in {retry_after:g}s."
    return message
