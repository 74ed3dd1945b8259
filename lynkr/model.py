"""The one internal message model every wire format and provider converts into and out of.

It is Anthropic-shaped (system prompt apart from messages, messages made of typed content
blocks, tool results as blocks inside user turns) because that is the richest of the formats
we speak: OpenAI chat, OpenAI responses, Ollama and Bedrock all map into it without loss of
anything a coding agent relies on. Optimizers and the router only ever see these types.

Keys of a client's message, block or tool that lynkr does not model (``citations``,
``defer_loading``, ``cache_control`` on a tool...) are kept in its ``extra`` and written back
only in the client's own wire format: newer Claude models check that every earlier part of a
conversation comes back exactly as sent (preserved thinking), so nothing may be lost on the way
to an upstream that speaks it.

Streams are sequences of events over these types, in :mod:`lynkr.stream_events`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

Role = Literal["user", "assistant"]
# The Messages API's stop reasons; one it adds later passes through as the string it is (an
# Anthropic client may act on it, as Claude Code resends on pause_turn).
StopReason = Literal["end_turn", "tool_use", "max_tokens", "stop_sequence", "refusal", "pause_turn",
                     "model_context_window_exceeded", "compaction"]


# --- content blocks -------------------------------------------------------------------------


@dataclass(slots=True)
class TextBlock:
    """Text. In an Anthropic answer, ``extra["citations"]`` holds the citations the API
    attached to it (opaque, for an Anthropic client only)."""

    text: str
    cache_control: dict[str, Any] | None = None
    type: Literal["text"] = "text"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ImageBlock:
    """An image, either inline base64 (``data`` + ``media_type``) or by ``url``."""

    media_type: str = "image/png"
    data: str | None = None
    url: str | None = None
    type: Literal["image"] = "image"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class NativeBlock:
    """A client block lynkr does not model (a PDF document, a search result, a server tool's
    call or its result), kept exactly as sent.

    It goes as-is to an upstream speaking the wire format ``raw`` is written in (``format``;
    None means the client's own); any other upstream gets :meth:`note` in its place, so the
    model knows something was there instead of answering as if it were not. An OpenAI
    client's PDF is kept as an Anthropic ``document`` (``format="anthropic"``): the one
    upstream family we speak that reads it.
    """

    raw: dict[str, Any]
    type: Literal["native"] = "native"
    format: str | None = None

    def note(self) -> str:
        """What another upstream gets instead: the block's text when it has some (a
        plain-text document, a search result), else a line saying what was left out. A
        ``tool_reference`` (Claude Code's ToolSearch result) says the tool is loaded, which
        :meth:`Request.tools_for` makes true by offering it from then on."""
        name = self.raw.get("tool_name")
        if self.raw.get("type") == "tool_reference" and isinstance(name, str):
            return f"[tool {name} loaded: it can be called now]"
        text = self.raw.get("text")
        source = self.raw.get("source")
        if not isinstance(text, str) and isinstance(source, dict) \
                and source.get("type") == "text":
            text = source.get("data")
        if isinstance(text, str) and text:
            return text
        kind = str(self.raw.get("type") or "block")
        title = self.raw.get("title")
        source = self.raw.get("source")
        media = source.get("media_type") if isinstance(source, dict) else None
        what = kind + (f" {title!r}" if isinstance(title, str) and title else "") \
            + (f" ({media})" if isinstance(media, str) and media else "")
        return f"[{what} left out: this model cannot read it]"


@dataclass(slots=True)
class ToolUseBlock:
    id: str
    name: str
    input: dict[str, Any] = field(default_factory=dict)
    type: Literal["tool_use"] = "tool_use"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class ToolResultBlock:
    tool_use_id: str
    content: list[TextBlock | ImageBlock | NativeBlock] = field(default_factory=list)
    is_error: bool = False
    cache_control: dict[str, Any] | None = None
    type: Literal["tool_result"] = "tool_result"
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The textual content joined; images are left out."""
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))


@dataclass(slots=True)
class ThinkingBlock:
    thinking: str
    signature: str | None = None
    type: Literal["thinking"] = "thinking"


@dataclass(slots=True)
class RedactedThinkingBlock:
    data: str
    type: Literal["redacted_thinking"] = "redacted_thinking"


Block = (TextBlock | ImageBlock | ToolUseBlock | ToolResultBlock | ThinkingBlock
         | RedactedThinkingBlock | NativeBlock)


# --- request / response ---------------------------------------------------------------------


