"""The shell tools of the agents lynkr serves, and where each carries its command line (pure).

Read by the safe-commands policy (which commands to check) and by the compressors (which
results are a file printed through the shell); kept apart from both so neither pulls in the
other. Names come from each agent's tool definitions and system prompt, matched lower-cased:

* Claude Code ``Bash``; Anthropic's bash tool, opencode, Crush ``bash``
* Codex CLI ``shell`` (argv list), ``shell_command`` (string), ``exec_command`` (``cmd``),
  ``local_shell`` (Responses API built-in, argv list)
* Cursor ``run_terminal_cmd``; Windsurf ``run_command`` (``CommandLine``)
* Cline, Roo Code ``execute_command``; OpenHands ``execute_bash``; OpenHands SDK, Zed
  ``terminal``; Continue ``builtin_run_terminal_command``, later ``run_terminal_command``
* Gemini CLI, Qwen Code ``run_shell_command``; VS Code Copilot agent ``run_in_terminal``
* ``exec``: the generic name of many small agents
"""

from __future__ import annotations

from collections.abc import Mapping

SHELL_TOOLS = frozenset({
    "bash", "shell", "shell_command", "exec_command", "local_shell", "run_terminal_cmd",
    "run_command", "execute_command", "execute_bash", "terminal", "builtin_run_terminal_command",
    "run_terminal_command", "run_shell_command", "run_in_terminal", "exec"})
# Where those tools carry the command line, first match wins.
COMMAND_ARGUMENTS = ("command", "cmd", "CommandLine")


def command_argument(arguments: Mapping[str, object]) -> str | list[str] | None:
    """The command line a shell tool call carries, as given: a string, or an argv list
    (Codex's ``["bash", "-lc", "..."]``); None when it carries neither."""
    for key in COMMAND_ARGUMENTS:
        command = arguments.get(key)
        if isinstance(command, str):
            return command
        if isinstance(command, list) and command \
                and all(isinstance(part, str) for part in command):
            return command
    return None
