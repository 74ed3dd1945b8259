"""A stand-in for ripgrep (not installed here) that speaks rg's own output formats.

It takes the flags lynkr passes (``--json``, ``--files --null``, ``--max-filesize``,
``--fixed-strings``, ``--ignore-case``, ``--glob``, ``-e``) and answers as rg does: JSON Lines
of ``begin`` / ``match`` / ``end`` messages per file with matches and a closing ``summary``
(paths and lines that are not UTF-8 as ``{"bytes": base64}``), skipping files over
``--max-filesize`` without a word, and exit status 0 (matched), 1 (nothing) or 2 (error).
Each call's pid and arguments are appended to ``$FAKE_RG_LOG`` when that is set, and it
sleeps ``$FAKE_RG_SLEEP`` seconds first (a search that outlives its deadline).
"""

from __future__ import annotations

import base64
import fnmatch
import json
import os
import re
import sys
import time


def data(raw: bytes) -> dict[str, str]:
    try:
        return {"text": raw.decode("utf-8")}
    except UnicodeDecodeError:
        return {"bytes": base64.b64encode(raw).decode()}


def stats(matched_lines: int, searches_with_match: int, searched: int) -> dict[str, object]:
    return {"elapsed": {"secs": 0, "nanos": 1000, "human": "0.000001s"}, "searches": 1,
            "searches_with_match": searches_with_match, "bytes_searched": searched,
            "bytes_printed": 0, "matched_lines": matched_lines, "matches": matched_lines}


def walk(start: bytes, glob: str | None) -> list[bytes]:
    if os.path.isfile(start):
        return [start]
    found = []
    for directory, dirs, files in os.walk(start):
        dirs[:] = sorted(d for d in dirs if not d.startswith(b"."))
        for name in sorted(files):
            if name.startswith(b".") or glob and not fnmatch.fnmatch(os.fsdecode(name), glob):
                continue
            found.append(os.path.join(directory, name))
    return found


def main(args: list[str]) -> int:
    if log := os.environ.get("FAKE_RG_LOG"):
        with open(log, "a") as handle:
            handle.write(json.dumps({"pid": os.getpid(), "args": args}) + "\n")
    time.sleep(float(os.environ.get("FAKE_RG_SLEEP", "0")))
    options: dict[str, str] = {}
    flags: set[str] = set()
    paths: list[str] = []
    words = iter(args)
    for word in words:
        if word in ("--max-filesize", "--glob", "-e"):
            options[word] = next(words)
        elif word == "--":
            paths += list(words)
        elif word.startswith("-"):
            flags.add(word)
        else:
            paths.append(word)
    files = [f for p in paths or ["."] for f in walk(os.fsencode(p), options.get("--glob"))]
    if "--files" in flags:
        end = b"\0" if "--null" in flags else b"\n"
        sys.stdout.buffer.write(b"".join(f + end for f in files))
        return 0
    pattern = options["-e"]
    try:
        regex = re.compile(re.escape(pattern) if "--fixed-strings" in flags else pattern,
                           re.IGNORECASE if "--ignore-case" in flags else 0)
    except re.error as exc:
        sys.stderr.write(f"regex parse error:\n    {pattern}\nerror: {exc}\n")
        return 2
    cap = int(options.get("--max-filesize", "0")) or None
    total = hits = 0
    for path in files:
        if cap and path not in map(os.fsencode, paths) and os.path.getsize(path) > cap:
            continue
        with open(path, "rb") as handle:
            content = handle.read()
        if b"\0" in content[:1024]:
            continue
        matched, offset = 0, 0
        for number, line in enumerate(content.splitlines(keepends=True), 1):
            hit = regex.search(line.decode("utf-8", "replace"))
            if hit:
                if not matched:
                    emit("begin", {"path": data(path)})
                start = len(line.decode("utf-8", "replace")[:hit.start()].encode())
                end = start + len(hit.group().encode())
                emit("match", {"path": data(path), "lines": data(line), "line_number": number,
                               "absolute_offset": offset, "submatches": [
                                   {"match": data(line[start:end]), "start": start,
                                    "end": end}]})
                matched += 1
            offset += len(line)
        if matched:
            emit("end", {"path": data(path), "binary_offset": None,
                         "stats": stats(matched, 1, len(content))})
            hits += 1
        total += matched
    emit("summary", {"elapsed_total": {"secs": 0, "nanos": 2000, "human": "0.000002s"},
                     "stats": stats(total, hits, 0)})
    return 0 if total else 1


def emit(kind: str, payload: dict[str, object]) -> None:
    sys.stdout.write(json.dumps({"type": kind, "data": payload}) + "\n")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
