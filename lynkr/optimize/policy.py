"""Guard rails for agent runs (pure): per-conversation step and tool-call limits, and a check
of the shell commands a model asks the agent to run.

Limits (``POLICY_MAX_STEPS``, ``POLICY_MAX_TOOL_CALLS``; 0 = unlimited) are counted over the
request's own history: assistant turns are steps, ``tool_use`` blocks are tool calls. A request
over a limit is not sent upstream; the proxy answers it itself with an assistant message that
says the limit was reached and no tool call (``end_turn``). We answer rather than fail because
agents retry errors, while an ordinary final answer ends the run cleanly and tells the user why.

Safe commands (``POLICY_SAFE_COMMANDS_ENABLED``): each call of a shell tool
(:mod:`lynkr.optimize.shell_tools`: Bash, Codex's shell / exec_command, Cursor's
run_terminal_cmd, ...) the model emits is checked with :mod:`lynkr.optimize.shell_rules`. A
blocked call is replaced by a text block telling the agent what was refused and why; when no
tool call remains, the stop reason becomes ``end_turn`` so the agent does not wait for a
result. In streams only the checked tools' blocks are held back (until their arguments are
complete); everything else passes through as it arrives.
A file-editing tool's call (:mod:`lynkr.optimize.file_writes`: Write, Edit, Codex's
``apply_patch`` ...) is checked for the paths it writes against the protected locations (system
paths, home directories, shell start-up files): ``/etc`` refused through ``>`` is refused
through the editor too, while the editor may write outside the workspace.
"""

from __future__ import annotations

import shlex
from collections.abc import AsyncIterator
from dataclasses import replace

from lynkr.config import PolicySettings, Settings
from lynkr.model import Block, Request, Response, TextBlock, ToolUseBlock, Usage
from lynkr.optimize.file_writes import is_file_write_tool, written_paths
from lynkr.optimize.memory import project_of
from lynkr.optimize.shell_rules import (
    DEFAULT,
    Rules,
    check_command,
    check_terminal_input,
    check_write,
)
from lynkr.optimize.shell_tools import SHELL_TOOLS as SHELL_TOOL_NAMES
from lynkr.optimize.shell_tools import command_argument
from lynkr.stream_events import (
    BlockStart,
    BlockStop,
    MessageDelta,
    StreamEvent,
    TextDelta,
    ToolArgsDelta,
)
from lynkr.streams import parse_tool_arguments

# Codex's write_stdin types characters into a shell that exec_command left running: what the
# shell's line editor makes of them is a command line like any other.
TERMINAL_INPUT_TOOL = "write_stdin"
SHELL_TOOLS = SHELL_TOOL_NAMES | {TERMINAL_INPUT_TOOL}


# --- limits -------------------------------------------------------------------------------


def steps_taken(request: Request) -> int:
    return sum(1 for m in request.messages if m.role == "assistant")


def tool_calls_made(request: Request) -> int:
    return sum(1 for m in request.messages if m.role == "assistant"
               for b in m.content if isinstance(b, ToolUseBlock))


def limit_reached(request: Request, policy: PolicySettings) -> str | None:
    """The message to answer with when the conversation is at a limit, else None."""
    if policy.max_steps and steps_taken(request) >= policy.max_steps:
        return (f"Stopping: this conversation reached the proxy's limit of {policy.max_steps} "
                "model steps (POLICY_MAX_STEPS). Start a new conversation or raise the limit "
                "to continue.")
    if policy.max_tool_calls and tool_calls_made(request) >= policy.max_tool_calls:
        return (f"Stopping: this conversation reached the proxy's limit of "
                f"{policy.max_tool_calls} tool calls (POLICY_MAX_TOOL_CALLS). Start a new "
                "conversation or raise the limit to continue.")
    return None


def limit_response(request: Request, message: str) -> Response:
    """The proxy's own final answer for a conversation over a limit."""
    return Response(id=f"msg_lynkr_policy_{len(request.messages)}", model=request.model,
                    content=[TextBlock(message)], stop_reason="end_turn", usage=Usage())


# --- safe commands ------------------------------------------------------------------------


def is_shell_tool(name: str) -> bool:
    return name.lower() in SHELL_TOOLS


def shell_command(arguments: dict[str, object]) -> str | None:
    """The command line a shell tool call carries: a string, or an argv list (Codex's
    ``["bash", "-lc", "..."]``) quoted back into one line so ``-lc`` scripts are checked too."""
    command = command_argument(arguments)
    return shlex.join(command) if isinstance(command, list) else command


def is_checked_tool(name: str) -> bool:
    """A shell tool, or a file-editing one (:mod:`lynkr.optimize.file_writes`)."""
    return is_shell_tool(name) or is_file_write_tool(name)


