"""The bounded, lower-cased view of a request that the routing rules read, and how it is built.

:func:`extract_features` runs once per request and is where every size bound lives: the task
(the newest user text, Claude Code's ``<system-reminder>`` injections cut) is scanned only up to
a few thousand characters, recent tool calls and results only over the last few messages, and
whole-conversation counts only over the last ``HISTORY`` messages, which keeps a routing decision
cheap however long the conversation grows. The rules themselves live in
:mod:`lynkr.routing.dimensions` and the modules it gathers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lynkr.model import (
    Block,
    Request,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    without_system_reminders,
)
from lynkr.routing.glossary import gloss
from lynkr.routing.mentions import extract_mentions
from lynkr.routing.scope import files_listed, is_search
from lynkr.routing.tool_use import count_error_results
from lynkr.tokens import count_tokens

_PROSE_CAP = 2_500  # chars of the task's prose (code blocks cut) scanned for intent markers
_CODE_CAP = 6_000  # chars of the task scanned for code, traces and mentions
_EXACT_TOKENS_CAP = 4_000  # beyond this many chars, tokens are estimated as chars / 4
_RECENT = 8  # messages whose tool calls and results count as "recent"
HISTORY = 400  # messages walked for whole-conversation counts


@dataclass(frozen=True, slots=True)
class Features:
    """What the rules look at; every text is lower-cased and bounded."""

    task: str  # the task's prose: fenced code cut out, bounded
    task_code: str  # the task with its code, bounded, for code / trace detection
    earlier: str  # the turns before the task when it goes on from them (see _goes_on), else ""
    task_tokens: int
    recent_results: str  # text of the tool results in the last few turns
    recent_commands: str  # Bash-like commands issued in the last few turns
    n_messages: int
    after_task: int  # messages after the task's own (0: the user has just typed it)
    context_chars: int
    n_tool_uses: int
    recent_tool_uses: int
    recent_errors: int
    searched_files: int  # files listed by recent search tools (Glob, Grep, find, rg, ls)
    tools: tuple[str, ...]
    files: tuple[str, ...]
    symbols: tuple[str, ...]


def extract_features(request: Request) -> Features:
    """Build the bounded, lower-cased view of ``request`` that the rules read."""
    messages = request.messages
    task_index, task_raw = _task(request)
    task = _glossed(_bounded(_prose(task_raw), _PROSE_CAP)).lower()
    earlier_text = ""
    if _goes_on(task):
        # Earlier user turns and the assistant's last words before the task (a plan it proposed).
        earlier = [_user_text(m.content)
                   for m in messages[max(0, task_index - 6):max(0, task_index)]]
        earlier_text = _glossed(_bounded(_prose("\n".join(t for t in earlier if t)), _PROSE_CAP))
    n_tool_uses = context_chars = 0
    for message in messages[-HISTORY:]:
        for block in message.content:
            if isinstance(block, ToolUseBlock):
                n_tool_uses += 1
            elif isinstance(block, TextBlock):
                context_chars += len(block.text)
            elif isinstance(block, ToolResultBlock):
                context_chars += sum(len(b.text) for b in block.content if isinstance(b, TextBlock))
    recent_uses, flagged, searched = 0, 0, 0
    search_ids: set[str] = set()
    results: list[str] = []
    unflagged: list[str] = []
    commands: list[str] = []
    paths: list[str] = []
    for message in messages[-_RECENT:]:
        for block in message.content:
            if isinstance(block, ToolUseBlock):
                recent_uses += 1
                _collect_tool_input(block.input, commands, paths)
                if is_search(block.name, block.input):
                    search_ids.add(block.id)
            elif isinstance(block, ToolResultBlock):
                text = block.text[:2_000].lower()
                if block.tool_use_id in search_ids:
                    searched = max(searched, files_listed(text))
                results.append(text)
                if block.is_error:
                    flagged += 1
                else:
                    unflagged.append(text)
    task_code = _bounded(task_raw, _CODE_CAP)
    tokens = (count_tokens(task_raw) if len(task_raw) <= _EXACT_TOKENS_CAP
              else len(task_raw) // 4)
    files, symbols = extract_mentions(task_code, paths)
    return Features(
        task=task,
        task_code=task_code.lower(),
        earlier=earlier_text.lower(),
        task_tokens=tokens,
        recent_results="\n".join(results)[:8_000],
        recent_commands="\n".join(commands)[:4_000].lower(),
        n_messages=len(messages),
        after_task=max(0, len(messages) - 1 - task_index),
        context_chars=context_chars,
        n_tool_uses=n_tool_uses,
        recent_tool_uses=recent_uses,
        recent_errors=count_error_results(unflagged, flagged),
        searched_files=searched,
        tools=tuple(t.name.lower() for t in request.tools[:200]),
        files=files,
        symbols=symbols,
    )


_FOLLOW_UP_WORDS = 40  # a longer task says what it wants itself
_BARE_WORDS = 6  # "and the tests?", "now for stderr": too few words to stand alone
# A task that goes on from the turns before it: an agreement or a pointer back at them.
_GOES_ON = re.compile(
    r"\A\s*(?:(?:yes|yeah|yep|yup|ok|okay|sure|go|do it|do that|do so|sounds good|lgtm|please do|"
    r"proceed|continue|let'?s|agreed|approved|perfect|great|option|the (?:first|second|third|"
    r"last|other) one|both|that|same|and|now|ja|jo|si|oui|da|да|так|давай|evet|tamam|vale|dale|"
    r"bora|vamos|beleza|d'accord|genau|certo)\b|好|はい|네|좋아|نعم)")


def _goes_on(task: str) -> bool:
    """Whether the task is read together with the turns before it: a follow-up that agrees
    ("yes, do it"), points back ("same for the other file") or is too bare to stand alone.
    A short question with content of its own ("what was that env var again?") stands alone:
    a quick recall late in a heavy session is still a quick recall."""
    words = len(task.split())
    return words <= _BARE_WORDS or (words < _FOLLOW_UP_WORDS and bool(_GOES_ON.match(task)))


# --- helpers --------------------------------------------------------------------------------

_FENCED = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)


def _prose(text: str) -> str:
    """The words around code: markers inside pasted code or logs are not the user's intent."""
    return _FENCED.sub(" [code] ", text) if "```" in text else text


def _user_text(content: list[Block]) -> str:
    """User-typed text: Claude Code's ``<system-reminder>`` injections are not the task."""
    parts = []
    for block in content:
        if isinstance(block, TextBlock) and block.text:
            text = without_system_reminders(block.text)
            if text.strip():
                parts.append(text)
    return "\n".join(parts)


def _task(request: Request) -> tuple[int, str]:
    for index in range(len(request.messages) - 1, -1, -1):
        message = request.messages[index]
        if message.role == "user":
            text = _user_text(message.content)
            if text:
                return index, text
    return len(request.messages), ""


def _collect_tool_input(data: dict[str, Any], commands: list[str], paths: list[str]) -> None:
    for key in ("file_path", "path", "notebook_path"):
        value = data.get(key)
        if isinstance(value, str) and 0 < len(value) < 300:
            paths.append(value)
    command = data.get("command")
    if isinstance(command, str):
        commands.append(command[:500])


def _glossed(prose: str) -> str:
    """The prose, plus English glosses of its cue words when it is written in another language
    (see :mod:`lynkr.routing.glossary`), one per line so each reads as its own clause."""
    words = gloss(prose)
    return f"{prose}\n{words}" if words else prose


def _bounded(text: str, cap: int) -> str:
    if len(text) <= cap:
        return text
    head = cap * 2 // 3
    return text[:head] + "\n" + text[-(cap - head):]
