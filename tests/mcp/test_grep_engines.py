"""grep as a client sees it, whichever engine runs it: the deadline ``lynkr mcp --grep-timeout``
sets, and ripgrep (a stand-in speaking rg's ``--json``, since rg is not installed here)
answering exactly as the Python search does, files skipped for size included."""

from __future__ import annotations

import base64
import json
import os
import sys
from pathlib import Path

import pytest
from mcp import Client, StdioServerParameters

from mcp_servers.cli import main as mcp_main
from mcp_servers.cli import parse_seconds
from mcp_servers.ripgrep import count_too_big, parse_json_output
from tests.mcp.conftest import REPO, stdio_params
from tests.mcp.test_hostile_inputs import BACKTRACKING, pid_alive, text_of

FAKE_RG = Path(__file__).with_name("fake_rg.py")


def with_fake_rg(params: StdioServerParameters, tmp_path: Path) -> Path:
    """Put an ``rg`` running the stand-in first on the server's PATH; returns its call log."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    rg = bin_dir / "rg"
    rg.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKE_RG}" "$@"\n')
    rg.chmod(0o755)
    log = tmp_path / "rg-calls.jsonl"
    params.env = {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
                  "FAKE_RG_LOG": str(log)}
    return log


def project(root: Path) -> Path:
    root.mkdir()
    (root / "huge.py").write_text(("x = 1\n" * 700_000) + "needle = 1\n")
    (root / "small.py").write_text("nothing here\n")
    (root / "pkg").mkdir()
    (root / "pkg" / "mod.py").write_text("def f():\n    return needle  # é\n")
    (root / "pkg" / "other.txt").write_text("needle in a text file\n")
    return root


@pytest.mark.anyio
@pytest.mark.parametrize("engine", ["python", "ripgrep"])
async def test_both_engines_answer_alike_and_report_files_skipped_for_size(
        tmp_path: Path, engine: str) -> None:
    params = stdio_params(project(tmp_path / "ws"))
    log = with_fake_rg(params, tmp_path) if engine == "ripgrep" else None
    async with Client(params) as client:
        found = await client.call_tool("grep", {"pattern": "needle", "glob": "*.py"})
        absent = await client.call_tool("grep", {"pattern": "absent"})
        one_file = await client.call_tool("grep", {"pattern": "needle", "path": "pkg/mod.py"})
    assert text_of(found).splitlines() == [
        "1 matches in 1 files", "pkg/mod.py (1):", "2 return needle  # é",
        "1 files skipped (over 4 MB); read them with start_line/end_line"]
    assert found.structured_content["skipped_files"] == 1
    assert text_of(absent).splitlines() == [
        "no matches for 'absent' under '.'",
        "1 files skipped (over 4 MB); read them with start_line/end_line"]
    assert text_of(one_file).splitlines() == [
        "1 matches in 1 files", "pkg/mod.py (1):", "2 return needle  # é"]
    if log is not None:  # the answers above came from rg's --json and --files
        calls = [json.loads(line)["args"] for line in log.read_text().splitlines()]
        assert any("--json" in call and "--max-filesize" in call for call in calls)
        assert any("--files" in call for call in calls)


@pytest.mark.anyio
async def test_a_ripgrep_search_past_the_deadline_is_stopped_and_its_processes_killed(
        tmp_path: Path) -> None:
    params = stdio_params(project(tmp_path / "ws"), "--grep-timeout", "0.5")
    log = with_fake_rg(params, tmp_path)
    assert params.env is not None
    params.env["FAKE_RG_SLEEP"] = "60"
    async with Client(params) as client:
        result = await client.call_tool("grep", {"pattern": "needle"})
    assert result.is_error and "grep stopped after 0.5s without finishing" in text_of(result)
    pids = [json.loads(line)["pid"] for line in log.read_text().splitlines()]
    assert pids and not any(pid_alive(pid) for pid in pids)  # the search's and the listing's


# rg's own example (grep-printer's JSON docs), plus a path that is not UTF-8 (sent as bytes)
# and a match after a multi-byte character (offsets are bytes of the line).
RG_JSON = b"\n".join(json.dumps(message).encode() for message in [
    {"type": "begin", "data": {"path": {"text": "/home/andrew/sherlock"}}},
    {"type": "match", "data": {
        "path": {"text": "/home/andrew/sherlock"},
        "lines": {"text": "For the Doctor Watsons of this world, as opposed to the Sherlock\n"},
        "line_number": 1, "absolute_offset": 0,
        "submatches": [{"match": {"text": "Watson"}, "start": 15, "end": 21}]}},
    {"type": "context", "data": {
        "path": {"text": "/home/andrew/sherlock"},
        "lines": {"text": "can extract a clew from a wisp of straw or a flake of cigar ash;\n"},
        "line_number": 4, "absolute_offset": 193, "submatches": []}},
    {"type": "end", "data": {"path": {"text": "/home/andrew/sherlock"}, "binary_offset": None,
                             "stats": {"searches": 1, "matched_lines": 1, "matches": 1}}},
    {"type": "match", "data": {
        "path": {"bytes": base64.b64encode(b"/w/lib\xff.rs").decode()},
        "lines": {"text": "let caf\u00e9 = Watson;\r\n"}, "line_number": 7,
        "absolute_offset": 40,
        "submatches": [{"match": {"text": "Watson"}, "start": 12, "end": 18}]}},
    {"type": "summary", "data": {"elapsed_total": {"secs": 0, "nanos": 1, "human": "0s"},
                                 "stats": {"searches": 2, "matches": 2}}},
])


def test_ripgrep_json_matches_become_rows_with_character_columns() -> None:
    assert parse_json_output(RG_JSON) == [
        ("/home/andrew/sherlock", 1, 15,
         "For the Doctor Watsons of this world, as opposed to the Sherlock"),
        (os.fsdecode(b"/w/lib\xff.rs"), 7, 11, "let caf\u00e9 = Watson;")]


def test_files_listed_by_ripgrep_over_the_cap_are_counted(tmp_path: Path) -> None:
    (tmp_path / "big").write_bytes(b"x" * 101)
    (tmp_path / "small").write_bytes(b"x" * 100)
    listing = b"".join(bytes(tmp_path / n) + b"\0" for n in ("big", "small", "gone"))
    assert count_too_big(listing, 100) == 1


@pytest.mark.anyio
async def test_grep_timeout_flag_stops_a_backtracking_search_with_a_clear_message(
        tmp_path: Path) -> None:
    args = ", ".join(f"arg{i}" for i in range(30))
    (tmp_path / "app.py").write_text(f"result = compute({args},\n    more)\n")
    params = StdioServerParameters(  # `lynkr mcp` itself, as a user starts it
        command=sys.executable, cwd=str(REPO),
        args=["-m", "lynkr", "mcp", "--root", str(tmp_path), "--grep-timeout", "0.05"])
    async with Client(params) as client:
        result = await client.call_tool("grep", {"pattern": BACKTRACKING})
        after = await client.call_tool("grep", {"pattern": "more"})
    assert result.is_error
    assert (f"grep stopped after 0.05s without finishing: the pattern {BACKTRACKING!r} may "
            "backtrack catastrophically") in text_of(result)
    assert not after.is_error and text_of(after).endswith("2 more)")


@pytest.mark.parametrize(("value", "message"), [
    ("0", "must be a finite number of seconds above 0, got '0'"),
    ("-1", "must be a finite number of seconds above 0, got '-1'"),
    ("nan", "must be a finite number of seconds above 0, got 'nan'"),
    ("inf", "must be a finite number of seconds above 0, got 'inf'"),
    ("soon", "must be a number of seconds, got 'soon'")])
def test_grep_timeout_must_be_a_finite_positive_number_of_seconds(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], value: str, message: str) -> None:
    assert mcp_main(["mcp", "--root", str(tmp_path), "--grep-timeout", value]) == 2
    assert capsys.readouterr().err == f"lynkr mcp: --grep-timeout {message}\n"
    with pytest.raises(ValueError, match=message):
        parse_seconds(value)


def test_grep_timeout_accepts_fractions_and_exponents() -> None:
    assert parse_seconds("0.25") == 0.25
    assert parse_seconds("1e1") == 10.0
