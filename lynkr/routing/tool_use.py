"""Tool and agent-behaviour rules: what the agent may do and what it has been doing.

Each rule is pure over :class:`~lynkr.routing.features.Features` and returns ``(value, reason)``:

- ``tool_danger``: how many tools are offered (40 → 0.5), +0.3 when Bash/Write/Edit-class tools
  are among them, +0.2 when a recent command looks destructive.
- ``agentic``: recent tool calls (0.08 each, max 0.4), one failing result +0.1, a failing fix
  loop (two or more) +0.45, autonomous asks ("until the tests pass", "keep going") +0.45.
- ``prior_tool_use``: tool calls in the whole conversation, 20 → 1.

``count_error_results`` is what feature extraction uses to count the failing results
``agentic`` reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lynkr.routing.patterns import clamp as _clamp
from lynkr.routing.patterns import distinct as _distinct
from lynkr.routing.patterns import rx as _rx

if TYPE_CHECKING:
    from lynkr.routing.features import Features

_DANGEROUS_TOOLS = frozenset({
    "bash", "write", "edit", "multiedit", "notebookedit", "shell", "exec", "execute",
    "run_command", "run_terminal_cmd", "apply_patch", "delete_file", "write_file", "edit_file",
    "str_replace_based_edit_tool", "computer", "local_shell"})
_DESTRUCTIVE = _rx(r"rm -rf|\bdrop (?:table|database)|--force|push\b|\bdeploy|kubectl|"
                   r"terraform (?:apply|destroy)|\bsudo\b|chmod|\bmigrate\b|truncate|"
                   r"git reset --hard")


def tool_danger(f: Features) -> tuple[float, str]:
    if not f.tools:
        return 0.0, "no tools"
    dangerous = sorted(_DANGEROUS_TOOLS.intersection(f.tools))
    value = min(0.5, len(f.tools) / 40) + (0.3 if dangerous else 0.0)
    reason = f"{len(f.tools)} tools"
    if dangerous:
        reason += f", writes via {', '.join(dangerous[:3])}"
    destructive = _distinct(_DESTRUCTIVE, f.recent_commands)
    if destructive:
        value += 0.2
        reason += f", ran {destructive[0]}"
    return _clamp(value), reason


_AUTONOMOUS = _rx(r"until (?:all )?(?:the )?(?:tests?|build|ci|checks?|lint)\b[^.\n]{0,20}"
                  r"(?:pass|green|succeed)|work until|keep (?:going|iterating|trying)|"
                  r"don'?t stop|\bautonomous|without asking|iterate until|loop until|"
                  r"\bfix (?:all|every|them all)\b|go ahead and|"
                  r"until (?:it(?:'s)? )?(?:done|works)")
_ERROR_RESULT = _rx(r"traceback|\bfailed\b|\bfailures?\b|\berror\b|exit code [1-9]|"
                    r"\bpanic\b|assertionerror|not found")


def agentic(f: Features) -> tuple[float, str]:
    value = min(0.4, 0.08 * f.recent_tool_uses)
    parts = [f"{f.recent_tool_uses} recent tool calls"] if f.recent_tool_uses else []
    errors = f.recent_errors
    if errors:
        value += 0.45 if errors >= 2 else 0.1
        parts.append(f"{errors} failing results" + (" (fix loop)" if errors >= 2 else ""))
    auto = _distinct(_AUTONOMOUS, f.task)
    if auto:
        value += 0.45
        parts.append(f"autonomous: {auto[0]}")
    return _clamp(value), "; ".join(parts) or "not agentic"


def count_error_results(texts: list[str], flagged: int) -> int:
    """Tool results that failed: flagged ``is_error`` or reading like a failure."""
    return flagged + sum(1 for t in texts if _ERROR_RESULT.search(t))


def prior_tool_use(f: Features) -> tuple[float, str]:
    return _clamp(f.n_tool_uses / 20), f"{f.n_tool_uses} tool calls so far"
