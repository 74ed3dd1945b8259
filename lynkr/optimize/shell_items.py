"""Commands that run another command over items: ``xargs``, GNU ``parallel`` and ``find -exec``
(pure; one simple command's words in, the commands it would run out).

What they run is checked as if run directly: ``xargs rm -rf /`` is ``rm -rf /``, ``xargs sh
-c '…'`` checks the script, ``find / -exec chmod 777 {} +`` writes under ``/``. The items
themselves are unknown words in general (a placeholder that remembers whose output they
are), but some are plain on the command line: ``parallel rm ::: /``, ``echo / | xargs rm``,
and ``find / … | xargs rm`` deletes under ``/`` as ``find / -delete`` does.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

from lynkr.optimize.shell_effects import find_roots, normalize_name, strip_wrappers

# Short options taking a value: GNU xargs, BSD xargs (-J -R -S), GNU parallel.
_XARGS_VALUED = "adEILnPsJRS"
_PARALLEL_VALUED = "aCdEIjLnNPSs"
# Options whose value is optional and so only ever attached: -e[EOF] -i[R] -l[N].
_ATTACHED_ONLY = "eil"
_VALUED_LONG = frozenset({
    "--arg-file", "--delimiter", "--max-args", "--max-procs", "--max-chars",
    "--process-slot-var", "--jobs", "--colsep", "--max-replace-args", "--joblog", "--results",
    "--timeout", "--retries", "--sshlogin", "--sshloginfile", "--tmpdir", "--workdir", "--env",
    "--halt", "--tagstring", "--load", "--memfree", "--delay", "--basefile", "--return",
    "--arg-sep", "--arg-file-sep", "--termseq", "--limit"})
# parallel's separators of items given on the line (``::::`` names files of items).
_ITEM_SEPARATORS = frozenset({":::", "::::", ":::+", "::::+"})
# parallel's replacement strings: {} {.} {/} {//} {/.} {#} {%} {1} {1.} ...
_PARALLEL_MARKER = re.compile(r"\{\d*(?:\.|/|//|/\.|#|%)?\}")
_EXEC = frozenset({"-exec", "-execdir", "-ok", "-okdir"})
_MAX_UNWRAP = 4


@dataclass(frozen=True)
class ItemRun:
    """What ``xargs`` or ``parallel`` runs: ``command`` (xargs defaults to ``echo``; an empty
    one makes parallel run each item as a command line), the ``marker`` its items replace
    (None: they are appended), the ``items`` given on the line (None: read from stdin), and
    whether the command is ``shell`` text (parallel joins its words and hands them to a shell).
    """

    command: list[str]
    marker: str | None
    items: list[str] | None
    shell: bool


def item_run(words: list[str]) -> ItemRun | None:
    """``words`` (wrappers stripped) read as xargs or parallel; None for any other command."""
    name = normalize_name(words[0]) if words else ""
    if name not in ("xargs", "parallel"):
        return None
    parallel = name == "parallel"
    valued = _PARALLEL_VALUED if parallel else _XARGS_VALUED
    marker = "{}" if parallel else None
    i = 1
    while i < len(words) and words[i].startswith("-") and len(words[i]) > 1:
        option = words[i]
        i += 1
        if option == "--":
            break
        if option.startswith("--"):
            key, equals, value = option.partition("=")
            if key == "--replace":
                marker = value if equals else "{}"
            elif key in _VALUED_LONG and not equals:
                i += 1
            continue
        for k, letter in enumerate(option[1:]):
            attached = option[k + 2:]
            if letter in _ATTACHED_ONLY:
                marker = (attached or "{}") if letter == "i" else marker
                break
            if letter in valued:
                value = attached or (words[i] if i < len(words) else "")
                i += 0 if attached else 1
                marker = value if letter == "I" else marker
                break
    command = words[i:]
    items = None
    if parallel:
        cut = next((k for k, w in enumerate(command) if w in _ITEM_SEPARATORS), None)
        if cut is not None:
            items = [w for w in command[cut + 1:] if w not in _ITEM_SEPARATORS]
            command = command[:cut]
    elif not command:
        command = ["echo"]
    return ItemRun(command, marker, items, parallel)


def item_commands(run: ItemRun, items: list[str]) -> list[list[str]]:
    """The simple commands xargs runs: its command as written (it runs once even when no
    item comes) and with ``items`` in place of its marker, one command per item, or all of
    them appended."""
    commands = [run.command]
    if run.marker:
        commands += [[w.replace(run.marker, item) for w in run.command] for item in items]
    elif items:
        commands.append(run.command + items)
    return commands


def item_texts(run: ItemRun, items: list[str]) -> list[str]:
    """The command lines parallel hands a shell: one per item, each item quoted where a
    replacement string stands or appended; with no command, each item is a command line."""
    if not run.command:
        return list(items)
    text = " ".join(run.command)
    if run.marker and run.marker != "{}" and run.marker in text:  # parallel -I @@
        return [text] + [text.replace(run.marker, shlex.quote(item)) for item in items]
    if _PARALLEL_MARKER.search(text):
        return [text] + [_PARALLEL_MARKER.sub(shlex.quote(item).replace("\\", "\\\\"), text)
                         for item in items]
    return [text] + [f"{text} {shlex.quote(item)}" for item in items]


def exec_commands(words: list[str]) -> list[list[str]]:
    """The commands ``find … -exec CMD {} ;`` runs, ``{}`` standing for each start path (what
    it finds lies under them)."""
    if normalize_name(words[0]) != "find":
        return []
    roots = find_roots(words)
    commands = []
    for i, word in enumerate(words):
        if word in _EXEC:
            end = next((k for k in range(i + 1, len(words)) if words[k] in (";", "+")),
                       len(words))
            command = words[i + 1:end]
            if command:
                commands += [[w.replace("{}", root) for w in command] for root in roots]
    return commands


def listed_items(words: list[str]) -> list[str]:
    """The items a command (wrappers stripped) prints, as far as its words tell: ``echo``'s
    and ``printf``'s arguments, and ``find``'s start paths, under which all it prints lies.
    Other commands print what no command line shows."""
    name = normalize_name(words[0]) if words else ""
    args = [w for w in words[1:] if not w.startswith("-")]
    if name == "echo":
        return args
    if name == "printf":
        return args[1:] if args and "%" in args[0] else args
    if name == "find":
        return find_roots(words)
    return []


def command_proper(words: list[str]) -> list[str]:
    """The command that does the work: wrappers stripped, and xargs or parallel seen through
    to the command they run (``xargs curl -o x URL`` downloads as curl does)."""
    words = strip_wrappers(words)
    for _ in range(_MAX_UNWRAP):
        run = item_run(words)
        if run is None or not run.command:
            break
        command = run.command
        if run.shell and len(command) == 1:
            try:
                command = shlex.split(command[0])
            except ValueError:
                command = command[0].split()
        words = strip_wrappers(command)
    return words


def command_name(words: list[str]) -> str:
    """The normalised name of the command that does the work (``sudo xargs curl`` is curl)."""
    proper = command_proper(words)
    return normalize_name(proper[0]) if proper else ""
