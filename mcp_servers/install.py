"""Registration snippets for Claude Code, Cursor and Codex, and merging them into config files.

Writing merges: the user's other servers and settings are kept, only the ``lynkr`` entry is
added or replaced. The snippet builders are pure; ``install`` does the file I/O.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

SERVER_NAME = "lynkr"


class InstallError(Exception):
    """The client's config file cannot be updated (it is left as it was)."""


def server_entry(root: str | None = None, url: str | None = None,
                 command: str = "lynkr") -> dict[str, Any]:
    """The ``mcpServers`` entry (Claude / Cursor JSON shape) that starts or reaches lynkr."""
    if url:
        return {"type": "http", "url": url}
    args = ["mcp"] + (["--root", root] if root else [])
    return {"command": command, "args": args}


def lynkr_command() -> str:
    """The absolute path of the ``lynkr`` script of the running environment: installed with
    uv, lynkr is rarely on the PATH a client starts servers with."""
    script = Path(sys.executable).parent / "lynkr"
    return str(script) if script.exists() else (shutil.which("lynkr") or "lynkr")


def merge_mcp_json(existing: str | None, entry: dict[str, Any]) -> str:
    """``existing`` JSON config text with ``mcpServers.lynkr`` set to ``entry``."""
    config = json.loads(existing) if existing and existing.strip() else {}
    if not isinstance(config, dict):
        raise ValueError("the config file does not hold a JSON object")
    servers = config.setdefault("mcpServers", {})
    if not isinstance(servers, dict):
        raise ValueError("mcpServers in the config file is not an object")
    servers[SERVER_NAME] = entry
    return json.dumps(config, indent=2) + "\n"


def _toml_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid TOML basic string


def codex_table(entry: dict[str, Any]) -> str:
    """The ``[mcp_servers.lynkr]`` table for ``~/.codex/config.toml``."""
    lines = [f"[mcp_servers.{SERVER_NAME}]"]
    if "url" in entry:
        lines.append(f"url = {_toml_string(entry['url'])}")
    else:
        lines.append(f"command = {_toml_string(entry['command'])}")
        lines.append("args = [" + ", ".join(_toml_string(a) for a in entry["args"]) + "]")
    return "\n".join(lines) + "\n"


_OUR_TABLE = re.compile(rf"^\[mcp_servers\.{SERVER_NAME}(\.[^\]]+)?\]\s*$")
_ANY_TABLE = re.compile(r"^\[\[?[^\]]+\]\]?\s*$")


def merge_codex_toml(existing: str | None, entry: dict[str, Any]) -> str:
    """``existing`` TOML with our table (and its sub-tables) replaced by a fresh one."""
    if existing:
        tomllib.loads(existing)  # refuse to edit a file we cannot read back
    kept: list[str] = []
    inside = False
    for line in (existing or "").splitlines():
        if _ANY_TABLE.match(line.strip()):
            inside = bool(_OUR_TABLE.match(line.strip()))
        if not inside:
            kept.append(line)
    text = "\n".join(kept).rstrip()
    merged = (text + "\n\n" if text else "") + codex_table(entry)
    tomllib.loads(merged)
    return merged


def config_path(client: str, *, home: Path, cwd: Path) -> Path:
    """Where each client reads its MCP servers (Claude Code: the project's .mcp.json)."""
    return {
        "claude": cwd / ".mcp.json",
        "cursor": home / ".cursor" / "mcp.json",
        "codex": home / ".codex" / "config.toml",
    }[client]


def snippet(client: str, entry: dict[str, Any]) -> str:
    """What to run or paste to register lynkr with ``client``."""
    if client == "codex":
        return codex_table(entry)
    as_json = json.dumps({"mcpServers": {SERVER_NAME: entry}}, indent=2)
    if client == "claude":
        if "url" in entry:
            command = f"claude mcp add --transport http {SERVER_NAME} {entry['url']}"
        else:
            command = f"claude mcp add {SERVER_NAME} -- " + shlex.join(
                [entry["command"], *entry["args"]])
        return f"{command}\n\nor in .mcp.json:\n{as_json}"
    return as_json


def install(client: str, *, write: bool, root: str | None, home: Path, cwd: Path,
            http_url: str | None = None) -> str:
    """Print-or-write: returns the snippet, or writes the merged file and says where.

    A relative ``root`` is made absolute against ``cwd``. Raises ``InstallError`` when the
    existing config file cannot be read or parsed."""
    if root:
        # Codex and Cursor start servers from their own working directory, not this one.
        root = str((cwd / Path(root).expanduser()).resolve())
    entry = server_entry(root, http_url, command=lynkr_command())
    if not write:
        return snippet(client, entry)
    path = config_path(client, home=home, cwd=cwd)
    try:
        existing = path.read_text(encoding="utf-8") if path.is_file() else None
        merged = (merge_codex_toml(existing, entry) if client == "codex"
                  else merge_mcp_json(existing, entry))
    except (OSError, ValueError) as exc:  # JSON and TOML decode errors are ValueErrors
        raise InstallError(f"cannot update {path}: {exc}; the file was left unchanged "
                           "(fix it, or print the snippet without --write)") from exc
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(merged, encoding="utf-8")
    return f"registered {SERVER_NAME} in {path}"