@dataclass(slots=True)
class Message:
    role: Role
    content: list[Block]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """The plain text of the message (text blocks only), for scorers and cache keys."""
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))


@dataclass(slots=True)
class Tool:
    name: str
    description: str = ""
    input_schema: dict[str, Any] = field(default_factory=lambda: {"type": "object"})
    # Provider-native tools (Anthropic server tools such as web_search) keep their raw form.
    raw: dict[str, Any] | None = None
    # The client's ``strict`` (schema-constrained arguments), as sent; None when not given.
    strict: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class SystemMessage:
    """A ``role: "system"`` entry an Anthropic client sent inside ``messages`` (Claude Code
    appends one on most turns).

    Its text is also in :attr:`Request.system` (``blocks``, the same objects), so every reader
    of the system prompt (router, cache keys, memory, token counts) sees it folded in. No
    upstream gets it folded: moving it into ``system`` changes the system prompt on every turn,
    which fails preserved thinking's prefix check and every provider's prefix cache. An
    Anthropic upstream gets ``raw`` back in place, before the user/assistant message at
    ``position``; other formats get its text in the user turn next to it
    (:mod:`lynkr.wire.system_entries`).
    """

    position: int
    raw: dict[str, Any]
    blocks: list[TextBlock] = field(default_factory=list)


@dataclass(slots=True)
class ToolChoice:
    """``auto`` (model decides), ``any`` (must call some tool), ``tool`` (must call ``name``),
    ``none`` (must not call tools)."""

    type: Literal["auto", "any", "tool", "none"] = "auto"
    name: str | None = None
    disable_parallel: bool = False


@dataclass(slots=True)
class Request:
    model: str
    messages: list[Message]
    system: list[TextBlock] = field(default_factory=list)
    tools: list[Tool] = field(default_factory=list)
    tool_choice: ToolChoice | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    stop: list[str] = field(default_factory=list)
    stream: bool = False
    thinking: dict[str, Any] | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    # Top-level fields we do not model (e.g. Anthropic ``context_management``), forwarded only
    # to an upstream that speaks the same wire format as the client.
    extra: dict[str, Any] = field(default_factory=dict)
    # Which wire format the client spoke: "anthropic" | "openai_chat" | "openai_responses".
    client_format: str = "anthropic"
    # role:"system" entries of an Anthropic client's messages, kept for an Anthropic upstream.
    system_messages: list[SystemMessage] = field(default_factory=list)
    # The client's ``anthropic-beta`` values, for an Anthropic upstream (a Bedrock one reads
    # them as ``anthropic_beta``).
    betas: list[str] = field(default_factory=list)

    @property
    def system_text(self) -> str:
        return "\n\n".join(b.text for b in self.system)

    def messages_for(self, upstream_format: str) -> list[Message]:
        """The messages as an upstream speaking ``upstream_format`` can take them: each
        :class:`NativeBlock` stays for the format it is written in (the client's, unless it
        names another) and is its note elsewhere."""
        def readable(native: NativeBlock) -> bool:
            return (native.format or self.client_format) == upstream_format

        if all(readable(n) for m in self.messages for b in m.content for n in _natives(b)):
            return self.messages
        return [Message(m.role, [_portable(b, readable) for b in m.content], m.extra)
                for m in self.messages]

    def tools_for(self, upstream_format: str) -> list[Tool]:
        """The tools an upstream speaking ``upstream_format`` can be offered.

        A raw tool is native to the client's wire format, so it goes as-is only to an upstream
        of that same format. Elsewhere a free-form tool (Responses ``custom``, such as Codex's
        ``apply_patch``) becomes a function taking its text as one ``input`` string, the shape
        its calls are already carried in; a native tool whose client codec gave it a form for
        this format (``extra["native_for"][format]``: Codex's hosted ``web_search`` as
        Claude's server web search) is offered in that form; other native tools
        (``local_shell``, ...) are left out, since another API rejects types it does not know.
        One that has forms for other formats but none for this one is told once per process
        on the ``lynkr.tools`` log: the user expects the model to have it.

        Deferred tools (Anthropic ``defer_loading``: Claude Code's MCP tools, found through its
        ToolSearch tool) are loaded by the Anthropic API only once a ``tool_reference`` in the
        history names them; for other upstreams lynkr does the same, so they are offered from
        the search that found them on, and never before (nor Claude Code's placeholder).
        """
        if upstream_format == self.client_format:
            return list(self.tools)
        loaded = self.referenced_tools()
        offered: list[Tool] = []
        for tool in self.tools:
            if tool.extra.get("defer_loading") is True and tool.name not in loaded:
                continue
            if tool.raw is None:
                offered.append(tool)
            elif tool.raw.get("type") == "custom":
                offered.append(Tool(tool.name, tool.description, tool.input_schema))
            elif isinstance(forms := tool.extra.get("native_for"), dict):
                native = forms.get(upstream_format)
                if isinstance(native, dict):
                    offered.append(Tool(tool.name, raw=native))
                else:
                    _tell_not_offered(str(tool.raw.get("type")), upstream_format)
        return offered

    def referenced_tools(self) -> set[str]:
        """The tools a ``tool_reference`` block in the history has loaded."""
        return {n.raw["tool_name"] for m in self.messages for b in m.content
                for n in _natives(b) if n.raw.get("type") == "tool_reference"
                and isinstance(n.raw.get("tool_name"), str)}

    def last_user_text(self) -> str:
        """The text of the newest user turn that carries text (tool-result-only turns skipped)."""
        for message in reversed(self.messages):
            if message.role == "user" and message.text:
                return message.text
        return ""

    def last_user_words(self) -> str:
        """What the user typed in the newest user turn that has any: its text without
        :func:`system_reminders` (the question to embed, the facts to remember)."""
        for message in reversed(self.messages):
            if message.role == "user":
                words = without_system_reminders(message.text).strip()
                if words:
                    return words
        return ""


