"""Code Mode end to end: lynkr mcp --code-mode over stdio, in front of real MCP servers
(a fake SDK server run as a script, lynkr itself over HTTP, and npm's server-everything
when it is already installed); then the pure parts (result caps, config checks) and how
``lynkr mcp`` and ``lynkr mcp install`` refuse bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import pytest
from mcp import Client

from code_mode.config import ConfigError, parse_config
from code_mode.results import MAX_RESULT_TOKENS, render_capped
from lynkr.optimize.toon import decode
from lynkr.tokens import count_tokens
from mcp_servers.install import install
from tests.mcp.conftest import FAKE_SERVER, REPO, stdio_params
from tests.mcp.test_server_stdio import CODE_TOOLS, text_of

pytestmark = pytest.mark.anyio

META_TOOLS = {"search_tools", "describe_tool", "call_tool", "list_servers"}
NPM_CACHE = Path.home() / ".cache" / "lynkr" / "mcp-bench"
EVERYTHING = NPM_CACHE / "node_modules" / "@modelcontextprotocol" / "server-everything"


def write_config(tmp_path: Path, servers: dict[str, object]) -> Path:
    path = tmp_path / "servers.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def fake_and_broken(tmp_path: Path) -> Path:
    """A config fronting the fake SDK server (2 s timeout) and a command that does not exist."""
    return write_config(tmp_path, {
        "fake": {"command": sys.executable, "args": [str(FAKE_SERVER)], "timeout": 2},
        "broken": {"command": str(tmp_path / "no-such-server")},
    })


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return fake_and_broken(tmp_path)


@pytest.fixture(scope="module")
async def code_mode_client(shared_workspace: Path,
                           tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Client]:
    """One ``lynkr mcp --code-mode`` in front of ``fake_and_broken``, shared by the specs that
    neither crash, stall nor reconfigure a fronted server."""
    config = fake_and_broken(tmp_path_factory.mktemp("code-mode"))
    async with Client(stdio_params(shared_workspace, "--code-mode",
                                   "--config", str(config))) as client:
        yield client


async def test_code_mode_serves_meta_tools_next_to_lynkrs_own(
        code_mode_client: Client) -> None:
    names = {tool.name for tool in (await code_mode_client.list_tools()).tools}
    assert names == CODE_TOOLS | META_TOOLS


async def test_search_describe_call_with_select(code_mode_client: Client) -> None:
    c = code_mode_client
    found = await c.call_tool("search_tools", {"query": "look up a user profile"})
    described = await c.call_tool("describe_tool", {"name": "get_user"})
    email = await c.call_tool("call_tool", {"name": "fake.get_user",
                                            "arguments": {"user_id": 7}, "select": "email"})
    names = await c.call_tool("call_tool", {"name": "list_weather_stations",
                                            "arguments": {"country": "pt"},
                                            "select": "[?lat > `57`].name"})
    assert decode(text_of(found))["tools"][0]["name"] == "fake.get_user"
    assert "user_id" in text_of(described)
    assert text_of(email) == "user7@example.com"
    assert decode(text_of(names)) == ["pt-18", "pt-19"]
    assert names.structured_content["sent_tokens"] < names.structured_content["raw_tokens"] / 10


async def test_unknown_tool_bad_select_and_tool_failure_are_errors(
        code_mode_client: Client) -> None:
    c = code_mode_client
    unknown = await c.call_tool("call_tool", {"name": "fake.nope"})
    bad_select = await c.call_tool("call_tool", {"name": "echo",
                                                 "arguments": {"text": "x"},
                                                 "select": "[[["})
    failing = await c.call_tool("call_tool", {"name": "fail_loudly"})
    assert unknown.is_error and "search_tools" in text_of(unknown)
    assert bad_select.is_error and "invalid select" in text_of(bad_select)
    assert failing.is_error and "fake.fail_loudly failed" in text_of(failing)


async def test_a_server_crashing_mid_call_is_reported_then_restarted(workspace: Path,
                                                                     config: Path) -> None:
    async with Client(stdio_params(workspace, "--code-mode", "--config", str(config))) as c:
        crashed = await c.call_tool("call_tool", {"name": "crash"})
        again = await c.call_tool("call_tool", {"name": "echo", "arguments": {"text": "back"}})
        slow = await c.call_tool("call_tool", {"name": "sleep", "arguments": {"seconds": 3}})
        servers = decode(text_of(await c.call_tool("list_servers", {})))["servers"]
    assert crashed.is_error and "crashed" in text_of(crashed)
    assert not again.is_error and text_of(again) == "back"
    assert slow.is_error and "did not answer within 2s" in text_of(slow)
    by_name = {row["name"]: row for row in servers}
    assert by_name["fake"]["state"] == "running"
    assert by_name["broken"]["state"] == "failed" and by_name["broken"]["error"]


async def test_code_mode_reaches_a_server_over_streamable_http(workspace: Path, tmp_path: Path,
                                                               http_server: str) -> None:
    config = write_config(tmp_path, {"remote": {"url": http_server}})
    async with Client(stdio_params(workspace, "--code-mode", "--config", str(config))) as c:
        found = await c.call_tool("search_tools", {"query": "search file contents regex"})
        hits = await c.call_tool("call_tool", {"name": "remote.grep",
                                               "arguments": {"pattern": "class Circle"},
                                               "select": "matches"})
    assert "remote.grep" in text_of(found)
    assert text_of(hits) == "1"


@pytest.mark.skipif(not EVERYTHING.is_dir() or shutil.which("node") is None,
                    reason="server-everything not in the npm cache (run bench/mcp.py once)")
async def test_code_mode_over_npm_server_everything(workspace: Path, tmp_path: Path) -> None:
    entry = EVERYTHING / "dist" / "index.js"
    config = write_config(tmp_path, {"everything": {"command": "node",
                                                    "args": [str(entry), "stdio"]}})
    async with Client(stdio_params(workspace, "--code-mode", "--config", str(config))) as c:
        found = decode(text_of(await c.call_tool("search_tools", {"query": "add two numbers"})))
        summed = await c.call_tool("call_tool", {"name": found["tools"][0]["name"],
                                                 "arguments": {"a": 2, "b": 40}})
    assert "42" in text_of(summed)


def process_is_gone(pid: int, wait: float = 15.0) -> bool:
    """Whether process ``pid`` is gone (or a zombie nobody will run again) within ``wait``."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().split(") ", 1)[-1].startswith("Z"):
            return True
        time.sleep(0.05)
    return False


