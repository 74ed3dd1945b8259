"""What an upstream model accepts, learned from its refusals.

Claude Code asks for ``max_tokens`` 32,000 or 64,000; gpt-4o stops at 16,384 and DeepSeek at
8,192, and both refuse the whole request with a 400 that states their limit. Claude Code also
asks for thinking on every request, and Ollama refuses ``think`` with a 400 for any model that
cannot think (qwen2.5-coder, llama3.1...). Rather than a table of every model (always out of
date), lynkr reads the refusal, sends the request again without what was refused, and
remembers it for that ``provider:model`` so later requests go right at once. A refusal that
states the context window instead (vLLM, llama.cpp) gives the room left after the prompt, for
that request only. Sampling settings are refused the same way: OpenAI's reasoning models take
no temperature but 1, Claude refuses one beside thinking, and Claude 4.5 and later refuse
``temperature`` with ``top_p``; the request goes again without them. So is the form of
thinking: Claude Code asks for ``adaptive`` thinking, which Claude models before 4.6 refuse
(they get a budget from the client's effort), and lynkr turns a client's reasoning effort into
a budget, which Opus 4.7 and later refuse (they get ``adaptive``). A text-only model refuses
images (DeepSeek's "unknown variant `image_url`, expected `text`"), and since the image stays
in the history every later turn would too: images become a note for that model. Newer Claude
models refuse thinking bound to a different conversation: the request goes again with
``drop_block`` and the conversation keeps it (:mod:`lynkr.providers.bound_conversations`).
"""

from __future__ import annotations

import dataclasses
import re

from lynkr.errors import UpstreamError
from lynkr.model import Block, ImageBlock, Message, Request, TextBlock, ToolResultBlock
from lynkr.providers.bound_conversations import BoundConversations
from lynkr.wire.anthropic import MIN_THINKING_BUDGET
from lynkr.wire.fields import thinking_for_effort

# How each family words it (OpenAI, DeepSeek, Anthropic, Groq and other OpenAI-likes).
_MODEL_LIMIT = [
    re.compile(r"supports at most (\d+) completion tokens"),
    re.compile(r"valid range of max_tokens is \[\d+, *(\d+)\]"),
    re.compile(r"max_tokens: \d+ > (\d+), which is the maximum allowed"),
    re.compile(r"max_tokens`? must be less than or equal to `?(\d+)"),
]
# vLLM / llama.cpp servers: the window, the prompt and the completion asked for.
_CONTEXT = re.compile(r"maximum context length is (\d+) tokens\. However, you requested \d+ "
                      r"tokens \((\d+) in the messages, (\d+) in the completion\)")
_MIN_ROOM = 256  # below this, a cut-down answer is not worth sending the request again
_NO_THINKING = re.compile(r"does not support thinking")
# "adaptive thinking is not supported on this model" (Claude before 4.6);
# '"thinking.type.enabled" is not supported for this model. Use "thinking.type.adaptive"...'.
_NO_IMAGES = re.compile(r"unknown variant `image_url`|does not support (image|vision)|"
                        r"not a multimodal model|image input is not supported", re.IGNORECASE)
IMAGE_NOTE = "[image left out: this model cannot read images]"
_THINKING_FORMS = {"enabled": re.compile(r"adaptive thinking is not supported"),
                   "adaptive": re.compile(r"thinking\.type\.enabled\W{0,2} is not supported")}
# OpenAI ("'temperature' does not support 0.2 with this model", "'top_p' is not supported"),
# Anthropic and Bedrock's Claude ("temperature may only be set to 1 when thinking is enabled",
# "`temperature` and `top_p` cannot both be specified for this model").
_SAMPLING = re.compile(r"\b(temperature|top_p)\W{0,2}\s(is not supported|does not support|"
                       r"may only be set|must be|and\W{1,2}top_p\W{0,2}\scannot both)")


def stated_limit(message: str) -> tuple[int, bool] | None:
    """The output limit a refusal states, and whether it holds for the model (True) or only
    for this prompt (False); None when the message states none."""
    for pattern in _MODEL_LIMIT:
        if found := pattern.search(message):
            return int(found.group(1)), True
    if found := _CONTEXT.search(message):
        window, prompt, _asked = (int(g) for g in found.groups())
        return window - prompt, False
    return None


