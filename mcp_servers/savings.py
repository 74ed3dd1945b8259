"""Tool results that report their own savings.

Every lynkr tool answers with compact text for the model and, in ``structured_content``, that
same text (``result``) with the tokens the raw equivalent would have cost (``raw_tokens``: the
whole file, every match, the full test log) against what was sent (``sent_tokens``). Counting
both makes the savings checkable per call instead of claimed.
"""

from __future__ import annotations

from typing import Any

from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent

from lynkr.optimize.toon import encode
from lynkr.tokens import count_tokens


def tool_result(text: str, *, raw_text: str | None = None, raw_tokens: int | None = None,
                **details: Any) -> CallToolResult:
    """A text result plus ``raw_tokens`` / ``sent_tokens`` (and any ``details``) as data.

    Pass ``raw_text`` (counted here) or ``raw_tokens`` (already counted); with neither the
    raw equivalent is the text itself.
    """
    sent = count_tokens(text)
    if raw_tokens is None:
        raw_tokens = count_tokens(raw_text) if raw_text is not None else sent
    # The output itself goes in the structured content too: per the MCP spec that *is* the
    # result, and some clients (Claude Code 2.1) show the model only the structured part.
    structured = {"result": text, "raw_tokens": raw_tokens, "sent_tokens": sent, **details}
    return CallToolResult(content=[TextContent(type="text", text=text)],
                          structured_content=structured)


def toon_result(value: Any, *, raw_text: str | None = None, raw_tokens: int | None = None,
                **details: Any) -> CallToolResult:
    """``value`` encoded as TOON (compact and model-readable) as a savings-reporting result."""
    return tool_result(encode(value), raw_text=raw_text, raw_tokens=raw_tokens, **details)


def check_page(limit: int, offset: int = 0) -> None:
    """Refuse a page no call could use: ``limit=0`` would answer "call again with offset=0"
    forever, and a negative offset would slice from the end."""
    if limit < 1:
        raise ToolError(f"limit must be at least 1 (got {limit})")
    if offset < 0:
        raise ToolError(f"offset must be 0 or more (got {offset})")
