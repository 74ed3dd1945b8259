"""lynkr mcp against hostile workspaces and arguments, over stdio with the SDK client:
backtracking regexes, named pipes, huge files and outputs, escaped and cancelled test runs,
odd line separators and pages no call could use.

Most specs need a root of their own (a fifo, a 4 MB file, a root-wide grep count, a test run,
a server flag). The ones whose files have names of their own, and whose calls reach only
those files or fail on their arguments, share one server per module (``shared_client``)."""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from mcp import Client, StdioServerParameters
from mcp.types import CallToolResult

from tests.mcp.conftest import stdio_params

pytestmark = pytest.mark.anyio

# The tester's pattern: a repeated group of optional parts over a call left open on its line.
BACKTRACKING = r"compute\((\s*\w+\s*,?)*\)"


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


@pytest.fixture(scope="module")
def shared_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("hostile")


@pytest.fixture(scope="module")
async def shared_client(shared_root: Path) -> AsyncIterator[Client]:
    """``lynkr mcp --root shared_root`` over stdio, one per module."""
    async with Client(stdio_params(shared_root)) as client:
        yield client


def server_with_grep_deadline(root: Path, seconds: float) -> StdioServerParameters:
    """The real server with grep's deadline lowered (``--grep-timeout``)."""
    return stdio_params(root, "--grep-timeout", f"{seconds:g}")


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def wait_for_pid_file(path: Path) -> int:
    with anyio.fail_after(20):
        while not (path.exists() and path.read_text().strip()):
            await anyio.sleep(0.05)
    return int(path.read_text())


async def test_backtracking_regex_is_stopped_at_the_deadline_without_blocking_other_calls(
        tmp_path: Path) -> None:
    args = ", ".join(f"arg{i}" for i in range(30))
    (tmp_path / "app.py").write_text(f"result = compute({args},\n    more)\n")
    finished: list[str] = []
    results: dict[str, CallToolResult] = {}
    async with Client(server_with_grep_deadline(tmp_path, 1.0)) as client:
        async def call(tag: str, name: str, arguments: dict[str, object]) -> None:
            results[tag] = await client.call_tool(name, arguments)
            finished.append(tag)

        # The server's first read loads the tokenizer (~0.3 s, more on a busy machine): done
        # here, so the race below is between a read and the grep deadline, not that load.
        assert not (await client.call_tool("read", {"path": "app.py"})).is_error
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(call, "slow grep", "grep", {"pattern": BACKTRACKING})
            await anyio.sleep(0.2)
            tasks.start_soon(call, "read", "read", {"path": "app.py"})
        after = await client.call_tool("grep", {"pattern": r"compute\("})
    assert finished == ["read", "slow grep"]
    assert results["slow grep"].is_error
    assert "grep stopped after 1s" in text_of(results["slow grep"])
    assert "backtrack" in text_of(results["slow grep"])
    assert not after.is_error and "1 result = compute(" in text_of(after)


