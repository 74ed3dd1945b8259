"""Code Mode end to end: lynkr mcp --code-mode over stdio, in front of real MCP servers
(a fake SDK server run as a script, lynkr itself over HTTP, and npm's server-everything
when it is already installed)."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from mcp import Client

from lynkr.optimize.toon import decode
from tests.mcp.conftest import FAKE_SERVER, stdio_params
from tests.mcp.test_server_stdio import CODE_TOOLS, text_of

pytestmark = pytest.mark.anyio

META_TOOLS = {"search_tools", "describe_tool", "call_tool", "list_servers"}
NPM_CACHE = Path.home() / ".cache" / "lynkr" / "mcp-bench"
EVERYTHING = NPM_CACHE / "node_modules" / "@modelcontextprotocol" / "server-everything"


def write_config(tmp_path: Path, servers: dict[str, object]) -> Path:
    path = tmp_path / "servers.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_config(tmp_path, {
        "fake": {"command": sys.executable, "args": [str(FAKE_SERVER)], "timeout": 2},
        "broken": {"command": str(tmp_path / "no-such-server")},
    })


async def test_code_mode_serves_meta_tools_next_to_lynkrs_own(workspace: Path,
                                                              config: Path) -> None:
    async with Client(stdio_params(workspace, "--code-mode", "--config", str(config))) as c:
        names = {tool.name for tool in (await c.list_tools()).tools}
    assert names == CODE_TOOLS | META_TOOLS


async def test_search_describe_call_with_select(workspace: Path, config: Path) -> None:
    async with Client(stdio_params(workspace, "--code-mode", "--config", str(config))) as c:
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


async def test_unknown_tool_bad_select_and_tool_failure_are_errors(workspace: Path,
                                                                   config: Path) -> None:
    async with Client(stdio_params(workspace, "--code-mode", "--config", str(config))) as c:
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
