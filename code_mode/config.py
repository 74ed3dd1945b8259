"""The ``mcpServers`` config file: which MCP servers Code Mode reaches, and how.

Same shape as Claude Desktop's and Cursor's: each entry has ``command`` (+ ``args``, ``env``,
``cwd``) for a stdio server or ``url`` for a streamable-HTTP one. Code Mode adds two optional
keys: ``timeout`` (seconds per call) and ``startup_timeout``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_CALL_TIMEOUT = 60.0
DEFAULT_STARTUP_TIMEOUT = 30.0


class ConfigError(ValueError):
    """The config file does not describe MCP servers in the expected shape."""


@dataclass(frozen=True)
class ServerSpec:
    """How to reach one MCP server."""

    name: str
    command: str | None = None
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    timeout: float = DEFAULT_CALL_TIMEOUT
    startup_timeout: float = DEFAULT_STARTUP_TIMEOUT

    @property
    def transport(self) -> str:
        return "http" if self.url else "stdio"


def parse_config(data: Any) -> list[ServerSpec]:
    """Server specs from parsed JSON (``{"mcpServers": {...}}`` or the bare mapping)."""
    if not isinstance(data, dict):
        raise ConfigError("the config must be a JSON object")
    servers = data.get("mcpServers", data.get("servers", data))
    if not isinstance(servers, dict):
        raise ConfigError("mcpServers must be an object of name -> server")
    specs = []
    for name, entry in servers.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"server {name!r}: expected an object")
        if entry.get("disabled"):
            continue
        command, url = entry.get("command"), entry.get("url")
        if bool(command) == bool(url):
            raise ConfigError(f"server {name!r}: give exactly one of command or url")
        for key in ("command", "url", "cwd"):
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise ConfigError(f"server {name!r}: {key} must be a string")
        args = entry.get("args", [])
        env = entry.get("env", {})
        if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
            raise ConfigError(f"server {name!r}: args must be a list of strings")
        if not isinstance(env, dict):
            raise ConfigError(f"server {name!r}: env must be an object")
        specs.append(ServerSpec(
            name=str(name), command=command, args=tuple(args),
            env={str(k): str(v) for k, v in env.items()}, cwd=entry.get("cwd"), url=url,
            timeout=_seconds(entry, name, "timeout", DEFAULT_CALL_TIMEOUT),
            startup_timeout=_seconds(entry, name, "startup_timeout", DEFAULT_STARTUP_TIMEOUT),
        ))
    return specs


def _seconds(entry: dict[str, Any], name: object, key: str, default: float) -> float:
    value = entry.get(key, default)
    # bool is an int to Python, but "timeout": true is a mistake, not one second.
    if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
        raise ConfigError(f"server {name!r}: {key} must be a positive number of seconds, "
                          f"not {json.dumps(value)}")
    return float(value)


def load_config(path: str | Path) -> list[ServerSpec]:
    """Server specs from a config file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"cannot read MCP config {path}: {exc}") from exc
    return parse_config(data)
