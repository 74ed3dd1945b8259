"""What well-known commands do with their words: which paths they write or delete, which files
they download, and what they run as code (pure; one simple command's words in, facts out).

The rule checker in :mod:`lynkr.optimize.shell_rules` only knows paths and names; everything
command-specific (curl's ``-o``, find's ``-delete``, ``bash -lc``, ``sudo -u root``,
``powershell -EncodedCommand``) lives here so the checker stays one readable loop. Commands
that run other commands over items (xargs, parallel, find -exec) are read by
:mod:`lynkr.optimize.shell_items`, installers given a URL by
:mod:`lynkr.optimize.shell_packages`.
"""

from __future__ import annotations

import base64
import binascii
import posixpath
import re
from urllib.parse import urlsplit

REDIRECTS = frozenset({">", ">>", ">|", "&>", "&>>", "1>", "2>", "1>>", "2>>"})
# Commands whose non-option arguments are all written (or deleted).
_WRITES_ALL = frozenset({"rm", "rmdir", "touch", "mkdir", "tee", "truncate", "shred",
                         "chmod", "chown"})
# Commands whose last argument is the destination.
_WRITES_LAST = frozenset({"cp", "mv", "ln", "install", "rsync"})
# What ``find -exec <cmd>`` may run to delete what it finds.
_DELETERS = frozenset({"rm", "rmdir", "shred", "unlink"})

# Wrappers that run the command after them, with the options of theirs that take a value.
_WRAPPERS = {"sudo": "ugCDhprtTU", "doas": "uC", "env": "uCS", "command": "", "exec": "a",
             "nohup": "", "time": "fo", "nice": "n", "timeout": "ks", "stdbuf": "ioe"}
_WRAPPER_OPERANDS = {"timeout": 1}  # the duration

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh"})
POWERSHELLS = frozenset({"powershell", "pwsh"})
# Run their arguments as code: PowerShell's Invoke-Expression is its eval.
EVALS = frozenset({"eval", "iex", "invoke-expression"})
# Words that may open a simple command without being it (``if curl …``, ``{ rm …; }``, ``!``).
_RESERVED = frozenset({"!", "{", "(", "if", "then", "elif", "else", "do", "while", "until"})
# Interpreters by name prefix: (letters whose option carries the program, letters saying the
# program comes from stdin, letters whose option takes a value that is not the program).
_INTERPRETERS = (
    ("python", "cm", "", "WX"),
    ("perl", "eE", "", ""),
    ("ruby", "e", "", ""),
    ("node", "ep", "", "r"),
)
_SHELL_OPTIONS = ("c", "s", "oO")

# curl / wget options taking a value (short letters; long names only where common).
_CURL_VALUED = "AbcCdDeEFHKmoPQrTtuUwxXyYz"
_CURL_VALUED_LONG = frozenset({"--header", "--data", "--data-raw", "--data-binary", "--user",
                               "--request", "--max-time", "--connect-timeout", "--retry",
                               "--write-out", "--proxy", "--user-agent", "--cookie", "--form",
                               "--referer", "--config", "--cacert", "--cert", "--key"})
_WGET_VALUED = "aABDeIilOoPQRtTUwXY"


def normalize_name(word: str) -> str:
    """A command's name as the rules compare it: base name, lower-cased, without ``.exe``.
    macOS and Windows find ``CURL`` and ``curl.exe`` as ``curl``, and PowerShell's names
    (``IEX``, ``Invoke-Expression``) are case-insensitive, so a rule on one spelling holds
    for all."""
    return posixpath.basename(word.replace("\\", "/")).lower().removesuffix(".exe")


def strip_wrappers(words: list[str]) -> list[str]:
    """The command proper: ``sudo -u root``, ``env -i``, ``VAR=x``, ``timeout 5``, ``if``,
    ``{`` and a subshell's or script block's brackets dropped."""
    i = 0
    while i < len(words):
        word = words[i]
        if re.fullmatch(r"\w+=.*", word) or word in _RESERVED:
            i += 1
            continue
        valued = _WRAPPERS.get(normalize_name(word))
        if valued is None:
            break
        i += 1
        while i < len(words) and words[i].startswith("-") and len(words[i]) > 1:
            option = words[i]
            i += 1
            if option == "--":
                break
            if len(option) == 2 and option[1] in valued:
                i += 1
        i += _WRAPPER_OPERANDS.get(normalize_name(word), 0)
    return _unbracket(words[i:])


def _unbracket(words: list[str]) -> list[str]:
    """``(rm -rf /)`` and PowerShell's ``{iwr x | iex}`` as the words they hold: the opening
    bracket glued to the first word, and closing ones a word has more of than openers."""
    if not words:
        return words
    words = [words[0].lstrip("({") or words[0], *words[1:]]
    last = words[-1]
    while last[-1:] in (")", "}") and last.count(last[-1]) > last.count(
            "(" if last[-1] == ")" else "{"):
        last = last[:-1]
    return [*words[:-1], last] if last else words[:-1]