async def test_named_pipe_is_skipped_by_grep_outline_and_find_and_refused_by_read(
        tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("def a():\n    pass\n")
    os.mkfifo(tmp_path / "pipe.py")
    async with Client(stdio_params(tmp_path)) as client:
        with anyio.fail_after(20):
            grep = await client.call_tool("grep", {"pattern": "def"})
            outline = await client.call_tool("outline", {})
            found = await client.call_tool("find", {"pattern": "*.py"})
            read = await client.call_tool("read", {"path": "pipe.py"})
    assert text_of(grep).startswith("1 matches in 1 files")
    assert "a.py" in text_of(outline) and "pipe" not in text_of(outline)
    assert "pipe.py" not in text_of(found)
    assert read.is_error and "not a regular file" in text_of(read)


async def test_read_of_a_file_with_thousands_of_symbols_caps_its_outline(
        shared_root: Path, shared_client: Client) -> None:
    (shared_root / "funcs.py").write_text("".join(f"def f{i}(value, other):\n    return {i}\n\n"
                                                  for i in range(1000)))
    result = await shared_client.call_tool("read", {"path": "funcs.py"})
    rest = await shared_client.call_tool("outline", {"path": "funcs.py", "offset": 400})
    text = text_of(result)
    assert "f399," in text and "f400," not in text
    assert ("600 more symbols not shown (the last shown ends at line 1199); use outline with "
            "path='funcs.py', offset=400") in text
    assert result.structured_content["sent_tokens"] < result.structured_content["raw_tokens"] / 2
    assert "f400," in text_of(rest) and "f399," not in text_of(rest)
    assert "200 more symbols not shown; call again with offset=800" in text_of(rest)


async def test_failing_test_flooding_stdout_is_cut_to_head_and_tail(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("")
    (tmp_path / "test_spam.py").write_text(
        "import sys\n\ndef test_spam():\n"
        "    sys.stdout.write('y' * 1_000_000 + '\\n')\n"
        "    print('\\n'.join(f'line {i}' for i in range(5000)))\n"
        "    assert 1 == 2, 'boom'\n")
    async with Client(stdio_params(tmp_path)) as client:
        result = await client.call_tool("run_tests", {"timeout": 60})
    text = text_of(result)
    assert "AssertionError: boom" in text and "1 failed" in text
    assert "chars cut" in text and "captured lines cut" in text
    assert "line 4999" in text and "line 2500" not in text
    assert result.structured_content["sent_tokens"] < 2000


async def test_a_process_escaping_into_its_own_session_does_not_make_the_run_look_hung(
        tmp_path: Path) -> None:
    command = "sh -c 'setsid sleep 4 & echo started; exit 1'"
    async with Client(stdio_params(tmp_path, "--test-command", command)) as client:
        result = await client.call_tool("run_tests", {"timeout": 30})
    assert not result.is_error, text_of(result)
    assert result.structured_content["exit_code"] == 1
    assert "started" in text_of(result)
    assert "new session" in text_of(result) and "still holds the output open" in text_of(result)


def hanging_test(root: Path) -> Path:
    """A test that records its pid and then sleeps far longer than any test waits."""
    (root / "pyproject.toml").write_text("")
    pid_file = root / "pid.txt"
    (root / "test_hang.py").write_text(
        f"import os, time\n\ndef test_hang():\n"
        f"    open({str(pid_file)!r}, 'w').write(str(os.getpid()))\n    time.sleep(600)\n")
    return pid_file


async def test_cancelled_run_tests_call_kills_the_test_process(tmp_path: Path) -> None:
    pid_file = hanging_test(tmp_path)
    async with Client(stdio_params(tmp_path)) as client:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(client.call_tool, "run_tests", {"timeout": 600})
            pid = await wait_for_pid_file(pid_file)
            tasks.cancel_scope.cancel()
        with anyio.fail_after(10):
            while pid_alive(pid):
                await anyio.sleep(0.05)
        assert not (await client.call_tool("read", {"path": "pid.txt"})).is_error


def test_server_exiting_mid_run_kills_the_test_process(tmp_path: Path) -> None:
    """The client closes the server's stdin with a run in flight, no cancellation sent."""
    pid_file = hanging_test(tmp_path)
    params = stdio_params(tmp_path)
    server = subprocess.Popen([params.command, *params.args], cwd=params.cwd,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    assert server.stdin is not None and server.stdout is not None
    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize",
         "params": {"protocolVersion": "2025-06-18", "capabilities": {},
                    "clientInfo": {"name": "test", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
         "params": {"name": "run_tests", "arguments": {"timeout": 600}}}]
    try:
        for message in messages:
            server.stdin.write(json.dumps(message).encode() + b"\n")
            server.stdin.flush()
        deadline = time.monotonic() + 20
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            time.sleep(0.05)
        pid = int(pid_file.read_text())
        server.stdin.close()
        server.wait(timeout=10)
    finally:
        server.kill()
        server.wait()
    deadline = time.monotonic() + 10
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(pid)


async def test_form_feeds_and_unicode_line_separators_do_not_shift_line_numbers(
        shared_root: Path, shared_client: Client) -> None:
    (shared_root / "m.py").write_text(
        "import os\n\f\ndef first():\n    return 1\n\f\n"
        "def second():\n    s = 'a\u2028b'\n    return 2\n\ndef third():\n    return 3\n")
    client = shared_client
    symbol = text_of(await client.call_tool("read", {"path": "m.py", "symbol": "third"}))
    ranged = text_of(await client.call_tool("read", {"path": "m.py", "start_line": 10,
                                                     "end_line": 11}))
    grep = text_of(await client.call_tool("grep", {"pattern": "def third"}))
    assert symbol == "m.py lines 10-11 (function third)\ndef third():\n    return 3"
    assert ranged.endswith("\ndef third():\n    return 3")
    assert grep.endswith("\n10 def third():")


async def test_grep_says_how_many_files_it_skipped_for_size(tmp_path: Path) -> None:
    (tmp_path / "huge.py").write_text(("x = 1\n" * 700_000) + "needle = 1\n")
    (tmp_path / "small.py").write_text("nothing here\n")
    async with Client(stdio_params(tmp_path)) as client:
        result = await client.call_tool("grep", {"pattern": "needle"})
    assert text_of(result).splitlines() == [
        "no matches for 'needle' under '.'",
        "1 files skipped (over 4 MB); read them with start_line/end_line"]
    assert result.structured_content["skipped_files"] == 1


async def test_grep_row_of_a_long_line_is_cut_around_the_match(shared_root: Path,
                                                              shared_client: Client) -> None:
    (shared_root / "bundle.js").write_text("var a=1;" * 500 + "function secretHandler(){}"
                                           + ";var b=2" * 500 + "\n")
    text = text_of(await shared_client.call_tool("grep", {"pattern": "secretHandler"}))
    row = text.splitlines()[-1]
    assert row.startswith("1 …") and row.endswith("…") and "function secretHandler(){}" in row
    assert len(row) <= 205


async def test_pages_and_timeouts_no_call_could_use_are_tool_errors(
        shared_client: Client) -> None:
    calls = [("find", {"pattern": "*.py", "limit": 0}, "limit must be at least 1"),
             ("find", {"pattern": "*.py", "offset": -2}, "offset must be 0 or more"),
             ("grep", {"pattern": "x", "limit": 0}, "limit must be at least 1"),
             ("outline", {"limit": 0}, "limit must be at least 1"),
             ("run_tests", {"timeout": -1}, "timeout must be more than 0 seconds"),
             ("run_tests", {"timeout": 0}, "timeout must be more than 0 seconds")]
    for tool, arguments, message in calls:
        result = await shared_client.call_tool(tool, arguments)
        assert result.is_error and message in text_of(result), (tool, arguments)
