"""An Anthropic Messages upstream that enforces preserved thinking's prefix check, as
documented (platform.claude.com/docs/en/build-with-claude/preserved-thinking, its pages
prefix-checks and fix-bound-to-a-different-conversation).

Every thinking block it produces carries a signature naming the model and hashing the
canonical prefix the block was produced after: the top-level ``system`` (as text blocks),
``tools`` and every message before the block (plus the answer's own content before it).
``cache_control`` and key order are left out of the comparison, a string ``content`` equals
one text block, and thinking blocks are not hashed; instead each signature names the thinking
block sent just before it, so leaving one out from the middle (or putting one back) fails,
while dropping thinking from the start, the end, or all of it passes. The check is stateless:
a replayed block is judged from its signature and the request alone.

What it answers, word for word as documented:

* a prefix mismatch: 400 ``messages.{i}.content.{j}: Invalid `signature` in `thinking` block.
  The block is bound to a different conversation. ...`` (plus the beta hint without the beta,
  and a sentence naming what changed), unless the request asks for ``drop_block``;
* a signature that does not verify (tampered, empty): the bare ``Invalid `signature` in
  `thinking` block`` 400, whatever the request asks;
* ``thinking.block_binding`` without ``anthropic-beta: thinking-binding-controls-2026-08-01``:
  400 ``thinking.block_binding: Extra inputs are not permitted``;
* with the beta: ``input_transformations`` (top level; in a stream, in
  ``message_start.message``) listing each dropped block (``thinking_dropped``) or each block
  let through on an account that does not enforce (``thinking_mismatch_allowed``).

A block the model cannot read (another model's, see :data:`READS`) is dropped silently, never
a 400. ``drop_block`` drops the failing block and every later one.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from tests.fakes.upstream import (
    Behavior,
    Cut,
    Fail,
    FakeUpstream,
    Received,
    Reply,
    _once,
    _sse_event,
    anthropic_events,
)

BETA = "thinking-binding-controls-2026-08-01"
BOUND = ("Invalid `signature` in `thinking` block. The block is bound to a different "
         "conversation. Remove the block, or set "
         '`thinking.block_binding.prefix_mismatch_behavior` to "drop_block".')
NEEDS_BETA = (f"That setting requires the `{BETA}` value in the `anthropic-beta` header.")
TAMPERED = "Invalid `signature` in `thinking` block"
EXTRA_INPUTS = "thinking.block_binding: Extra inputs are not permitted"
# Which models read thinking another model produced (reader -> producers), after the switch
# table in the docs; a model always reads its own.
READS: dict[str, frozenset[str]] = {
    "claude-fable-5-1": frozenset({"claude-mythos-5-1"}),
    "claude-mythos-5-1": frozenset({"claude-fable-5-1"}),
    "claude-fable-5-2": frozenset({"claude-mythos-5-2", "claude-fable-5-1",
                                   "claude-mythos-5-1"}),
    "claude-mythos-5-2": frozenset({"claude-fable-5-2", "claude-fable-5-1",
                                    "claude-mythos-5-1"}),
}
_SECRET = b"lynkr-binding-fake"
_THINKING = ("thinking", "redacted_thinking")


@dataclass
class Answer(Reply):
    """A reply whose content may also hold server blocks (``server_tool_use``,
    ``web_search_tool_result``, ``compaction``...), sent as-is after the thinking."""

    server_blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BlockCheck:
    """How one replayed thinking block fared."""

    path: str
    outcome: Literal["kept", "dropped", "allowed", "error", "tampered"]
    reason: str = ""
    changed: str = ""


@dataclass
class Verdict:
    checks: list[BlockCheck]
    error: Fail | None = None
    # Thinking blocks the model saw, in order: the last one is the next block's predecessor.
    seen: list[str] = field(default_factory=list)

    @property
    def transformations(self) -> list[dict[str, str]]:
        kinds = {"dropped": "thinking_dropped", "allowed": "thinking_mismatch_allowed"}
        return [{"type": kinds[c.outcome], "path": c.path, "reason": c.reason}
                for c in self.checks if c.outcome in kinds]


# --- the canonical prefix -------------------------------------------------------------------


def canonical_blocks(content: Any) -> list[dict[str, Any]]:
    """Content as the check compares it: a string is one text block, ``cache_control`` is
    left out, thinking is not hashed (its order is checked apart)."""
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    out = []
    for block in content or []:
        if not isinstance(block, dict) or block.get("type") in _THINKING:
            continue
        block = {k: v for k, v in block.items() if k != "cache_control"}
        if block.get("type") == "tool_result" and "content" in block:
            block["content"] = canonical_blocks(block["content"])
        out.append(block)
    return out


def canonical_message(message: dict[str, Any], upto: int | None = None) -> dict[str, Any]:
    content = message.get("content")
    if upto is not None:
        content = (canonical_blocks(content) if isinstance(content, str) else content)[:upto]
    return {**{k: v for k, v in message.items() if k != "content"},
            "content": canonical_blocks(content)}


def _digest(value: Any) -> str:
    raw = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _tool_names_used(messages: list[dict[str, Any]]) -> set[str]:
    return {b.get("name") for m in messages for b in canonical_blocks(m.get("content"))
            if b.get("type") in ("tool_use", "server_tool_use")}


def prefix_digests(body: dict[str, Any], i: int, j: int) -> dict[str, Any]:
    """Hashes of the prefix before ``messages[i].content[j]``: system, tools, and one per
    message (the last one cut at ``j``)."""
    messages = body.get("messages") or []
    before = [canonical_message(m) for m in messages[:i]]
    if i < len(messages):
        before.append(canonical_message(messages[i], j))
    used = _tool_names_used(before)
    # An unreferenced deferred tool may come and go (documented as valid).
    tools = [{k: v for k, v in t.items() if k != "cache_control"} for t in body.get("tools") or []
             if not t.get("defer_loading") or t.get("name") in used]
    return {"s": _digest(canonical_blocks(body.get("system"))), "t": _digest(tools),
            "m": [_digest(m) for m in before]}


# --- signatures -----------------------------------------------------------------------------


def sign(model: str, prefix: dict[str, Any], previous: str, thinking: str) -> str:
    payload = base64.urlsafe_b64encode(json.dumps(
        {"model": model, **prefix, "b": previous}, separators=(",", ":")).encode()).decode()
    return f"fake.{payload}.{_mac(payload, thinking)}"


def block_id(signature: str) -> str:
    return hashlib.sha256(signature.encode()).hexdigest()[:12]


def _mac(payload: str, thinking: str) -> str:
    return hashlib.sha256(_SECRET + payload.encode() + thinking.encode()).hexdigest()[:16]


def _verify(signature: Any, thinking: Any) -> dict[str, Any] | None:
    """The signature's payload, or None when it does not verify."""
    if not isinstance(signature, str) or signature.count(".") != 2:
        return None
    tag, payload, mac = signature.split(".")
    if tag != "fake" or mac != _mac(payload, str(thinking or "")):
        return None
    try:
        return dict(json.loads(base64.urlsafe_b64decode(payload)))
    except ValueError:
        return None