def write_targets(words: list[str]) -> list[str]:
    """Paths a simple command (wrappers stripped) writes or deletes."""
    targets = []
    for i, word in enumerate(words[:-1]):
        if word in REDIRECTS:
            targets.append(words[i + 1])
    name = normalize_name(words[0])
    args = [w for w in _without_redirects(words[1:]) if not w.startswith("-")]
    if name in _WRITES_ALL:
        if name in ("chmod", "chown") and args:
            args = args[1:]  # the mode / owner comes first
        targets += args
    elif name in _WRITES_LAST and len(args) >= 2:
        targets.append(args[-1])
    elif name == "dd":
        targets += [w[3:] for w in words if w.startswith("of=")]
    elif name == "find" and _find_deletes(words):
        targets += find_roots(words)
    return targets


def find_roots(words: list[str]) -> list[str]:
    """The start paths of a find command line (``.`` when it names none)."""
    i = 1
    while i < len(words) and (words[i] in ("-H", "-L", "-P", "-D") or words[i].startswith("-O")):
        i += 2 if words[i] == "-D" else 1
    roots = []
    for word in words[i:]:
        if word.startswith("-") or word in ("(", "!", ","):
            break
        roots.append(word)
    return roots or ["."]


def _find_deletes(words: list[str]) -> bool:
    for i, word in enumerate(words):
        if word == "-delete":
            return True
        if word in ("-exec", "-execdir", "-ok", "-okdir") and i + 1 < len(words) \
                and normalize_name(words[i + 1]) in _DELETERS:
            return True
    return False


def downloads(words: list[str]) -> list[str]:
    """Files a curl, wget or PowerShell iwr (``-OutFile``) command line saves (normalised
    paths); stdout is not a file."""
    name = normalize_name(words[0])
    if name.startswith("curl"):
        outputs, urls, remote = _read_options(words[1:], "o", "O", _CURL_VALUED,
                                              _CURL_VALUED_LONG, "--output", "--remote-name")
        if remote:
            outputs += [_url_file(url) for url in urls]
    elif name.startswith("wget"):
        outputs, urls, _ = _read_options(words[1:], "O", "", _WGET_VALUED, frozenset(),
                                         "--output-document", "")
        if not outputs:
            outputs = [_url_file(url) or "index.html" for url in urls]
    elif name in ("iwr", "invoke-webrequest", "irm", "invoke-restmethod"):
        outputs = [value for option, value in zip(words, words[1:], strict=False)
                   if option.lower().startswith("-outf")]
    else:
        return []
    return [posixpath.normpath(path) for path in outputs if path and path != "-"]


def _read_options(args: list[str], output: str, remote_flag: str, valued: str,
                  valued_long: frozenset[str], output_long: str,
                  remote_long: str) -> tuple[list[str], list[str], bool]:
    outputs: list[str] = []
    operands: list[str] = []
    remote = False
    words = iter(args)
    for word in words:
        if word == output_long or word in valued_long:
            value = next(words, "")
            if word == output_long:
                outputs.append(value)
        elif word.startswith(output_long + "=") and output_long:
            outputs.append(word.partition("=")[2])
        elif remote_long and word.startswith(remote_long):
            remote = True
        elif word.startswith("--"):
            continue
        elif word.startswith("-") and len(word) > 1:
            for k, letter in enumerate(word[1:]):
                if letter == remote_flag:
                    remote = True
                elif letter in valued:
                    value = word[k + 2:] or next(words, "")
                    if letter == output:
                        outputs.append(value)
                    break
        else:
            operands.append(word)
    return outputs, operands, remote


def _url_file(url: str) -> str:
    return posixpath.basename(urlsplit(url).path)


def program(words: list[str]) -> tuple[list[str], bool]:
    """The words a simple command (wrappers stripped) runs as code, and whether it runs its
    standard input as code instead: ``bash -lc CODE``, ``python3 -c CODE``, ``sh script``,
    ``eval WORDS``, ``iex WORDS``, ``source FILE``, ``powershell -Command CODE``; ``curl … |
    bash``, ``| python3 -``, ``| iex`` and ``| pwsh -`` read stdin, while ``| python3 -m
    json.tool`` or ``| bash -c 'wc -l'`` only read data."""
    name = normalize_name(words[0])
    if name in EVALS:  # PowerShell's iex runs what is piped to it, bash's eval does not
        return words[1:], len(words) == 1 and name != "eval"
    if name in ("source", "."):
        return words[1:2], False
    if name in POWERSHELLS:
        how, code = _powershell(_without_redirects(words[1:]))
        return code, how == "stdin"
    if name in SHELLS:
        program_letters, stdin_letters, valued = _SHELL_OPTIONS
    else:
        found = [spec for spec in _INTERPRETERS if name.startswith(spec[0])]
        if not found:
            return [], False
        _, program_letters, stdin_letters, valued = found[0]
    args = _without_redirects(words[1:])
    i = 0
    while i < len(args):
        word = args[i]
        i += 1
        if word == "-":
            return [], True
        if word == "--":
            break
        if word in ("--eval", "--print"):
            return args[i:i + 1], False
        if word.startswith("--"):
            continue
        if not word.startswith("-"):
            return [word], False
        for k, letter in enumerate(word[1:]):
            if letter in stdin_letters:
                return [], True
            if letter in program_letters:
                attached = word[k + 2:] if name not in SHELLS else ""
                return [attached] if attached else args[i:i + 1], False
            if letter in valued:
                i += 0 if word[k + 2:] else 1
                break
    return args[i:i + 1], i >= len(args)


