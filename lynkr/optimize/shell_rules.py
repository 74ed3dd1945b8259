"""A small allow/deny language for the shell commands a model asks an agent to run.

Rules, one per line (``#`` starts a comment); checks run in this order:

``protect <glob>``   writes to a matching path are blocked (redirects, tee, rm, mv, cp,
                     ``find -delete`` / ``-exec rm`` on its start paths, ...); in path globs
                     ``*`` stays within one directory, ``**`` crosses them; ``$HOME`` is ``~``
``writable <glob>``  writes to a matching path are always allowed (checked before ``protect``
                     and before the workspace check)
``deny-pipe <a> <b>``  blocked when output of a command named like ``<a>`` is run by one named
                     ``<b>``: piped in (``curl … | sh``, ``iwr … | iex``), substituted as its
                     program (``sh -c "$(curl …)"``, ``bash <(curl …)``, ``eval "$(curl …)"``,
                     ``iex (iwr …)``: ``eval``, ``source`` and ``.`` count as ``sh``), fed to it
                     as items (``curl … | xargs sh -c``), or saved to a file it then runs
                     (``curl -o x … && sh x``; running ``./x`` itself counts as ``sh``). An
                     interpreter given its program another way only reads the pipe as data:
                     ``curl … | python3 -m json.tool`` passes. Either side may list
                     alternatives separated by commas
``deny-remote <glob>``  blocked when a command named like ``<glob>`` installs or runs code
                     straight from a URL, a git repository or GitHub (``pip install
                     git+https://…``, ``npx github:u/r``, ``uvx --from git+…``); registry
                     names pass (see :mod:`lynkr.optimize.shell_packages` for why)
``allow <glob>`` / ``deny <glob>``  the first rule whose glob matches a simple command (its
                     words joined by single spaces, ``sudo``, ``env`` and ``VAR=x`` prefixes
                     dropped) decides; a command no rule matches is allowed.

Command names are compared lower-cased and without ``.exe`` (``CURL`` on macOS and
``curl.exe`` on Windows are curl; PowerShell's ``IEX`` is ``iex``). When the agent's workspace
is known, writes to absolute paths outside it (and to ``~``) are blocked unless ``writable``;
relative paths are the workspace's own (``..`` is outside it). ``sh -c`` / ``bash -c`` /
``powershell -Command`` (and ``-EncodedCommand``) strings, ``eval``, ``iex``, ``$(...)``,
backticks, ``<(...)``, and what ``xargs``, ``parallel`` and ``find -exec`` run are checked as
commands of their own. Text typed into an interactive shell (Codex's ``write_stdin``) is
checked by :func:`check_terminal_input`. What particular commands write, download or run is
read by :mod:`lynkr.optimize.shell_effects`, :mod:`~lynkr.optimize.shell_items` and
:mod:`~lynkr.optimize.shell_packages`. Pure: strings in, a reason (or None) out.
"""

from __future__ import annotations

import posixpath
import re
import shlex
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache

from lynkr.optimize.shell_effects import (
    EVALS,
    command_text,
    downloads,
    fetches_in,
    normalize_name,
    program,
    reads_stdin,
    stdin_source,
    strip_wrappers,
    write_targets,
)
from lynkr.optimize.shell_items import (
    ItemRun,
    command_name,
    command_proper,
    exec_commands,
    item_commands,
    item_run,
    item_texts,
    listed_items,
)
from lynkr.optimize.shell_packages import remote_code
from lynkr.optimize.shell_terminal import typed_lines

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
protect ~/.ssh
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
# downloads run as code: curl, wget, PowerShell's iwr / irm and WebClient's DownloadString
deny-pipe curl*,wget*,iwr,irm,invoke-webrequest,invoke-restmethod sh,bash,zsh,dash,ksh
deny-pipe curl*,wget*,iwr,irm,invoke-webrequest,invoke-restmethod python*,perl*,ruby*,node*
deny-pipe curl*,wget*,iwr,irm,invoke-webrequest,invoke-restmethod iex,invoke-expression
deny-pipe curl*,wget*,iwr,irm,invoke-webrequest,invoke-restmethod powershell*,pwsh*
deny-pipe downloadstring,downloaddata iex,invoke-expression,powershell*,pwsh*,sh,bash
# installers and package runners handed a URL, a git repository or a GitHub spec
deny-remote *
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