def _what_changed(signed: dict[str, Any], now: dict[str, Any]) -> str:
    if signed["s"] != now["s"]:
        return "The `system` prompt differs from the one this block was created with."
    if signed["t"] != now["t"]:
        return "The `tools` differ from the ones this block was created with."
    for k, (was, is_) in enumerate(zip(signed["m"], now["m"], strict=False)):
        if was != is_:
            return f"`messages.{k}` differs from the one this block was created with."
    return "The messages before this block differ in number from the ones it was created with."


# --- the check ------------------------------------------------------------------------------


def betas_of(headers: dict[str, str]) -> set[str]:
    return {b.strip() for b in headers.get("anthropic-beta", "").split(",") if b.strip()}


def reads(reader: str, producer: str) -> bool:
    return reader == producer or producer in READS.get(reader, frozenset())


def check(body: dict[str, Any], headers: dict[str, str],
          enforcement: Literal["error", "allow"] = "error") -> Verdict:
    """Judge every replayed thinking block of a request."""
    thinking = body.get("thinking") or {}
    binding = thinking.get("block_binding") if isinstance(thinking, dict) else None
    beta = BETA in betas_of(headers)
    if binding is not None and not beta:
        return Verdict([], _error(EXTRA_INPUTS))
    asked = (binding or {}).get("prefix_mismatch_behavior")
    behavior = asked or ("error" if enforcement == "error" else "allow")
    model = str(body.get("model", ""))
    checks: list[BlockCheck] = []
    seen: list[str] = []  # the blocks the model reads, in order
    failed = False
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content")
        for j, block in enumerate(content if isinstance(content, list) else []):
            if not isinstance(block, dict) or block.get("type") != "thinking":
                continue
            path = f"messages.{i}.content.{j}"
            signature = block.get("signature")
            signed = _verify(signature, block.get("thinking"))
            if signed is None:
                checks.append(BlockCheck(path, "tampered"))
                return Verdict(checks, _error(f"{path}: {TAMPERED}"))
            if failed:  # drop_block drops every block after the first that failed
                checks.append(BlockCheck(path, "dropped", "prefix_binding_mismatch"))
                continue
            if not reads(model, signed["model"]):
                checks.append(BlockCheck(path, "dropped", "model_binding_mismatch"))
                continue
            this, now = block_id(str(signature)), prefix_digests(body, i, j)
            changed = ""
            if any(signed[k] != now[k] for k in ("s", "t", "m")):
                changed = _what_changed(signed, now)
            elif seen and signed["b"] != seen[-1]:
                changed = "A thinking block before this one was left out or moved."
            if not changed:
                checks.append(BlockCheck(path, "kept"))
                seen.append(this)
            elif behavior == "drop_block":
                checks.append(BlockCheck(path, "dropped", "prefix_binding_mismatch", changed))
                failed = True
            elif behavior == "allow":
                checks.append(BlockCheck(path, "allowed", "prefix_binding_mismatch", changed))
                seen.append(this)
            else:
                checks.append(BlockCheck(path, "error", "prefix_binding_mismatch", changed))
                hint = "" if beta else f" {NEEDS_BETA}"
                return Verdict(checks, _error(f"{path}: {BOUND}{hint} {changed}"))
    return Verdict(checks, seen=seen)


