"""ripgrep as grep's engine when it is installed: its command lines and its ``--json`` output.

rg skips files over ``--max-filesize`` without a word, so a search that finds nothing could
not tell "absent" from "not looked at". The files rg would search are listed with ``rg
--files`` (same ignore rules and glob, run alongside the search) and those over the cap are
counted, as the Python search counts the files it skips. A file named as the path itself is
searched whatever its size (rg applies the cap only to what it finds by walking).

``--json`` is read rather than ``path:line:column:text``: paths and lines that are not UTF-8
come base64-encoded instead of mangled, and a match's offset is in bytes of the line, which
is turned into the character column the row window is cut around.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

from mcp_servers.grep_worker import SearchTimeout

# (path as rg printed it, 1-based line, 0-based character column of the match, line text)
RgRow = tuple[str, int, int, str]


class RipgrepFailed(Exception):
    """rg could not search (a pattern its regex engine refuses, an unreadable path)."""


def search_command(rg: str, start: Path, pattern: str, *, literal: bool, ignore_case: bool,
                   glob: str | None, max_bytes: int) -> list[str]:
    args = [rg, "--json", "--max-filesize", str(max_bytes)]
    args += ["--fixed-strings"] if literal else []
    args += ["--ignore-case"] if ignore_case else []
    args += ["--glob", glob] if glob else []
    return [*args, "-e", pattern, "--", str(start)]


def list_command(rg: str, start: Path, glob: str | None) -> list[str]:
    return [rg, "--files", "--null", *(["--glob", glob] if glob else []), "--", str(start)]


def _data(value: dict[str, Any] | None) -> bytes:
    """rg's "arbitrary data" object: ``{"text": …}`` when UTF-8, else ``{"bytes": base64}``."""
    if not value:
        return b""
    if "bytes" in value:
        return base64.b64decode(value["bytes"])
    return str(value.get("text", "")).encode("utf-8", "surrogateescape")


def parse_json_output(output: bytes) -> list[RgRow]:
    """The ``match`` messages of ``rg --json`` output as rows; ``begin``, ``end``,
    ``context`` and ``summary`` messages (and any type a later rg adds) carry no rows."""
    rows: list[RgRow] = []
    for raw in output.splitlines():
        if not raw.strip():
            continue
        message = json.loads(raw)
        if message.get("type") != "match":
            continue
        data = message["data"]
        line = _data(data.get("lines"))
        submatches = data.get("submatches") or [{"start": 0}]
        start = int(submatches[0]["start"])
        text = line.decode("utf-8", errors="replace").removesuffix("\n").removesuffix("\r")
        column = len(line[:start].decode("utf-8", errors="replace"))
        rows.append((os.fsdecode(_data(data.get("path"))), int(data["line_number"]), column,
                     text))
    return rows


def count_too_big(listing: bytes, max_bytes: int) -> int:
    """How many of the NUL-separated paths of ``rg --files --null`` are over ``max_bytes``."""
    too_big = 0
    for path in filter(None, listing.split(b"\0")):
        try:
            too_big += os.stat(path).st_size > max_bytes
        except OSError:
            continue
    return too_big


def run(rg: str, root: Path, start: Path, pattern: str, *, literal: bool, ignore_case: bool,
        glob: str | None, max_bytes: int, timeout: float) -> tuple[list[RgRow], int]:
    """Rows of every match under ``start`` and how many files rg skipped for size; raises
    ``SearchTimeout`` after ``timeout`` s (both processes killed) and ``RipgrepFailed``."""
    deadline = time.monotonic() + timeout
    walked = start.is_dir()
    processes = [subprocess.Popen(command, cwd=root, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
                 for command in [search_command(rg, start, pattern, literal=literal,
                                                ignore_case=ignore_case, glob=glob,
                                                max_bytes=max_bytes)]
                 + ([list_command(rg, start, glob)] if walked else [])]
    outputs: list[tuple[bytes, bytes]] = []
    try:
        for process in processes:
            outputs.append(process.communicate(timeout=max(0.0, deadline - time.monotonic())))
    except subprocess.TimeoutExpired:
        raise SearchTimeout from None
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.communicate()
    (found, errors) = outputs[0]
    if processes[0].returncode == 2 and not found.strip():
        raise RipgrepFailed(errors.decode(errors="replace").strip())
    too_big = count_too_big(outputs[1][0], max_bytes) if walked else 0
    return parse_json_output(found), too_big
