"""Where a request works and whose words its newest turn holds: what memory may learn from.

Coding agents name their working directory in the prompt, each in its own words (checked
against the clients' binaries and captured requests):

- Claude Code 2.1.197 writes ``Primary working directory: /x`` in its system prompt, 2.1.332
  in a ``role: "system"`` message (folded into :attr:`Request.system`); a later change of
  directory reads ``Primary working directory: /y (was /x)``. Its subagents (2.1.197) and
  older versions write ``Working directory: /x`` inside ``<env>``.
- Codex CLI sends ``<environment_context>`` with ``<cwd>/x</cwd>`` as a user message.
- Cline writes ``Current Working Directory: /x`` (system) and ``# Current Working Directory
  (/x) Files`` (environment details); Cursor ``The absolute path of the user's workspace is
  /x``.

A request that names none is filed under ``metadata['project']`` or ``"default"``.

Memory learns only from words the *user* typed into the newest turn. Not from:

- a Claude Code subagent's request: its user message is the prompt the main model wrote for
  the Agent/Task tool ("The project uses Flask. Find all routes."), not the user's. Both
  versions mark it twice: ``cc_is_subagent=true`` in the ``x-anthropic-billing-header`` line
  (absent when ``CLAUDE_CODE_ATTRIBUTION_HEADER=0``) and the note every subagent's system
  prompt ends with, "Agent threads always have their cwd reset between bash calls";
- a turn holding only tool results, reminders or command output (then the newest words are an
  older turn's, already read when it was new);
- context clients wrap in tags: ``<system-reminder>``, Claude Code's slash-command and ``!``
  shell echoes, Codex's ``<environment_context>`` and AGENTS.md instructions.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lynkr.model import Request, without_system_reminders

DEFAULT_PROJECT = "default"

# A path as agents print it: POSIX, home-relative or Windows (drive or UNC).
_PATH_START = re.compile(r"(?:/|~|[A-Za-z]:[\\/]|\\\\)")
_WORKING_DIRECTORY = re.compile(
    r"^[ \t>*-]*(?:primary\s+|current\s+)?working\s+directory:[ \t]*(?P<line>[^\n]+)"
    r"|<cwd>\s*(?P<cwd>[^<\n]+?)\s*</cwd>"
    r"|#\s*current\s+working\s+directory\s*\((?P<paren>[^)\n]+)\)"
    r"|absolute\s+path\s+of\s+the\s+user's\s+workspace\s+is:?[ \t]*(?P<sentence>[^\n]+)",
    re.IGNORECASE | re.MULTILINE)
_WAS_SUFFIX = re.compile(r"\s+\(was\s+[^)]*\)\s*$")
_USER_MESSAGES_SCANNED = 4

_SUBAGENT_MARKERS = ("cc_is_subagent=true",
                     "Agent threads always have their cwd reset between bash calls")
# Context a client wraps in tags inside a user turn: not words the user typed.
_WRAPPED_CONTEXT = re.compile(
    r"<(?P<tag>environment_context|user_instructions|local-command-stdout|local-command-stderr"
    r"|local-command-caveat|bash-input|bash-stdout|bash-stderr|command-name|command-message"
    r"|command-args|task-notification|user_shell_command|turn_aborted)>.*?(?:</(?P=tag)>|\Z)"
    r"|^#\s*AGENTS\.md instructions for[^\n]*\n.*?(?:</INSTRUCTIONS>|\Z)",
    re.DOTALL | re.MULTILINE)


def project_of(request: Request) -> str:
    """The project a request works on: the working directory its agent names (see the module
    docstring), else ``request.metadata['project']``, else ``"default"``."""
    texts = [request.system_text,
             *(m.text for m in request.messages[:_USER_MESSAGES_SCANNED] if m.role == "user")]
    for text in texts:
        path = working_directory_in(text)
        if path is not None:
            return path
    project = request.metadata.get("project") if isinstance(request.metadata, dict) else None
    return str(project) if project else DEFAULT_PROJECT


@lru_cache(maxsize=32)  # a session sends the same system prompt every turn, read 3-5 times
def working_directory_in(text: str) -> str | None:
    """The first working directory ``text`` names, normalised (no trailing separator or
    sentence stop), or None. Memoised: memory, the cache key, the memory version and the
    policy each ask per request, and scanning a 60 KB system prompt costs about 1.3 ms."""
    for match in _WORKING_DIRECTORY.finditer(text):
        raw = next(value for value in match.groupdict().values() if value is not None)
        path = _WAS_SUFFIX.sub("", raw).strip().strip("`'\"")
        if match.group("sentence") is not None:
            path = path.rstrip(".")
        if _PATH_START.match(path):
            return path.rstrip("/\\") or path[:1]
    return None


def is_subagent(request: Request) -> bool:
    """Whether ``request`` is a Claude Code subagent's (its user turn is the main model's
    words)."""
    system = request.system_text
    return any(marker in system for marker in _SUBAGENT_MARKERS)


def users_new_words(request: Request) -> str:
    """The words the user typed into the newest message, when that message is the user's:
    empty for a subagent's request, a turn of tool results or one of wrapped context alone."""
    if is_subagent(request) or not request.messages or request.messages[-1].role != "user":
        return ""
    return _WRAPPED_CONTEXT.sub(" ", without_system_reminders(request.messages[-1].text)).strip()