def _error(message: str) -> Fail:
    return Fail(400, message, body={"type": "error", "error": {
        "type": "invalid_request_error", "message": message}, "request_id": "req_fake_binding"})


# --- the server -----------------------------------------------------------------------------


class BindingUpstream(FakeUpstream):
    """The enforcing Messages upstream. Scripted like :class:`FakeUpstream` (``queue``,
    ``default``, ``refusals``; or ``answer_for`` to choose per request); every answer to a
    request that thinks starts with a signed thinking block (empty text when the request asks
    ``display: "omitted"``). ``verdicts`` holds each request's :class:`Verdict`.

    ``enforcement="error"`` is the Fable 5.2 behaviour (and newer accounts'); ``"allow"`` is
    an older account's, where a mismatch passes unless the request asks otherwise.
    """

    def __init__(self, default: Behavior | None = None, *,
                 enforcement: Literal["error", "allow"] = "error") -> None:
        super().__init__(default or Answer(text="Done.", thinking="Thinking it over."))
        self.enforcement = enforcement
        self.verdicts: list[Verdict] = []
        self.answer_for: Callable[[Received], Behavior] | None = None
        self.refusals.append(self._refuse)

    def _refuse(self, sent: Received) -> Fail | None:
        verdict = check(sent.body, sent.headers, self.enforcement)
        self.verdicts.append(verdict)
        return verdict.error

    async def _anthropic(self, request: Request) -> Response:
        if self.answer_for is not None and not self.script:
            self.script.append(_Deferred())
        behavior, body = await self._next(request)
        if isinstance(behavior, _Deferred):
            assert self.answer_for is not None
            behavior = self.answer_for(self.last)
        if isinstance(behavior, Fail):
            return self._fail(behavior, "anthropic")
        if not isinstance(behavior, Reply | Cut):
            return StreamingResponse(_once(b"event: message_start\ndata: {oops\n\n"),
                                     media_type="text/event-stream")
        reply = behavior.reply if isinstance(behavior, Cut) else behavior
        verdict = self.verdicts[-1]
        model = str(body.get("model", "fake"))
        content = self._content(body, reply, verdict)
        stop = "tool_use" if reply.tool_calls else {"length": "max_tokens"}.get(
            reply.finish, "end_turn")
        usage = {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens}
        extra: dict[str, Any] = {}
        if BETA in betas_of(self.last.headers):
            extra["input_transformations"] = verdict.transformations
        if not body.get("stream"):
            return JSONResponse({"id": f"msg_binding_{len(self.received)}", "type": "message",
                                 "role": "assistant", "model": model, "content": content,
                                 "stop_reason": stop, "stop_sequence": None, "usage": usage,
                                 **extra})
        frames = [_sse_event(name, data) for name, data in
                  anthropic_events(content, model, stop, usage, reply.chunk_size,
                                   message_id=f"msg_binding_{len(self.received)}", extra=extra)]
        return self._stream(frames, behavior, "text/event-stream")

    def _content(self, body: dict[str, Any], reply: Reply,
                 verdict: Verdict) -> list[dict[str, Any]]:
        content: list[dict[str, Any]] = []
        thinking = body.get("thinking") or {}
        if thinking.get("type") in ("enabled", "adaptive"):
            text = "" if thinking.get("display") == "omitted" else reply.thinking
            messages = body.get("messages") or []
            prefix = prefix_digests({**body, "messages": [*messages, {"role": "assistant",
                                                                      "content": []}]},
                                    len(messages), 0)
            previous = verdict.seen[-1] if verdict.seen else ""
            content.append({"type": "thinking", "thinking": text,
                            "signature": sign(str(body.get("model", "")), prefix, previous,
                                              text)})
        if isinstance(reply, Answer):
            content += reply.server_blocks
        if reply.text:
            content.append({"type": "text", "text": reply.text})
        content += [{"type": "tool_use", "id": c.id, "name": c.name, "input": c.arguments}
                    for c in reply.tool_calls]
        return content


@dataclass
class _Deferred:
    """Placeholder so a request with ``answer_for`` set still goes through the refusals."""