_SEPARATORS = frozenset({";", "&&", "||", "|", "&", "\n", "|&"})
# $(...), `...` and process substitution <(...) / >(...), innermost first
_SUBSTITUTION = re.compile(r"\$\(([^()]*)\)|`([^`]*)`|[<>]\(([^()]*)\)")
_HOME = re.compile(r"^\$(HOME\b|\{HOME\})")
_PLACEHOLDER = re.compile(r"__lynkr_substitution_\d+__")
MAX_DEPTH = 4


@dataclass(frozen=True)
class Rules:
    protect: tuple[str, ...] = ()
    writable: tuple[str, ...] = ()
    pipes: tuple[tuple[str, str], ...] = ()
    commands: tuple[tuple[bool, str], ...] = ()  # (allowed, glob), first match decides
    remote: tuple[str, ...] = ()  # names of commands that may not run code from an address


def parse_rules(text: str) -> Rules:
    """Parse the rule language; an unknown verb raises ValueError naming the line."""
    protect, writable, pipes, commands, remote = [], [], [], [], []
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
            lefts, rights = (side.lower().split(",") for side in rest.split())
            pipes += [(left, right) for left in lefts for right in rights if left and right]
        elif verb == "deny-remote" and len(rest.split()) == 1:
            remote.append(rest.lower())
        elif verb in ("allow", "deny") and rest:
            name, _, args = rest.partition(" ")
            commands.append((verb == "allow", " ".join([name.lower(), *args.split()])))
        else:
            raise ValueError(f"command rules line {number}: cannot read {line!r}")
    return Rules(tuple(protect), tuple(writable), tuple(pipes), tuple(commands), tuple(remote))


DEFAULT = parse_rules(DEFAULT_RULES)


def check_command(command: str, rules: Rules = DEFAULT,
                  workspace: str | None = None) -> str | None:
    """Why ``command`` must not run, or None when the rules allow it."""
    scope = _Scope(rules, workspace)
    reason = _check(command, scope, 0)
    while reason and _PLACEHOLDER.search(reason):  # say it in the model's own words
        reason = _PLACEHOLDER.sub(lambda m: scope.texts[m.group()], reason)
    return reason


def check_terminal_input(chars: str, rules: Rules = DEFAULT,
                         workspace: str | None = None) -> str | None:
    """Why ``chars`` must not be typed into an interactive shell (Codex's ``write_stdin``),
    or None: the lines its line editor makes of them are checked as a command line."""
    return check_command(typed_lines(chars), rules, workspace)


@dataclass
class _Scope:
    """One command line being checked: the rules, and what its earlier parts produced."""

    rules: Rules
    workspace: str | None
    # placeholder word -> names of the commands whose output the substitution expands to
    substitutions: dict[str, frozenset[str]] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # placeholder -> what it replaced
    downloaded: dict[str, str] = field(default_factory=dict)  # file -> the command saving it

    def placeholder(self, names: frozenset[str], text: str) -> str:
        """A word standing for output of the commands ``names``, shown as ``text``."""
        key = f"__lynkr_substitution_{len(self.substitutions)}__"
        self.substitutions[key] = names
        self.texts[key] = text
        return key

    def sources(self, word: str) -> set[str]:
        """Names of the commands whose output ``word`` carries (substituted or saved)."""
        names = {n for key in _PLACEHOLDER.findall(word) for n in self.substitutions[key]}
        saver = self.downloaded.get(posixpath.normpath(word)) if word else None
        return names | {saver} if saver else names

    def feeders(self, stage: list[str]) -> set[str]:
        """Names of the commands whose output ``stage`` prints: its own, and what it echoes."""
        return {command_name(stage)} | {n for w in stage for n in self.sources(w)}


def _check(command: str, scope: _Scope, depth: int) -> str | None:
    if depth > MAX_DEPTH:
        return "command nests shells too deeply to check"
    # Innermost substitutions first: each is checked as a command of its own, then stands in
    # the line as a placeholder word that remembers whose output it is.
    while match := _SUBSTITUTION.search(command):
        inner = next((g for g in match.groups() if g is not None), "")
        reason = _check(inner, scope, depth + 1)
        if reason:
            return reason
        key = scope.placeholder(frozenset(
            {command_name(stage) for stages in _pipelines(inner) for stage in stages}
            | scope.sources(inner)), match.group())
        command = command[:match.start()] + key + command[match.end():]
    for stages in _pipelines(command):
        for i, stage in enumerate(stages):
            feeders = scope.feeders(stage)
            for later in stages[i + 1:]:
                words = strip_wrappers(later)
                if words and reads_stdin(words):
                    reason = _denied_feed(feeders, normalize_name(words[0]), scope.rules,
                                          "piping {left} into {right} runs unreviewed code")
                    if reason:
                        return reason
        for i, stage in enumerate(stages):
            reason = _check_simple(stage, scope, depth, stages[:i])
            if reason:
                return reason
            words = command_proper(stage)
            if words:
                scope.downloaded.update(dict.fromkeys(downloads(words),
                                                      normalize_name(words[0])))
    return None


