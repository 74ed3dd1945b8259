"""A small allow/deny language for the shell commands a model asks an agent to run.

Rules, one per line (``#`` starts a comment); checks run in this order:

``protect <glob>``   writes to a matching path are blocked (redirects, tee, rm, mv, cp, ...);
                     in path globs ``*`` stays within one directory, ``**`` crosses them
``writable <glob>``  writes to a matching path are always allowed (checked before ``protect``
                     and before the workspace check)
``deny-pipe <a> <b>``  blocked when a command named like ``<a>`` pipes into one named ``<b>``
``allow <glob>`` / ``deny <glob>``  the first rule whose glob matches a simple command (its
                     words joined by single spaces, ``sudo`` and ``VAR=x`` prefixes dropped)
                     decides; a command no rule matches is allowed.

When the agent's workspace is known, writes to absolute paths outside it (and to ``~``) are
blocked unless ``writable``. ``sh -c``/``bash -c`` strings, ``$(...)`` and backticks are
checked as commands of their own. Pure: strings in, a reason (or None) out.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache

DEFAULT_RULES = """
# system locations, home directories and shell start-up files
protect /
protect /*
protect /etc/**
protect /usr/**
protect /bin/**
protect /sbin/**
protect /lib*/**
protect /boot/**
protect /sys/**
protect /proc/**
protect /var/**
protect /dev/**
protect /home/*
protect /Users/*
protect ~
protect ~/
protect $HOME
protect ~/.ssh/**
protect ~/.bashrc
protect ~/.profile
protect ~/.zshrc
writable /dev/null
writable /dev/stdout
writable /dev/stderr
writable /dev/tty
writable /tmp/**
writable /var/tmp/**
# downloads executed blindly
deny-pipe curl* sh
deny-pipe curl* bash
deny-pipe curl* zsh
deny-pipe curl* python*
deny-pipe wget* sh
deny-pipe wget* bash
deny-pipe wget* python*
# destroying disks, history or permissions
deny mkfs*
deny dd * of=/dev/*
deny :(){*
deny chmod -R 777 /*
deny chown -R * /*
deny git push --force*
deny git push -f*
deny shutdown*
deny reboot*
"""

_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh"})
_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "\n", "|&"})
_REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "1>", "2>", "1>>", "2>>"})
# Commands whose non-option arguments are all written (or deleted).
_WRITES_ALL = frozenset({"rm", "rmdir", "touch", "mkdir", "tee", "truncate", "shred",
                         "chmod", "chown"})
# Commands whose last argument is the destination.
_WRITES_LAST = frozenset({"cp", "mv", "ln", "install", "rsync"})
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`")
MAX_DEPTH = 4


@dataclass(frozen=True)
class Rules:
    protect: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()
    pipes: tuple[tuple[str, str], ...] = ()
    commands: tuple[tuple[bool, str], ...] = ()  # (allowed, glob), first match decides


def parse_rules(text: str) -> Rules:
    """Parse the rule language; an unknown verb raises ValueError naming the line."""
    protect, writable, pipes, commands = [], [], [], []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        verb, _, rest = line.partition(" ")
        rest = rest.strip()
        if verb == "protect":
            protect.append(rest)
        elif verb == "writable":
            writable.append(rest)
        elif verb == "deny-pipe" and len(rest.split()) == 2:
            left, right = rest.split()
            pipes.append((left, right))
        elif verb in ("allow", "deny") and rest:
            commands.append((verb == "allow", " ".join(rest.split())))
        else:
            raise ValueError(f"command rules line {number}: cannot read {line!r}")
    return Rules(tuple(protect), tuple(writable), tuple(pipes), tuple(commands))


DEFAULT = parse_rules(DEFAULT_RULES)


def check_command(command: str, rules: Rules = DEFAULT, workspace: str | None = None,
                  _depth: int = 0) -> str | None:
    """Why ``command`` must not run, or None when the rules allow it."""
    if _depth > MAX_DEPTH:
        return "command nests shells too deeply to check"
    for match in _SUBSTITUTION.finditer(command):
        reason = check_command(match.group(1) or match.group(2) or "", rules, workspace,
                               _depth + 1)
        if reason:
            return reason
    pipelines = _pipelines(command)
    for stages in pipelines:
        names = [_name(stage) for stage in stages]
        for i, left in enumerate(names):
            for right in names[i + 1:]:
                for pattern_left, pattern_right in rules.pipes:
                    if fnmatchcase(left, pattern_left) and fnmatchcase(right, pattern_right):
                        return f"piping {left} into {right} runs unreviewed code"
        for stage in stages:
            reason = _check_simple(stage, rules, workspace, _depth)
            if reason:
                return reason
    return None


def _check_simple(words: list[str], rules: Rules, workspace: str | None,
                  depth: int) -> str | None:
    words = _strip_prefixes(words)
    if not words:
        return None
    name = posixpath.basename(words[0])
    if name in _SHELLS:
        for i, word in enumerate(words[1:-1], 1):
            if word.startswith("-") and "c" in word.lstrip("-"):
                return check_command(words[i + 1], rules, workspace, depth + 1)
    if name == "eval":
        return check_command(" ".join(words[1:]), rules, workspace, depth + 1)
    for target in _write_targets(words):
        reason = _check_write(target, rules, workspace)
        if reason:
            return reason
    text = " ".join([name, *words[1:]])
    for allowed, pattern in rules.commands:
        if fnmatchcase(text, pattern):
            return None if allowed else f"`{text}` matches the denied pattern `{pattern}`"
    return None


def _check_write(target: str, rules: Rules, workspace: str | None) -> str | None:
    path = target if target in ("~", "$HOME") else posixpath.normpath(target)
    if target.endswith("/") and path != "/":
        path += "/"
    if any(_path_match(path, pattern) for pattern in rules.writable):
        return None
    for pattern in rules.protect:
        if _path_match(path, pattern):
            return f"it writes to {target}, a protected location"
    if workspace and (path.startswith("/") or path.startswith("~")):
        root = posixpath.normpath(workspace)
        if path.startswith("~") or not (path == root or path.startswith(root.rstrip("/") + "/")):
            return f"it writes to {target}, outside the workspace {workspace}"
    if workspace and path.startswith(".."):
        return f"it writes to {target}, outside the workspace {workspace}"
    return None


@lru_cache(maxsize=512)
def _path_regex(pattern: str) -> re.Pattern[str]:
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    table = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(table.get(p, re.escape(p)) for p in parts) + r"\Z")


def _path_match(path: str, pattern: str) -> bool:
    return _path_regex(pattern).match(path) is not None


def _write_targets(words: list[str]) -> list[str]:
    targets = []
    for i, word in enumerate(words[:-1]):
        if word in _REDIRECTS:
            targets.append(words[i + 1])
    name = posixpath.basename(words[0])
    args = [w for w in words[1:] if not w.startswith("-") and w not in _REDIRECTS]
    args = [w for i, w in enumerate(args) if w not in targets or i == 0]
    if name in _WRITES_ALL:
        if name in ("chmod", "chown") and args:
            args = args[1:]  # the mode / owner comes first
        targets += args
    elif name in _WRITES_LAST and len(args) >= 2:
        targets.append(args[-1])
    elif name == "dd":
        targets += [w[3:] for w in words if w.startswith("of=")]
    return targets


def _pipelines(command: str) -> list[list[list[str]]]:
    """Split into pipelines of simple commands (lists of words)."""
    try:
        lexer = shlex.shlex(command, posix=True, punctuation_chars=";&|<>")
        lexer.whitespace_split = True
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:  # unbalanced quotes: fall back to words, still checked
        tokens = command.split()
    pipelines: list[list[list[str]]] = [[[]]]
    for token in tokens:
        if token in ("|", "|&"):
            pipelines[-1].append([])
        elif token in _SEPARATORS:
            pipelines.append([[]])
        else:
            pipelines[-1][-1].append(token)
    return [[stage for stage in p if stage] for p in pipelines if any(p)]


def _strip_prefixes(words: list[str]) -> list[str]:
    i = 0
    while i < len(words) and (words[i] in ("sudo", "doas", "env", "command", "exec", "nohup",
                                           "time") or re.fullmatch(r"\w+=.*", words[i])):
        i += 1
    return words[i:]


def _name(words: list[str]) -> str:
    stripped = _strip_prefixes(words)
    return posixpath.basename(stripped[0]) if stripped else ""
