"""lynkr mcp over stdio, driven by the official SDK client: every tool and its error cases.

Tests that only read share the module's server (``stdio_client``); the ``run_tests`` specs
start their own, since running pytest leaves caches in the workspace and one writes a test."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client
from mcp.types import CallToolResult

from lynkr.optimize.toon import decode
from tests.mcp.conftest import stdio_params

pytestmark = pytest.mark.anyio

CODE_TOOLS = {"read", "grep", "find", "outline", "run_tests", "symbols", "callers", "callees",
              "blast_radius"}


def text_of(result: CallToolResult) -> str:
    return "".join(getattr(block, "text", "") for block in result.content)


async def test_every_tool_is_listed_with_a_schema_derived_from_its_signature(
        stdio_client: Client) -> None:
    tools = {tool.name: tool for tool in (await stdio_client.list_tools()).tools}
    assert set(tools) == CODE_TOOLS
    read = tools["read"].input_schema
    assert read["required"] == ["path"]
    assert set(read["properties"]) == {"path", "start_line", "end_line", "symbol"}


async def test_each_tool_reports_raw_and_sent_tokens(stdio_client: Client) -> None:
    calls = [("read", {"path": "pkg/shapes.py"}), ("grep", {"pattern": "area"}),
             ("find", {"pattern": "*.py"}), ("outline", {"path": "pkg"})]
    for name, arguments in calls:
        result = await stdio_client.call_tool(name, arguments)
        assert not result.is_error, text_of(result)
        assert result.structured_content is not None
        assert {"raw_tokens", "sent_tokens"} <= set(result.structured_content)


async def test_small_file_is_read_whole_and_large_file_as_outline_plus_head(
        stdio_client: Client, shared_workspace: Path) -> None:
    small = await stdio_client.call_tool("read", {"path": "pkg/shapes.py"})
    big = await stdio_client.call_tool("read", {"path": "pkg/big.py"})
    assert text_of(small) == (shared_workspace / "pkg/shapes.py").read_text()
    assert "helper_119" in text_of(big) and "955-960" in text_of(big)
    assert big.structured_content["sent_tokens"] < big.structured_content["raw_tokens"] / 2


async def test_read_returns_a_line_range_or_one_symbol(stdio_client: Client) -> None:
    ranged = text_of(await stdio_client.call_tool("read", {"path": "pkg/shapes.py",
                                                           "start_line": 4, "end_line": 5}))
    method = text_of(await stdio_client.call_tool("read", {"path": "pkg/shapes.py",
                                                           "symbol": "Circle.area"}))
    assert ranged.splitlines()[1:] == ["def area(radius):", "    return math.pi * radius ** 2"]
    assert "def area(self):" in method and "__init__" not in method


async def test_paths_outside_the_root_are_tool_errors_without_contents(
        stdio_client: Client) -> None:
    for path in ["../outside.txt", "/etc/passwd", "escape.txt", "pkg/../../x"]:
        result = await stdio_client.call_tool("read", {"path": path})
        assert result.is_error, path
        assert "root" in text_of(result) and "TOP SECRET" not in text_of(result)


async def test_missing_file_and_bad_regex_are_clear_tool_errors(stdio_client: Client) -> None:
    missing = await stdio_client.call_tool("read", {"path": "pkg/nope.py"})
    bad = await stdio_client.call_tool("grep", {"pattern": "area("})
    unknown = await stdio_client.call_tool("no_such_tool", {})
    assert missing.is_error and "no such file" in text_of(missing)
    assert bad.is_error and "invalid regex" in text_of(bad)
    assert unknown.is_error and "no_such_tool" in text_of(unknown)


async def test_grep_groups_per_file_respects_gitignore_and_pages(stdio_client: Client) -> None:
    first = await stdio_client.call_tool("grep", {"pattern": "area", "limit": 2})
    rest = await stdio_client.call_tool("grep", {"pattern": "area", "limit": 50, "offset": 2})
    lines = text_of(first).splitlines()
    total = first.structured_content["matches"]
    assert lines[:4] == [f"{total} matches in 2 files", "pkg/shapes.py (3):",
                         "4 def area(radius):", "12 def area(self):"]
    assert decode("\n".join(lines[4:-1])) == {
        "other_files": [{"file": "tests/test_shapes.py", "count": 4}]}
    assert lines[-1].startswith(f"{total - 2} more matches not shown; call again with offset=2")
    everything = text_of(first) + text_of(rest)
    assert "secret_build" not in everything and "run.log" not in everything
    assert "pkg/shapes.py" in everything and "tests/test_shapes.py" in everything


async def test_find_lists_matching_files_with_sizes(stdio_client: Client,
                                                   shared_workspace: Path) -> None:
    result = await stdio_client.call_tool("find", {"pattern": "test_*.py"})
    listing = decode(text_of(result))
    size = (shared_workspace / "tests/test_shapes.py").stat().st_size
    assert listing["files"] == [{"path": "tests/test_shapes.py", "size": size}]


async def test_run_tests_returns_only_the_failure_and_the_summary(workspace: Path) -> None:
    async with Client(stdio_params(workspace)) as client:
        result = await client.call_tool("run_tests", {"timeout": 60})
    text = text_of(result)
    assert "test_circle_area_of_two_is_twelve" in text
    assert "1 failed, 1 passed" in text
    assert "test_circle_area_is_positive" not in text
    assert result.structured_content["exit_code"] == 1


async def test_run_tests_past_its_timeout_is_stopped_and_reported(workspace: Path) -> None:
    (workspace / "tests" / "test_slow.py").write_text(
        "import time\n\ndef test_sleeps():\n    time.sleep(30)\n")
    async with Client(stdio_params(workspace)) as client:
        result = await client.call_tool("run_tests", {"target": "tests/test_slow.py",
                                                      "timeout": 1.5})
    assert result.is_error and "did not finish within 1.5s" in text_of(result)