def _denied_feed(feeders: set[str], right: str, rules: Rules, message: str) -> str | None:
    """The refusal when output of a command named in ``feeders`` is run by ``right``."""
    runner = "sh" if right in ("eval", "source", ".") else right
    for left in sorted(feeders):
        for pattern_left, pattern_right in rules.pipes:
            if fnmatchcase(left, pattern_left) and fnmatchcase(runner, pattern_right):
                return message.format(left=left, right=right)
    return None


def _check_simple(words: list[str], scope: _Scope, depth: int,
                  earlier: list[list[str]] | None = None) -> str | None:
    """Check one simple command; ``earlier`` are the pipeline stages writing to its stdin."""
    if depth > MAX_DEPTH:
        return "command nests shells too deeply to check"
    words = strip_wrappers(words)
    if not words:
        return None
    name = normalize_name(words[0])
    run = item_run(words)
    if run is not None:
        return _check_item_run(run, words, scope, depth, earlier or [])
    code, from_stdin = program(words)
    fed = {n for word in code for n in scope.sources(word)}
    if name in EVALS:
        fed |= fetches_in(code)
    if from_stdin and (source := stdin_source(words)):
        fed |= scope.sources(source)
    runs = _denied_feed(fed, name, scope.rules, "{right} would run {left} output as code")
    # running a substitution or a just-downloaded file directly runs it as a script
    shown = words[0].replace("{", "{{").replace("}", "}}")
    runs = runs or _denied_feed(scope.sources(words[0]), "sh", scope.rules,
                                f"running {shown} runs {{left}} output as code")
    if runs:
        return f"{runs}, unreviewed"
    remote = remote_code(words)
    if remote and any(fnmatchcase(remote[0], pattern) for pattern in scope.rules.remote):
        return f"{remote[0]} would install and run code straight from {remote[1]}, unreviewed"
    text = command_text(words)
    if text is None and name in EVALS:
        text = " ".join(words[1:])
    # A shell handed text (or eval) only carries it: the text is judged by the rules, as
    # ``sudo`` is dropped, and its redirects are still writes.
    reason = _check(text, scope, depth + 1) if text is not None else None
    for inner in exec_commands(words):  # find -exec
        reason = reason or _check_simple(inner, scope, depth + 1)
    for target in write_targets(words):
        reason = reason or check_write(target, scope.rules, scope.workspace)
    if reason or text is not None:
        return reason
    text = " ".join([name, *words[1:]])
    for allowed, pattern in scope.rules.commands:
        if fnmatchcase(text, pattern):
            return None if allowed else f"`{text}` matches the denied pattern `{pattern}`"
    return None


def _check_item_run(run: ItemRun, words: list[str], scope: _Scope, depth: int,
                    earlier: list[list[str]]) -> str | None:
    """xargs or parallel: what it runs, checked as if run directly, as written and with the
    items it gets: those on its line, or what the stages before it (or ``< file``) print,
    plainly listed or as a placeholder remembering whose output they are."""
    items = run.items
    if items is None:
        source = stdin_source(words)
        if source is not None:
            known, names = [], scope.sources(source)
        else:
            known = listed_items(command_proper(earlier[-1])) if earlier else []
            names = {n for stage in earlier for n in scope.feeders(stage)}
        reads = f"what {normalize_name(words[0])} reads"
        items = [*known, scope.placeholder(frozenset(names), reads)]
    # parallel's items go into the shell text it builds; its words as written are checked too
    for command in item_commands(run, items) if not run.shell else [run.command]:
        reason = _check_simple(command, scope, depth + 1)
        if reason:
            return reason
    for text in item_texts(run, items) if run.shell else []:
        reason = _check(text, scope, depth + 1)
        if reason:
            return reason
    return None


def check_write(target: str, rules: Rules, workspace: str | None) -> str | None:
    """Why writing to ``target`` is refused (a protected location, outside the workspace),
    or None."""
    path = posixpath.normpath(_HOME.sub("~", target))  # $HOME/.ssh is ~/.ssh
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