class UpstreamLimits:
    """What was learned so far, per ``provider:model``."""

    def __init__(self) -> None:
        self._caps: dict[str, int] = {}
        self._cannot_think: set[str] = set()
        self._refused_sampling: dict[str, tuple[str, ...]] = {}
        self._thinking_form: dict[str, str] = {}
        self._text_only: set[str] = set()
        self.bound = BoundConversations()

    def apply(self, request: Request, target: object) -> Request:
        """``request`` within what ``target`` is known to accept."""
        request = self.bound.apply(request, target)
        key = str(target)
        if key in self._cannot_think and _thinks(request):
            request = dataclasses.replace(request, thinking=None)
        if refused := self._refused_sampling.get(key):
            request = dataclasses.replace(request, **dict.fromkeys(refused))
        if form := self._thinking_form.get(key):
            request = _in_form(request, form)
        if key in self._text_only:
            request = _without_images(request)
        cap = self._caps.get(key)
        if cap is None:
            return request
        # No max_tokens of its own: the codec's default (Anthropic's 32,000) may pass the cap.
        if request.max_tokens is None or request.max_tokens > cap:
            return _lowered(request, cap)
        return request

    def learn(self, request: Request, target: object, error: UpstreamError) -> Request | None:
        """The request to send again after ``error``, or None when the error is not a refusal
        of something the request can do without."""
        if error.status != 400:
            return None
        if (retry := self.bound.learn(request, target, error)) is not None:
            return retry
        if _thinks(request) and _NO_THINKING.search(error.message):
            self._cannot_think.add(str(target))
            return dataclasses.replace(request, thinking=None)
        for form, refusal in _THINKING_FORMS.items():
            if _thinks(request) and _in_form(request, form) is not request \
                    and refusal.search(error.message):
                self._thinking_form[str(target)] = form
                return _in_form(request, form)
        if _NO_IMAGES.search(error.message) and _without_images(request) is not request:
            self._text_only.add(str(target))
            return _without_images(request)
        if (found := _SAMPLING.search(error.message)) and (request.temperature is not None
                                                           or request.top_p is not None):
            # Both together refused: top_p goes, the temperature the client chose stays.
            refused = ("top_p",) if "cannot both" in found.group(2) else ("temperature", "top_p")
            self._refused_sampling[str(target)] = refused
            return dataclasses.replace(request, **dict.fromkeys(refused))
        stated = stated_limit(error.message)
        if stated is None:
            return None
        limit, per_model = stated
        # max_tokens None: the codec filled one in, and the refusal says it was too much.
        if request.max_tokens is not None and limit >= request.max_tokens or limit < _MIN_ROOM:
            return None
        if per_model:
            self._caps[str(target)] = limit
        return _lowered(request, limit)


    def after_retry(self, request: Request, target: object, first: UpstreamError,
                    again: UpstreamError) -> UpstreamError:
        """The error to raise when the request :meth:`learn` gave for ``request`` after
        ``first`` failed with ``again``: ``again``, but the first refusal when lynkr's
        ``drop_block`` retry was refused too (see :mod:`lynkr.providers.bound_conversations`)."""
        return self.bound.after_retry(request, target, first, again)


def _thinks(request: Request) -> bool:
    return request.thinking is not None and request.thinking.get("type") != "disabled"


def _without_images(request: Request) -> Request:
    """``request`` with every image (in a message or a tool result) replaced by a note; the
    same object when it has none."""
    def text_only(block: Block) -> Block:
        if isinstance(block, ImageBlock):
            return TextBlock(IMAGE_NOTE)
        if isinstance(block, ToolResultBlock) and any(isinstance(b, ImageBlock)
                                                      for b in block.content):
            return dataclasses.replace(block, content=[
                TextBlock(IMAGE_NOTE) if isinstance(b, ImageBlock) else b for b in block.content])
        return block

    if not any(text_only(b) is not b for m in request.messages for b in m.content):
        return request
    return dataclasses.replace(request, messages=[
        Message(m.role, [text_only(b) for b in m.content]) for m in request.messages])


def _in_form(request: Request, form: str) -> Request:
    """``request`` thinking in the form the model takes: ``adaptive``, or ``enabled`` with the
    budget of the client's effort (``output_config.effort``; high when none)."""
    if not _thinks(request) or (request.thinking or {}).get("type") == form:
        return request
    if form == "adaptive":  # the client's other thinking settings (display, block_binding) stay
        kept = {k: v for k, v in (request.thinking or {}).items() if k != "budget_tokens"}
        return dataclasses.replace(request, thinking={**kept, "type": "adaptive"})
    config = request.extra.get("output_config")
    effort = config.get("effort") if isinstance(config, dict) else None
    thinking = thinking_for_effort(effort) or thinking_for_effort("high")
    request = dataclasses.replace(request, thinking=thinking)
    if request.max_tokens is not None and thinking is not None \
            and thinking["budget_tokens"] >= request.max_tokens:
        return _lowered(request, request.max_tokens)
    return request


def _lowered(request: Request, max_tokens: int) -> Request:
    """``request`` asking for at most ``max_tokens``, its thinking budget cut to half of that
    so the answer keeps room (the Messages API wants ``max_tokens > budget_tokens >= 1024``);
    no thinking when that leaves under 1,024 for it."""
    thinking = request.thinking
    budget = thinking.get("budget_tokens") if thinking else None
    if thinking is not None and type(budget) is int and budget >= max_tokens // 2:
        half = max_tokens // 2
        thinking = {**thinking, "budget_tokens": half} if half >= MIN_THINKING_BUDGET else None
    return dataclasses.replace(request, max_tokens=max_tokens, thinking=thinking)
