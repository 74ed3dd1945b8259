"""Tiny builders for routing tests: requests in the internal model, a fake graph signal."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lynkr.config import RoutingSettings
from lynkr.model import Message, Request, TextBlock, Tool, ToolResultBlock, ToolUseBlock
from lynkr.routing.scorer import Scorer

CLAUDE_CODE_TOOLS = [Tool(n) for n in ("Task", "Bash", "Glob", "Grep", "Read", "Edit",
                                        "MultiEdit", "Write", "TodoWrite")]


def ask(text: str, *, tools: list[Tool] | None = None, model: str = "claude-sonnet-4-5",
        system: str = "You are Claude Code.", **extra: Any) -> Request:
    return Request(model=model, messages=[Message("user", [TextBlock(text)])],
                   system=[TextBlock(system)], tools=list(tools or []), **extra)


def agent_loop(task: str, steps: list[tuple[str, dict[str, Any], str, bool]]) -> Request:
    """A conversation: the task, then (tool, input, result, is_error) exchanges."""
    messages = [Message("user", [TextBlock(task)])]
    for n, (name, tool_input, result, is_error) in enumerate(steps):
        messages.append(Message("assistant", [ToolUseBlock(f"t{n}", name, tool_input)]))
        messages.append(Message("user", [ToolResultBlock(f"t{n}", [TextBlock(result)], is_error)]))
    return Request(model="claude-sonnet-4-5", messages=messages, tools=list(CLAUDE_CODE_TOOLS))


def scorer(**routing: Any) -> Scorer:
    return Scorer(RoutingSettings(**routing))


def hand_scorer(**routing: Any) -> Scorer:
    """The hand-set path (thresholds and gate), as with a ``ROUTING_WEIGHTS_FILE``."""
    return Scorer(RoutingSettings(**routing), learned=None)


def value(request: Request, dimension: str, **routing: Any) -> float:
    decision = scorer(**routing).score(request)
    return next(d.value for d in decision.dimensions if d.name == dimension)


@dataclass(frozen=True)
class Signals:
    files_found: int = 1
    max_cyclomatic: float = 2.0
    mean_cyclomatic: float = 1.5
    max_nesting: float = 1.0
    blast_radius: float = 0.0
    dependency_depth: float = 1.0
    centrality: float = 0.0
