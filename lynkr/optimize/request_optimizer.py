"""The token optimizers a request goes through before it is sent, as one function.

:func:`optimize_request` runs tool selection then tool-result compression with the configured
modes. When the request must keep its prefix (an upstream that checks preserved thinking, see
:mod:`lynkr.optimize.preserved_thinking`) it runs only what rewrites each part of the request
on its own, the same way on every turn:

* every tool is kept, in the client's order, each slimmed by a function of itself alone (a
  set that grows with new intents, or switches to the full set after a call to a dropped tool,
  changes ``tools`` mid-conversation);
* tool results are compressed losslessly only, each by a function of its own text and its
  tool's name, and ``lynkr_expand`` is not offered: a lossy result would need it, and the
  proxy splicing an expand round into one answer hands the client thinking produced after a
  prefix the client never sends back.

Memory injection reads a store and the newest prompt, so it is not here: the pipeline runs
it (or, under the same predicate, skips it) before this.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from lynkr.config import OptimizerSettings
from lynkr.model import Request
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.tool_results import compress_tool_results
from lynkr.optimize.tool_selection import select_tools
from lynkr.tokens import request_tokens

__all__ = ["Optimized", "OptimizedForms", "optimize_request", "prefix_safe_compression"]


@dataclass(frozen=True, slots=True)
class Optimized:
    """The request to send, the tokens it costs and each optimizer saved, and the tools it
    offers when it offers fewer than the client sent (None: every tool, so no call can be to
    a dropped one)."""

    request: Request
    tokens: int
    saved_by: dict[str, int] = field(default_factory=dict)
    offered_tools: frozenset[str] | None = None


def prefix_safe_compression(mode: str) -> str:
    """The compression mode for a request that keeps its prefix: ``lossless`` for ``full``
    (lossless output is a function of the block alone, with no expand handle to follow)."""
    return "lossless" if mode == "full" else mode


def optimize_request(request: Request, settings: OptimizerSettings, store: ExpandStore, *,
                     keep_prefix: bool, pinned: frozenset[str] = frozenset()) -> Optimized:
    """Run the optimizers over ``request`` (see module docstring); pure but for ``store``,
    which only remembers what lossy compression left out. ``pinned``: tools the selection
    must keep (the conversation already called one it had dropped)."""
    saved_by: dict[str, int] = {}
    offered: frozenset[str] | None = None
    if request.tools and settings.tool_selection != "off":
        selection = select_tools(request, settings.tool_selection, pinned=pinned,
                                 every_tool=keep_prefix)
        request = selection.request
        saved_by["tool_selection"] = selection.tokens_saved
        if not keep_prefix:
            offered = frozenset(t.name for t in request.tools)
    mode = settings.tool_result_compression
    if keep_prefix:
        mode = prefix_safe_compression(mode)
    if mode != "off":
        report = compress_tool_results(request, mode, settings.compression_threshold_tokens,
                                       store)
        request = report.request
        if report.stats:
            saved_by["tool_results"] = report.tokens_saved
    return Optimized(request, request_tokens(request), saved_by, offered)


class OptimizedForms:
    """One request's two optimized forms, the usual one and the one that keeps its prefix,
    each built at most once and only when a target it may be sent to needs it (the fallback
    chain can mix upstreams that check preserved thinking with others)."""

    def __init__(self, original: Request,
                 build: Callable[[Request, bool], Awaitable[Optimized]]) -> None:
        self.original = original
        self._build = build
        self._forms: dict[bool, Optimized] = {}

    async def form(self, keep_prefix: bool) -> Optimized:
        if keep_prefix not in self._forms:
            self._forms[keep_prefix] = await self._build(self.original, keep_prefix)
        return self._forms[keep_prefix]