async def test_a_stuck_server_is_killed_then_restarted_on_the_next_call(
        workspace: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"fake": {"command": sys.executable,
                                              "args": [str(FAKE_SERVER)], "timeout": 1}})
    async with Client(stdio_params(workspace, "--code-mode", "--config", str(config))) as c:
        first = int(text_of(await c.call_tool("call_tool", {"name": "pid"})))
        stuck = await c.call_tool("call_tool", {"name": "hang"})
        state = decode(text_of(await c.call_tool("list_servers", {})))["servers"][0]
        again = await c.call_tool("call_tool", {"name": "echo", "arguments": {"text": "back"}})
        second = int(text_of(await c.call_tool("call_tool", {"name": "pid"})))
        assert process_is_gone(first)
    assert stuck.is_error and "stopped answering" in text_of(stuck)
    assert state["state"] == "crashed" and "ping" in state["error"]
    assert text_of(again) == "back" and second != first


async def test_fronted_servers_do_not_outlive_lynkr_mcp_stopped_mid_call(
        workspace: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path, {"fake": {"command": sys.executable,
                                              "args": [str(FAKE_SERVER)], "timeout": 600}})
    async with Client(stdio_params(workspace, "--code-mode", "--config", str(config))) as c:
        pid = int(text_of(await c.call_tool("call_tool", {"name": "pid"})))
        with anyio.move_on_after(0.5):
            await c.call_tool("call_tool", {"name": "hang"})
    assert process_is_gone(pid)


async def test_a_big_result_without_select_is_cut_with_a_note_on_paging(
        code_mode_client: Client) -> None:
    c = code_mode_client
    big = await c.call_tool("call_tool", {"name": "many_rows", "arguments": {"count": 20000}})
    page = await c.call_tool("call_tool", {"name": "many_rows",
                                           "arguments": {"count": 20000},
                                           "select": "[5000:5002].n"})
    text = text_of(big)
    assert big.structured_content["result"] == text
    assert big.structured_content["sent_tokens"] <= MAX_RESULT_TOKENS + 100
    assert big.structured_content["raw_tokens"] > 20 * MAX_RESULT_TOKENS
    assert "has 20000 items" in text and "use select" in text
    assert decode(text_of(page)) == [5000, 5001]


def test_the_note_names_a_slice_of_the_nested_list_that_was_cut() -> None:
    value = {"meta": {"total": 3000}, "data": {"items": [{"id": i} for i in range(3000)]}}
    text = render_capped(value, max_tokens=300)
    shown = len(decode(text.rsplit("\n[cut", 1)[0])["data"]["items"])
    assert count_tokens(text) <= 300 + 80 and shown > 10
    assert f"data.items[{shown}:{2 * shown}]" in text and "3000 items" in text


def test_a_long_text_result_is_cut_at_a_line_with_a_note() -> None:
    text = render_capped("\n".join(f"line {i} of the log" for i in range(5000)), max_tokens=200)
    assert text.startswith("line 0 of the log") and "[cut at about 200 of" in text
    assert count_tokens(text) <= 200 + 40


@pytest.mark.parametrize("entry, complaint", [
    ({"command": "x", "timeout": "slow"}, "timeout must be a positive number"),
    ({"command": "x", "args": "--flag"}, "args must be a list of strings"),
    ({"url": 5}, "url must be a string"),
])
def test_a_bad_server_entry_is_a_config_error(entry: dict[str, object], complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint):
        parse_config({"mcpServers": {"a": entry}})


@pytest.mark.parametrize("content", ['{"mcpServers": {"a": {"command": "x", "timeout": "slow"}}}',
                                     None])
def test_lynkr_mcp_refuses_a_bad_config_in_one_line(workspace: Path, tmp_path: Path,
                                                    content: str | None) -> None:
    path = tmp_path / "servers.json"
    if content is not None:
        path.write_text(content)
    done = subprocess.run([sys.executable, "-m", "mcp_servers", "mcp", "--root", str(workspace),
                           "--code-mode", "--config", str(path)], cwd=REPO,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("lynkr mcp: ")
    assert "Traceback" not in done.stderr


def test_install_write_leaves_a_malformed_config_alone_and_says_so_in_one_line(
        tmp_path: Path) -> None:
    (tmp_path / ".mcp.json").write_text("{bad")
    done = subprocess.run([sys.executable, "-m", "mcp_servers", "mcp", "install", "claude",
                           "--write"], cwd=tmp_path, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "left unchanged" in done.stderr and "Traceback" not in done.stderr
    assert (tmp_path / ".mcp.json").read_text() == "{bad"


def test_install_writes_a_relative_root_as_an_absolute_path(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    install("cursor", write=True, root="sub", home=tmp_path, cwd=tmp_path)
    entry = json.loads((tmp_path / ".cursor" / "mcp.json").read_text())["mcpServers"]["lynkr"]
    assert entry["args"] == ["mcp", "--root", str((tmp_path / "sub").resolve())]