@dataclass(slots=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_input_tokens: int = 0
    cache_creation_input_tokens: int = 0


@dataclass(slots=True)
class Response:
    id: str
    model: str
    content: list[Block]
    stop_reason: StopReason | None = "end_turn"
    stop_sequence: str | None = None
    usage: Usage = field(default_factory=Usage)
    # An OpenAI-compatible upstream's ``choices[0].logprobs``, opaque, for an OpenAI client.
    logprobs: dict[str, Any] | None = None
    # What an Anthropic upstream did to the request's thinking (``thinking_dropped``...), as
    # it reported it; None when it did not report.
    input_transformations: list[dict[str, Any]] | None = None

    @property
    def text(self) -> str:
        return "".join(b.text for b in self.content if isinstance(b, TextBlock))

    @property
    def tool_uses(self) -> list[ToolUseBlock]:
        return [b for b in self.content if isinstance(b, ToolUseBlock)]


# Claude Code puts context it injects (today's date, CLAUDE.md, open files, task lists) inside
# user turns, wrapped in these tags; a reminder cut off by truncation runs to the end.
_REMINDER = re.compile(r"<system-reminder>.*?(?:</system-reminder>|\Z)", re.DOTALL)


def system_reminders(text: str) -> list[str]:
    """The ``<system-reminder>`` blocks in a user turn's text, in order."""
    return _REMINDER.findall(text) if "<system-reminder>" in text else []


def without_system_reminders(text: str) -> str:
    """``text`` minus its ``<system-reminder>`` blocks: the words the user typed."""
    return _REMINDER.sub("", text) if "<system-reminder>" in text else text


_tools_log = logging.getLogger("lynkr.tools")
_told: set[tuple[str, str]] = set()  # (tool type, upstream format) already logged


def _tell_not_offered(kind: str, upstream_format: str) -> None:
    """Say once per process that the client's native ``kind`` tool is not offered to an
    upstream of ``upstream_format`` (no form of it runs there)."""
    if (kind, upstream_format) not in _told:
        _told.add((kind, upstream_format))
        _tools_log.warning("the client offers its hosted %s tool; no form of it runs on an "
                           "upstream speaking %s, so the model is not offered %s (said once)",
                           kind, upstream_format,
                           "web search" if kind.startswith("web_search") else "it")


def _natives(block: Block) -> list[NativeBlock]:
    """The :class:`NativeBlock` s in ``block`` (itself, or inside a tool result)."""
    if isinstance(block, NativeBlock):
        return [block]
    if isinstance(block, ToolResultBlock):
        return [part for part in block.content if isinstance(part, NativeBlock)]
    return []


def _portable(block: Block, readable: Callable[[NativeBlock], bool]) -> Block:
    """``block`` with every :class:`NativeBlock` in it that is not ``readable`` replaced by
    its note."""
    if isinstance(block, NativeBlock):
        return block if readable(block) else TextBlock(block.note())
    if isinstance(block, ToolResultBlock) and _natives(block):
        return replace(block, content=[
            TextBlock(p.note()) if isinstance(p, NativeBlock) and not readable(p) else p
            for p in block.content])
    return block