def command_text(words: list[str]) -> str | None:
    """The command line a shell is handed as text (``bash -lc TEXT``, ``powershell -Command
    TEXT``, ``pwsh -EncodedCommand B64`` decoded), checked as a command line of its own."""
    name = normalize_name(words[0])
    if name in POWERSHELLS:
        how, code = _powershell(_without_redirects(words[1:]))
        return code[0] if how == "text" else None
    code, from_stdin = program(words)
    if name in SHELLS and code and not from_stdin and any(
            w.startswith("-") and not w.startswith("--") and "c" in w for w in words[1:]):
        return code[0]
    return None


# powershell.exe / pwsh options taking a value (as typed, any case; common abbreviations).
_POWERSHELL_VALUED = frozenset({
    "-executionpolicy", "-ex", "-ep", "-windowstyle", "-w", "-version", "-v", "-inputformat",
    "-inf", "-if", "-outputformat", "-of", "-o", "-configurationname", "-config",
    "-workingdirectory", "-wd", "-custompipename", "-settingsfile", "-psconsolefile"})


def _powershell(args: list[str]) -> tuple[str, list[str]]:
    """How powershell.exe / pwsh gets its program: ("text", [command line]) from -Command,
    -EncodedCommand (base64 of UTF-16LE) or a bare argument (Windows PowerShell's default);
    ("file", [path]) from -File; ("stdin", []) from ``-`` or when given none."""
    i = 0
    while i < len(args):
        option = args[i].lower()
        i += 1
        if option == "-":
            return "stdin", []
        if not option.startswith("-"):
            return "text", [" ".join(args[i - 1:])]
        if option in ("-c", "-command") or option.startswith("-com"):
            rest = args[i:]
            return ("stdin", []) if rest == ["-"] else ("text", [" ".join(rest)])
        if option in ("-f", "-fi", "-fil", "-file"):
            return "file", args[i:i + 1]
        if option in ("-e", "-ec") or (option.startswith("-en")
                                       and "-encodedcommand".startswith(option)):
            encoded = args[i] if i < len(args) else ""
            try:
                text = base64.b64decode(encoded, validate=True).decode("utf-16-le", "replace")
            except (binascii.Error, ValueError):
                text = encoded
            return "text", [text]
        if option in _POWERSHELL_VALUED:
            i += 1
    return "stdin", []


# A download handed to PowerShell's iex inside its own parentheses, which the POSIX lexing
# here does not split off: ``iex (iwr URL)``, ``iex ((New-Object Net.WebClient)
# .DownloadString(URL))``.
_FETCH_IN_CODE = re.compile(
    r"\(\s*(iwr|irm|invoke-webrequest|invoke-restmethod|curl|wget)(?![\w-])"
    r"|\.(downloadstring|downloaddata)\s*\(", re.IGNORECASE)


def fetches_in(code: list[str]) -> set[str]:
    """Names of the downloaders whose output PowerShell code run by iex would run."""
    return {(m.group(1) or m.group(2)).lower() for m in _FETCH_IN_CODE.finditer(" ".join(code))}


def reads_stdin(words: list[str]) -> bool:
    """Whether a command at the end of a pipe takes what flows in: always, except for an
    interpreter given its program another way (``python3 -m json.tool``, ``bash -c 'wc -l'``),
    which reads the flow as data rather than running it."""
    name = normalize_name(words[0])
    if name in SHELLS or name in POWERSHELLS or name in EVALS or name in ("source", ".") \
            or any(name.startswith(spec[0]) for spec in _INTERPRETERS):
        return program(words)[1]
    return True


def stdin_source(words: list[str]) -> str | None:
    """The file a ``< FILE`` redirect feeds the command, if any."""
    for i, word in enumerate(words[:-1]):
        if word == "<":
            return words[i + 1]
    return None


def _without_redirects(args: list[str]) -> list[str]:
    operators = REDIRECTS | {"<", ">&", "<&"}
    kept = []
    i = 0
    while i < len(args):
        if args[i] in operators:
            i += 2
        elif args[i].isdigit() and i + 1 < len(args) and args[i + 1] in operators:
            i += 1  # the descriptor of ``2>``
        else:
            kept.append(args[i])
            i += 1
    return kept
