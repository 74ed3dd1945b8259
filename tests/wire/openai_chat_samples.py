"""A sample answer shared by the OpenAI chat codec tests (bodies and streams)."""

from __future__ import annotations

from typing import Any

from lynkr.model import Response, TextBlock, ThinkingBlock, ToolUseBlock, Usage


def tool_call_answer(**changes: Any) -> Response:
    """Thinking, text and a tool call, with cache usage; ``changes`` override fields."""
    fields: dict[str, Any] = dict(
        id="msg_1", model="claude-sonnet", stop_reason="tool_use",
        content=[ThinkingBlock("plan", "sig"), TextBlock("Let me look."),
                 ToolUseBlock("toolu_9", "Grep", {"pattern": "TODO", "path": "."})],
        usage=Usage(input_tokens=100, output_tokens=20, cache_read_input_tokens=900,
                    cache_creation_input_tokens=50))
    fields.update(changes)
    return Response(**fields)
