"""When lynkr must send a conversation's earlier turns exactly as it sent them before.

Claude's newer models (Fable/Mythos 5.x, Opus/Sonnet/Haiku 5.5) run a *prefix check* on every
thinking block a client sends back: the top-level ``system``, ``tools`` and every message
before the block must equal what was sent to the API when the block was produced
(``cache_control`` and JSON key order aside). Any difference is a 400 ("The block is bound to
a different conversation") or the block is dropped silently, and the model loses its
reasoning. Removing thinking at the start, the end or all of it is allowed; removing one in
the middle is not. See https://platform.claude.com/docs/en/build-with-claude/preserved-thinking.

lynkr rewrites requests on the way (tool selection, tool-result compression, memory), so for
such an upstream every rewrite has to be *append-only*: the rewritten form of message ``i``
may depend only on message ``i`` and on inputs frozen for the whole conversation, never on
later turns, the newest prompt, recall results, the clock or per-process state.
:func:`keeps_prefix` is the one predicate that says when this holds; the optimizers read it
instead of each guessing.
"""

from __future__ import annotations

from lynkr.model import RedactedThinkingBlock, Request, ThinkingBlock

__all__ = ["carries_thinking", "keeps_prefix", "speaks_anthropic_messages", "wants_thinking"]


def speaks_anthropic_messages(family: str | None, model: str) -> bool:
    """Whether an upstream of adapter ``family`` serving ``model`` reads Claude's signed
    thinking: an Anthropic Messages endpoint (Anthropic, Azure-hosted Anthropic) or Bedrock
    serving a Claude model (ids ``anthropic.claude-…``, ``us.anthropic.claude-…``)."""
    if family == "anthropic":
        return True
    return family == "bedrock" and ("anthropic." in model or "claude" in model.lower())


def wants_thinking(request: Request) -> bool:
    """Whether the request asks for thinking (Claude Code does on every request, turn 1 on)."""
    thinking = request.thinking
    return bool(thinking) and thinking.get("type") != "disabled"  # type: ignore[union-attr]


def carries_thinking(request: Request) -> bool:
    """Whether an earlier answer in the history holds thinking the upstream may check."""
    return any(isinstance(block, ThinkingBlock | RedactedThinkingBlock)
               for message in request.messages if message.role == "assistant"
               for block in message.content)


def keeps_prefix(request: Request, family: str | None, model: str) -> bool:
    """Whether ``request``, sent to ``model`` on an upstream of adapter ``family``, must keep
    every earlier part (system, tools, earlier messages) exactly as lynkr sent it last time.

    True when the upstream speaks Anthropic Messages *and* thinking is asked for or already
    in the history. It is stable for a conversation from its first turn: a client that asks
    for thinking asks from turn 1, and one that turns it on later has no thinking block from
    before, so nothing earlier is checked; once a block exists, the history carries it on every
    later turn. The check compares an upstream's requests with each other, so a conversation
    that visits another provider in between (tiers, fallback) is still consistent as long as
    every request *to this kind of upstream* is rewritten the same way; which is why the
    predicate is asked per target, not once per request.
    """
    if not speaks_anthropic_messages(family, model):
        return False
    return wants_thinking(request) or carries_thinking(request)
