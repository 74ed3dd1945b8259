"""Shell commands that print one file, read as file reads (pure: a tool call in, facts out).

Why: agents read files through their shell too, Codex always (it has no read tool and its
``apply_patch`` quotes the lines it changes) and Claude Code often (``cat``, ``sed -n``).
That output is the file's lines, one per line, and the agent edits from it as from any
read; cut as command output it lost lines mid-definition without saying which file lines
to read again. A call recognised here goes through the file-read rules of
:mod:`lynkr.optimize.tool_results` (whole up to the read limit, past it cut at definitions by
:mod:`lynkr.optimize.compressors.source`), each cut naming a command that prints its lines::

    [… 690 lines omitted (file lines 201-890: def load, def dump; read them again with
    sed -n '201,890p' src/app.py)]

What counts is one pipeline whose first command prints one file named by one plain path,
and whose other commands (after ``|``) only pick or number lines, so every output line is
a file line at a known place (Codex's habit ``nl -ba f.rs | sed -n '120,240p'``):

* ``cat`` (``-n``, ``-b``); ``nl`` (``-ba``, ``-b a``, ``-w N``, ``-n ln|rn|rz``); ``sed -n
  'A,Bp'`` (also ``Ap``, ``A,$p``, ``A,+Np``); ``head`` (``-n N``, ``-N``, ``--lines=N``);
  ``tail -n +K`` (``tail -n N`` too: the lines are the file's last N, where they start is
  not known, so the re-read repeats the command and picks lines of its output); ``bat`` /
  ``batcat`` (``-p``, ``--plain``, ``--style=plain``, ``-r A:B``, ``--paging=never``),
  which prints plain text into a pipe;
* the same commands without a path after a ``|``; ``2>/dev/null`` and ``2>&1`` anywhere;
* all of it given as ``bash -lc '…'`` (Codex's ``shell`` argv) as well as a command line.

Not a file read: several paths (``cat a b``), a glob, a variable or command substitution,
other redirects, lists (``&&``, ``;``), any other filter (``grep``, ``awk``, ``sort``), and a
path ending like data (:data:`DATA_SUFFIXES`): the agent searches a JSON, CSV or log file
more than it edits it, and that output keeps its own compressors (JSON as a lossless table,
the rows the user asked about kept), as before.

Where the lines are comes from the command, not from line-number prefixes: ``nl`` and ``cat
-b`` do not number blank lines, so their numbers are not file lines. Numbering stops at an
agent's truncation notice (Codex's ``…N tokens truncated…``, Claude Code's ``... [N lines
truncated] ...``): past it the place of a line is not known.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from lynkr.optimize.shell_effects import command_text, normalize_name
from lynkr.optimize.shell_tools import SHELL_TOOLS, command_argument

__all__ = ["DATA_SUFFIXES", "ShellRead", "parse_read_command", "shell_read"]

DATA_SUFFIXES = frozenset({".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".log"})

_STDERR = re.compile(r"(?<!\S)2>(?:&1|\s*/dev/null)(?!\S)")
_SED_RANGE = re.compile(r"(\d+)(?:,(\d+|\$|\+\d+))?p")
_BAT_RANGE = re.compile(r"(\d*):?(\d*)")
_TRUNCATED = re.compile(
    r"…\d+ (?:tokens|chars) truncated…|^\.\.\. \[\d+ lines truncated\] \.\.\.$")
_BAT_FLAGS = frozenset({"-p", "-pp", "--plain", "--style=plain", "-P", "--no-paging",
                        "--paging=never", "--color=never", "--decorations=never"})


@dataclass(frozen=True, slots=True)
class _Stage:
    """One command of the pipeline: how many lines of what flows in it skips (None: not
    known), whether it prints a line-number prefix, and the path it reads (None: stdin)."""

    skip: int | None
    numbered: bool
    path: str | None


@dataclass(frozen=True, slots=True)
class ShellRead:
    """A shell command that prints lines of one file: ``path``, how many file lines come
    before its first output line (``skip``; None when not known: ``tail -n N``), whether its
    lines carry number prefixes, and the ``command`` itself (to repeat when ``skip`` is
    unknown)."""

    command: str
    path: str
    skip: int | None
    numbered: bool

    def again(self, first: int, last: int) -> str:
        """A command printing file lines ``first``-``last`` as this read printed them."""
        pick = f"sed -n '{first},{last}p'"
        if self.numbered:
            return f"nl -ba {_quote(self.path)} | {pick}"
        return f"{pick} {_quote(self.path)}"

    def locator(self, text: str) -> Callable[[Sequence[str], int, int], tuple[str, str]]:
        """How the cut of ``text`` (this command's output) names lines ``start:end`` of it:
        ``(where they are, how to read them again)`` (see ``source.Locator``)."""
        lines = text.split("\n")
        known = next((i for i, line in enumerate(lines) if _TRUNCATED.search(line)), len(lines))
        if 0 < known < len(lines) and not lines[known - 1]:
            known -= 1  # Claude Code puts a blank line before its notice

        def locate(_: Sequence[str], start: int, end: int) -> tuple[str, str]:
            here = f"lines {start + 1}-{end} of this read"
            if end > known:
                return here, ""
            if self.skip is None:
                return here, f"read them again with {self.command} | sed -n '{start + 1},{end}p'"
            first, last = self.skip + start + 1, self.skip + end
            return f"file lines {first}-{last}", f"read them again with {self.again(first, last)}"

        return locate


def shell_read(tool_name: str, arguments: Mapping[str, Any]) -> ShellRead | None:
    """The file read a shell tool call makes (see module docstring), else None."""
    if tool_name.lower() not in SHELL_TOOLS:
        return None
    command = command_argument(arguments)
    if isinstance(command, list):
        inner = command_text(command) if len(command) > 1 else None
        command = inner if inner is not None else shlex.join(command)
    return parse_read_command(command) if command is not None else None


@lru_cache(maxsize=1024)  # every re-sent result of a conversation asks again
def parse_read_command(command: str) -> ShellRead | None:
    """``command`` read as a command printing lines of one file, else None."""
    line = _STDERR.sub(" ", command).strip()
    if not line or "\n" in line:
        return None
    try:
        lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|<>()")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        return None
    stages: list[list[str]] = [[]]
    for token in tokens:
        if token == "|":
            stages.append([])
        elif token and token[0] in ";&|<>()":
            return None
        else:
            stages[-1].append(token)
    if len(stages) == 1 and stages[0] and normalize_name(stages[0][0]) in ("bash", "sh", "zsh"):
        inner = command_text(stages[0])
        return parse_read_command(inner) if inner is not None and inner != command else None
    parsed = [_stage(words) for words in stages]
    if any(stage is None for stage in parsed):
        return None
    first, *rest = [s for s in parsed if s is not None]
    path = first.path
    numbered = sum(s.numbered for s in (first, *rest))
    if path is None or any(s.path is not None for s in rest) or _is_data(path) or numbered > 1:
        return None  # numbered twice: a second prefix the cut would read as the line's text
    skips = [first.skip, *(s.skip for s in rest)]
    skip = None if None in skips else sum(s for s in skips if s is not None)
    return ShellRead(line, path, skip, numbered == 1)


def _stage(words: list[str]) -> _Stage | None:
    if not words:
        return None
    name, args = normalize_name(words[0]), words[1:]
    read = {"cat": _cat, "nl": _nl, "sed": _sed, "head": _head, "tail": _tail, "bat": _bat,
            "batcat": _bat}.get(name)
    return read(args) if read is not None else None


def _operands(args: list[str]) -> tuple[list[str], str | None] | None:
    """Options and the path: at most one word that is not an option (``--`` ends options)."""
    options: list[str] = []
    paths: list[str] = []
    ended = False
    for word in args:
        if not ended and word == "--":
            ended = True
        elif not ended and word.startswith("-") and word != "-":
            options.append(word)
        else:
            paths.append(word)
    if len(paths) > 1 or (paths and not _plain_path(paths[0])):
        return None
    return options, (paths[0] if paths else None)


def _cat(args: list[str]) -> _Stage | None:
    found = _operands(args)
    if found is None or not set(found[0]) <= {"-n", "-b", "-u", "--number",
                                              "--number-nonblank"}:
        return None
    return _Stage(0, bool(set(found[0]) - {"-u"}), found[1])


def _nl(args: list[str]) -> _Stage | None:
    found = _operands(_joined(args, ("-b", "-w", "-n")))
    if found is None or not all(re.fullmatch(r"-b[at]|-w\d+|-n(?:ln|rn|rz)", option)
                                for option in found[0]):
        return None
    return _Stage(0, True, found[1])


def _sed(args: list[str]) -> _Stage | None:
    if len(args) not in (2, 3) or args[0] != "-n":
        return None
    script = _SED_RANGE.fullmatch(args[1])
    found = _operands(args[2:])
    if script is None or found is None or found[0]:
        return None
    return _Stage(max(0, int(script.group(1)) - 1), False, found[1])


def _head(args: list[str]) -> _Stage | None:
    found = _operands(_joined(args, ("-n", "--lines")))
    if found is None or not all(re.fullmatch(r"-n-?\d+|--lines=-?\d+|-\d+", option)
                                for option in found[0]):
        return None
    return _Stage(0, False, found[1])


def _tail(args: list[str]) -> _Stage | None:
    found = _operands(_joined(args, ("-n", "--lines")))
    if found is None or len(found[0]) > 1:
        return None
    option = found[0][0] if found[0] else "-n10"
    counted = re.fullmatch(r"(?:-n|--lines=)(\+?)(\d+)|-(\d+)", option)
    if counted is None:
        return None
    if counted.group(1):
        return _Stage(max(0, int(counted.group(2)) - 1), False, found[1])
    return _Stage(None, False, found[1])


def _bat(args: list[str]) -> _Stage | None:
    found = _operands(_joined(args, ("-r", "--line-range")))
    if found is None:
        return None
    skip = 0
    for option in found[0]:
        ranged = re.fullmatch(r"(?:-r|--line-range=)(.*)", option)
        if ranged is not None and (bounds := _BAT_RANGE.fullmatch(ranged.group(1))):
            skip = max(0, int(bounds.group(1) or 1) - 1)
        elif option not in _BAT_FLAGS:
            return None
    return _Stage(skip, False, found[1])


def _joined(args: list[str], valued: Sequence[str]) -> list[str]:
    """``-n 20`` as ``-n20`` and ``--lines 20`` as ``--lines=20``: one word per option."""
    out: list[str] = []
    i = 0
    while i < len(args):
        word = args[i]
        if word in valued and i + 1 < len(args):
            out.append(word + ("=" if word.startswith("--") else "") + args[i + 1])
            i += 2
        else:
            out.append(word)
            i += 1
    return out


def _plain_path(word: str) -> bool:
    """A path the shell passes as written: no glob, variable or command substitution (every
    other word is checked by its command's own rule, so ``sed -n '5,$p'`` passes)."""
    return bool(word) and not any(c in word for c in "*?$`\n\t") and word != "-"


def _is_data(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return any(name.endswith(suffix) for suffix in DATA_SUFFIXES)


def _quote(path: str) -> str:
    """``path`` as a shell word; a leading ``~/`` stays outside the quotes to expand."""
    if path.startswith("~/"):
        return "~/" + shlex.quote(path[2:])
    return shlex.quote(path)