def refusal(block: ToolUseBlock, rules: Rules = DEFAULT,
            workspace: str | None = None) -> str | None:
    """The text that replaces ``block`` when its command (or the file it writes) is
    blocked, else None."""
    if is_file_write_tool(block.name):
        return _write_refusal(block, rules)
    if not is_shell_tool(block.name):
        return None
    if block.name.lower() == TERMINAL_INPUT_TOOL:
        chars = block.input.get("chars")
        if not isinstance(chars, str):
            return None
        command = chars.strip()
        reason = check_terminal_input(chars, rules, workspace)
    else:
        command = shell_command(block.input)
        if command is None:
            return None
        reason = check_command(command, rules, workspace)
    if reason is None:
        return None
    return (f"[lynkr policy] The {block.name} command `{command}` was blocked and not run: "
            f"{reason}. Choose a safer command (stay inside the workspace, avoid piping "
            "downloads into a shell) or ask the user to run it themselves.")


def _write_refusal(block: ToolUseBlock, rules: Rules) -> str | None:
    """Protected locations only, not the workspace bound: an agent's own editor writes
    outside its directory by design (Claude Code's plan file under ~/.claude/plans, its
    ``--add-dir`` directories, a Codex patch to ../sibling), and the clients ask the user
    for those themselves."""
    for path in written_paths(block.name, block.input):
        if (reason := check_write(path, rules, None)) is not None:
            return (f"[lynkr policy] The {block.name} call writing {path} was blocked and not "
                    f"run: {reason}. Edit files inside the workspace, or ask the user to make "
                    "this change themselves.")
    return None


def workspace_of(request: Request) -> str | None:
    """The agent's working directory when its prompt says (Claude Code, Codex)."""
    project = project_of(request)
    return project if project.startswith("/") else None


def apply_policy_to_response(request: Request, response: Response, settings: Settings,
                             rules: Rules = DEFAULT) -> Response:
    """``response`` with blocked shell and file-editing calls replaced by refusal text (a new
    object)."""
    if not settings.policy.safe_commands_enabled or not response.tool_uses:
        return response
    workspace = workspace_of(request)
    content: list[Block] = []
    blocked = False
    for block in response.content:
        text = refusal(block, rules, workspace) if isinstance(block, ToolUseBlock) else None
        if text is None:
            content.append(block)
        else:
            content.append(TextBlock(text))
            blocked = True
    if not blocked:
        return response
    stop = response.stop_reason
    if stop == "tool_use" and not any(isinstance(b, ToolUseBlock) for b in content):
        stop = "end_turn"
    return replace(response, content=content, stop_reason=stop)


async def apply_policy_to_events(request: Request, events: AsyncIterator[StreamEvent],
                                 settings: Settings, rules: Rules = DEFAULT
                                 ) -> AsyncIterator[StreamEvent]:
    """Pass ``events`` through, holding back each shell or file-editing tool block until its
    arguments are complete, then emitting it unchanged or as a refusal text block."""
    if not settings.policy.safe_commands_enabled:
        async for event in events:
            yield event
        return
    workspace = workspace_of(request)
    held: dict[int, list[StreamEvent]] = {}
    kept_tool_calls = blocked = 0
    try:
        async for event in events:
            if isinstance(event, BlockStart) and isinstance(event.block, ToolUseBlock):
                if is_checked_tool(event.block.name):
                    held[event.index] = [event]
                    continue
                kept_tool_calls += 1
            elif isinstance(event, ToolArgsDelta | BlockStop) and event.index in held:
                held[event.index].append(event)
                if isinstance(event, BlockStop):
                    replacement, kept = _settle(held.pop(event.index), rules, workspace)
                    kept_tool_calls, blocked = kept_tool_calls + kept, blocked + 1 - kept
                    for settled in replacement:
                        yield settled
                continue
            elif isinstance(event, MessageDelta):
                for index in list(held):  # a block the upstream never closed
                    replacement, kept = _settle(held.pop(index), rules, workspace)
                    kept_tool_calls, blocked = kept_tool_calls + kept, blocked + 1 - kept
                    for settled in replacement:
                        yield settled
                if event.stop_reason == "tool_use" and blocked and not kept_tool_calls:
                    event = replace(event, stop_reason="end_turn")
            yield event
    finally:
        close = getattr(events, "aclose", None)
        if close is not None:
            await close()


def _settle(held: list[StreamEvent], rules: Rules,
            workspace: str | None) -> tuple[list[StreamEvent], int]:
    start = held[0]
    assert isinstance(start, BlockStart) and isinstance(start.block, ToolUseBlock)
    arguments = parse_tool_arguments("".join(e.partial_json for e in held
                                             if isinstance(e, ToolArgsDelta)))
    call = ToolUseBlock(start.block.id, start.block.name, arguments)
    text = refusal(call, rules, workspace)
    if text is None:
        return held, 1
    return [BlockStart(start.index, TextBlock("")), TextDelta(start.index, text),
            BlockStop(start.index)], 0

