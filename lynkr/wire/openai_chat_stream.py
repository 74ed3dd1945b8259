"""Streaming OpenAI Chat Completions, internal events -> ``chat.completion.chunk`` objects,
and what both directions share (usage, ids, finish reasons); the other direction is
:mod:`lynkr.wire.openai_chat_stream_decoder`. Import from :mod:`lynkr.wire.openai_chat`,
which re-exports both.

The encoder runs once per streamed token, so it writes each chunk as a precomputed byte prefix
plus one ``orjson.dumps`` of the delta.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import orjson

from lynkr.errors import LynkrError
from lynkr.model import (
    RedactedThinkingBlock,
    StopReason,
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
from lynkr.wire.errors import openai_error_body
from lynkr.wire.openai_chat_reasoning import (
    PREFIX,
    block_detail,
)

FINISH_REASONS: dict[str | None, str] = {
    "end_turn": "stop", "stop_sequence": "stop", "pause_turn": "stop", None: "stop",
    "tool_use": "tool_calls", "max_tokens": "length", "refusal": "content_filter",
    "model_context_window_exceeded": "length",
}
STOP_REASONS: dict[str, StopReason] = {
    "stop": "end_turn", "tool_calls": "tool_use", "function_call": "tool_use",
    "length": "max_tokens", "content_filter": "refusal",
}
_DONE = b"data: [DONE]\n\n"


def new_call_id() -> str:
    """An id for a tool call whose upstream gave none (some local servers omit it)."""
    return "call_" + uuid.uuid4().hex[:24]


def new_message_id() -> str:
    """An id for an answer whose upstream gave none or an empty one, as the Ollama, Bedrock
    and Gemini codecs make: Claude Code merges assistant turns that share an id, so two
    tool-calling answers without one read back as a single turn, its calls before its
    results."""
    return "msg_" + uuid.uuid4().hex[:24]


def render_usage(usage: Usage) -> dict[str, Any]:
    """OpenAI usage: ``prompt_tokens`` counts cached input too, ``cached_tokens`` says how much."""
    prompt = usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    return {
        "prompt_tokens": prompt,
        "completion_tokens": usage.output_tokens,
        "total_tokens": prompt + usage.output_tokens,
        "prompt_tokens_details": {"cached_tokens": usage.cache_read_input_tokens},
    }


def parse_usage(raw: dict[str, Any]) -> Usage:
    """Inverse of :func:`render_usage`; DeepSeek's ``prompt_cache_hit_tokens`` is read too,
    and OpenRouter's ``cache_write_tokens`` (what a Claude breakpoint wrote, billed at 1.25x),
    both counted in ``prompt_tokens`` as ``cached_tokens`` is."""
    prompt = _int(raw.get("prompt_tokens"))
    details = raw.get("prompt_tokens_details")
    details = details if isinstance(details, dict) else {}
    cached = _int(details.get("cached_tokens")) or _int(raw.get("prompt_cache_hit_tokens"))
    written = _int(details.get("cache_write_tokens"))
    return Usage(input_tokens=max(prompt - cached - written, 0),
                 output_tokens=_int(raw.get("completion_tokens")),
                 cache_read_input_tokens=cached, cache_creation_input_tokens=written)


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


class StreamEncoder:
    """Internal events -> ``data: {chat.completion.chunk}`` frames for an OpenAI client.

    Tool calls are numbered 0, 1, ... in the order they start (OpenAI's ``tool_calls[].index``),
    independent of block indices, since text and thinking blocks have no tool index.
    ``legacy_functions`` streams the first call as ``delta.function_call`` instead (a client
    that offered legacy ``functions``); later calls have no place in that shape and are left
    out.
    """

    def __init__(self, model: str, id: str, include_usage: bool, *,
                 created: int | None = None, legacy_functions: bool = False) -> None:
        self.include_usage = include_usage
        self.legacy_functions = legacy_functions
        head = orjson.dumps({"id": id, "object": "chat.completion.chunk",
                             "created": int(time.time()) if created is None else created,
                             "model": model})[:-1]
        self._prefix = b"data: " + head + b',"choices":[{"index":0,"delta":'
        self._usage_prefix = b"data: " + head + b',"choices":[],"usage":'
        self._tool_index: dict[int, int] = {}
        self._usage = Usage()
        # Thinking so far per block: an OpenRouter entry's signature comes last, and the entry
        # goes to the client whole then (``reasoning_details``), its text included.
        self._thoughts: dict[int, list[str]] = {}

    def encode(self, event: StreamEvent) -> list[bytes]:
        """The frames for one event (often none: block starts and stops have no chunk)."""
        match event:
            case TextDelta(text=text, logprobs=logprobs):
                if not text:
                    return []
                delta = b'{"content":' + orjson.dumps(text) + b"}"
                if logprobs is not None:
                    delta += b',"logprobs":' + orjson.dumps(logprobs)
                return [self._chunk(delta)]
            case ToolArgsDelta(index=index, partial_json=fragment):
                tool = self._tool_index.get(index)
                if tool is None or not fragment:
                    return []
                if self.legacy_functions:
                    return [self._chunk(orjson.dumps({"function_call": {"arguments": fragment}}))]
                return [self._chunk(orjson.dumps({"tool_calls": [
                    {"index": tool, "function": {"arguments": fragment}}]}))]
            case ThinkingDelta(index=index, thinking=text, signature=signature):
                frames = []
                if text:
                    self._thoughts.setdefault(index, []).append(text)
                    frames.append(self._chunk(b'{"reasoning_content":' + orjson.dumps(text)
                                              + b"}"))
                if signature and signature.startswith(PREFIX):
                    thought = "".join(self._thoughts.pop(index, ()))
                    frames += self._details(ThinkingBlock(thought, signature))
                return frames
            case BlockStart(block=RedactedThinkingBlock() as block):
                return self._details(block)
            case BlockStop(index=index):
                self._thoughts.pop(index, None)
                return []
            case BlockStart(index=index, block=ToolUseBlock(name=name)) \
                    if self.legacy_functions:
                if self._tool_index:
                    return []
                self._tool_index[index] = 0
                return [self._chunk(orjson.dumps({"function_call": {"name": name,
                                                                    "arguments": ""}}))]
            case BlockStart(index=index, block=ToolUseBlock(id=call_id, name=name)):
                tool = self._tool_index[index] = len(self._tool_index)
                return [self._chunk(orjson.dumps({"tool_calls": [
                    {"index": tool, "id": call_id, "type": "function",
                     "function": {"name": name, "arguments": ""}}]}))]
            case MessageStart(usage=usage):
                self._usage = Usage(usage.input_tokens, usage.output_tokens,
                                    usage.cache_read_input_tokens,
                                    usage.cache_creation_input_tokens)
                return [self._chunk(b'{"role":"assistant","content":""}')]
            case MessageDelta(stop_reason=reason, usage=usage):
                self._usage.input_tokens = usage.input_tokens or self._usage.input_tokens
                self._usage.output_tokens = usage.output_tokens or self._usage.output_tokens
                finish = FINISH_REASONS.get(reason, "stop")
                if finish == "tool_calls" and self.legacy_functions:
                    finish = "function_call"
                return [self._chunk(b"{}", b'"' + finish.encode() + b'"')]
            case MessageStop():
                if not self.include_usage:
                    return [_DONE]
                usage_frame = self._usage_prefix + orjson.dumps(render_usage(self._usage))
                return [usage_frame + b"}\n\n", _DONE]
        return []

    def _details(self, block: ThinkingBlock | RedactedThinkingBlock) -> list[bytes]:
        """The ``reasoning_details`` chunk of a block carrying an OpenRouter entry, if it does."""
        detail = block_detail(block)
        if detail is None:
            return []
        return [self._chunk(b'{"reasoning_details":' + orjson.dumps([detail]) + b"}")]

    def encode_error(self, err: LynkrError) -> bytes:
        """A mid-stream error frame; OpenAI's SDKs raise on a chunk carrying ``error``."""
        return b"data: " + orjson.dumps(openai_error_body(err)) + b"\n\n"

    def _chunk(self, delta: bytes, finish: bytes = b"null") -> bytes:
        return self._prefix + delta + b',"finish_reason":' + finish + b"}]}\n\n"
