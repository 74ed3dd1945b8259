"""lynkr mcp --http on a loopback port, reached with the SDK's streamable-HTTP client."""

from __future__ import annotations

import pytest
from mcp import Client

from tests.mcp.test_server_stdio import CODE_TOOLS, text_of

pytestmark = pytest.mark.anyio


async def test_http_server_lists_the_same_tools_as_stdio(http_server: str) -> None:
    async with Client(http_server) as client:
        names = {tool.name for tool in (await client.list_tools()).tools}
    assert names == CODE_TOOLS


async def test_http_tools_answer_and_report_savings(http_server: str) -> None:
    async with Client(http_server) as client:
        read = await client.call_tool("read", {"path": "pkg/big.py"})
        grep = await client.call_tool("grep", {"pattern": "def area", "glob": "*.py"})
        found = await client.call_tool("find", {"pattern": "shapes"})
        outline = await client.call_tool("outline", {"path": "pkg/shapes.py"})
        symbols = await client.call_tool("symbols", {"name": "area"})
        callers = await client.call_tool("callers", {"name": "area"})
        callees = await client.call_tool("callees", {"name": "area"})
        radius = await client.call_tool("blast_radius", {"files": ["pkg/shapes.py"]})
    assert read.structured_content["sent_tokens"] < read.structured_content["raw_tokens"]
    assert "pkg/shapes.py" in text_of(grep) and "secret_build" not in text_of(grep)
    assert "tests/test_shapes.py" in text_of(found)
    assert "Circle.area" in text_of(outline)
    assert "pkg/shapes.py:4-5" in text_of(symbols)
    assert "test_circle_area" in text_of(callers)
    assert not callees.is_error
    assert "tests/test_shapes.py" in text_of(radius)


async def test_http_path_escape_is_refused(http_server: str) -> None:
    async with Client(http_server) as client:
        result = await client.call_tool("grep", {"pattern": "x", "path": "../.."})
    assert result.is_error and "root" in text_of(result)
