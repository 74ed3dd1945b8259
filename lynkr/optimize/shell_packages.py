"""Installers and package runners told to fetch code from a URL, a git repository or GitHub
(pure; one simple command's words in, the address whose code would run out).

``pip install git+https://…`` runs the repository's build scripts and then its code,
``npx github:user/repo`` and ``uvx --from git+https://…`` run it at once, ``npm install
https://…/x.tgz`` runs its install scripts: each is ``curl … | sh`` by another name, so the
``deny-remote`` rule refuses them like a download piped into a shell.

A package named for a registry (``npx prettier``, ``uvx ruff``, ``pip install requests``,
``pnpm dlx create-vite``) passes, although it is remote code too: that is how projects run
their everyday tools, the name resolves through the registry and index the user configured
(mirrors, allow-lists, audits, lockfiles), and refusing it would refuse ordinary work. An
address skips all of that and runs whatever it serves today. Who wants registry runs refused
as well adds ``deny npx *`` (or ``uvx``, ``pnpm dlx``, ...) to the rules.
"""

from __future__ import annotations

import re

from lynkr.optimize.shell_effects import normalize_name

# Command paths that take packages: "install" (every operand is a package) or "run" (the
# first operand is; the words after it are the package's own arguments).
_TOOLS: dict[tuple[str, ...], str] = {
    ("pip", "install"): "install", ("uv", "pip", "install"): "install",
    ("uv", "add"): "install", ("uv", "tool", "install"): "install",
    ("uv", "tool", "run"): "run", ("uvx",): "run", ("uv", "run"): "run",
    ("pipx", "install"): "install", ("pipx", "inject"): "install", ("pipx", "run"): "run",
    ("poetry", "add"): "install", ("pdm", "add"): "install",
    ("npm", "install"): "install", ("npm", "i"): "install", ("npm", "add"): "install",
    ("npm", "exec"): "run", ("npm", "x"): "run", ("npx",): "run", ("pnpx",): "run",
    ("pnpm", "add"): "install", ("pnpm", "dlx"): "run",
    ("yarn", "add"): "install", ("yarn", "dlx"): "run",
    ("bun", "add"): "install", ("bun", "install"): "install", ("bun", "i"): "install",
    ("bun", "x"): "run", ("bunx",): "run", ("cargo", "install"): "install",
}
_NPM_FAMILY = frozenset({"npm", "npx", "pnpm", "pnpx", "yarn", "bun", "bunx"})
# Options whose value names code to install or run.
_SPEC_OPTIONS = frozenset({
    "-e", "--editable", "-r", "--requirement", "--from", "--spec", "--with", "--with-editable",
    "--with-requirements", "-p", "--package", "--git"})
# Options taking another value (an index, a registry, a directory), skipped: an index URL
# says where registry names resolve, not what runs.
_OTHER_VALUED = frozenset({
    "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--index",
    "--default-index", "--registry", "--proxy", "--cert", "--client-cert", "--trusted-host",
    "--python", "--prefix", "-C", "--cwd", "--dir", "--cache", "--cache-dir", "--target", "-t",
    "--root", "--userconfig", "--workspace", "-w", "--filter", "--group", "--optional",
    "--extra", "-c", "--constraint", "--platform", "--python-version", "--src", "--log",
    "--timeout", "--retries", "--config-settings"})
_ADDRESS_PREFIXES = ("git+", "hg+", "svn+", "bzr+", "git@", "github:", "gitlab:",
                     "bitbucket:", "gist:")
_GITHUB_SHORTHAND = re.compile(r"[A-Za-z0-9][\w.-]*/[\w.-]+(?:#\S*)?")


def remote_code(words: list[str]) -> tuple[str, str] | None:
    """(installer, address): the tool (``pip`` for ``python3 -m pip`` too) and the URL,
    repository or GitHub spec whose code ``words`` (wrappers stripped) would install or run;
    None for a registry name, a local path, or no installer at all."""
    name = normalize_name(words[0])
    args = words[1:]
    if name.startswith("python") and args[:2] == ["-m", "pip"]:
        name, args = "pip", args[2:]
    if re.fullmatch(r"pip[\d.]*", name):
        name = "pip"
    operands, _ = _scan(args, None)
    for path, mode in _TOOLS.items():
        depth = len(path) - 1
        if path[0] != name or operands[:depth] != list(path[1:]):
            continue
        # the words after a run's package are its own, whatever options they look like
        packages, specs = _scan(args, depth + 1 if mode == "run" else None)
        for word in specs + packages[depth:]:
            if _is_address(word, npm=name in _NPM_FAMILY):
                return name, word
        return None
    return None


def _scan(args: list[str], stop_after: int | None) -> tuple[list[str], list[str]]:
    """(operands, values of the options naming code), read up to ``stop_after`` operands."""
    operands: list[str] = []
    specs: list[str] = []
    i = 0
    while i < len(args) and (stop_after is None or len(operands) < stop_after):
        word = args[i]
        i += 1
        if word == "--":
            operands += args[i:]
            break
        if not word.startswith("-") or len(word) == 1:
            operands.append(word)
            continue
        key, equals, value = word.partition("=")
        if key in _SPEC_OPTIONS or key in _OTHER_VALUED:
            if not equals:
                value = args[i] if i < len(args) else ""
                i += 1
            if key in _SPEC_OPTIONS:
                specs.append(value)
    return operands[:stop_after] if stop_after is not None else operands, specs


def _is_address(word: str, *, npm: bool) -> bool:
    """A URL (not file://), a VCS or hosted-git spec, or npm's ``user/repo`` GitHub shortcut
    (npm reads ``a/b`` as GitHub unless it starts like a path; ``@scope/pkg`` is a name)."""
    lowered = word.lower()
    if "://" in lowered and not lowered.startswith("file://"):
        return True
    if lowered.startswith(_ADDRESS_PREFIXES) or any(
            f"@{prefix}" in lowered for prefix in ("github:", "gitlab:", "bitbucket:", "git+")):
        return True
    return npm and _GITHUB_SHORTHAND.fullmatch(word) is not None
