"""The graph tools (symbols, callers, callees) as a model uses them: lynkr's MCP server driven
by the SDK client, over a workspace where two files define a function of the same name."""

from __future__ import annotations

from pathlib import Path

import pytest
from mcp import Client

from lynkr.optimize.toon import decode
from mcp_servers.server import build_server
from tests.mcp.test_server_stdio import text_of

pytestmark = pytest.mark.anyio


@pytest.fixture
def twins(tmp_path: Path) -> Path:
    """pkg/a.py and sub/c.py both define f; pkg/b.py calls the first, sub/c.py the second;
    pkg/many.py calls pkg/a.py's f from 30 functions."""
    root = tmp_path / "twins"
    (root / "pkg").mkdir(parents=True)
    (root / "sub").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "a.py").write_text("def f():\n    return 1\n")
    (root / "pkg" / "b.py").write_text("from pkg.a import f\n\n\ndef g():\n    return f()\n")
    (root / "sub" / "c.py").write_text("def f():\n    return 2\n\n\ndef h():\n    return f()\n")
    (root / "pkg" / "many.py").write_text("from pkg.a import f\n" + "".join(
        f"\n\ndef user_{i}():\n    return f()\n" for i in range(30)))
    return root


async def test_callers_say_which_same_named_function_each_one_calls_and_where(
        twins: Path) -> None:
    async with Client(build_server(twins)) as c:
        rows = decode(text_of(await c.call_tool("callers", {"name": "f", "limit": 100})))
    by_caller = {row["caller"]: row for row in rows["callers"]}
    assert by_caller["pkg/b.py::g"]["callee"] == "pkg/a.py::f"
    assert by_caller["pkg/b.py::g"]["line"] == 5
    assert by_caller["sub/c.py::h"]["callee"] == "sub/c.py::f"


async def test_symbols_show_the_id_that_callers_accept_to_mean_one_definition(
        twins: Path) -> None:
    async with Client(build_server(twins)) as c:
        found = decode(text_of(await c.call_tool("symbols", {"name": "f"})))["symbols"]
        only_c = decode(text_of(await c.call_tool("callers", {"name": "sub/c.py::f"})))
        callees = decode(text_of(await c.call_tool("callees", {"name": "sub/c.py::h"})))
        schema = {t.name: t for t in (await c.list_tools()).tools}["callers"].input_schema
    assert {row["id"] for row in found} == {"pkg/a.py::f", "sub/c.py::f"}
    assert [row["caller"] for row in only_c["callers"]] == ["sub/c.py::h"]
    assert callees["callees"] == [{"callee": "sub/c.py::f", "kind": "function",
                                   "at": "sub/c.py:1-2", "caller": "sub/c.py::h", "line": 6,
                                   "resolved": True}]
    assert "file::qualname" in schema["properties"]["name"]["description"]


async def test_callers_page_with_limit_and_offset_and_the_note_names_them(twins: Path) -> None:
    async with Client(build_server(twins)) as c:
        first = await c.call_tool("callers", {"name": "pkg/a.py::f", "limit": 10})
        last = await c.call_tool("callers", {"name": "pkg/a.py::f", "limit": 10, "offset": 30})
        zero = await c.call_tool("callers", {"name": "f", "limit": 0})
        negative = await c.call_tool("callees", {"name": "h", "offset": -1})
    page = decode(text_of(first))
    assert len(page["callers"]) == 10 and "offset=10" in page["more"]
    assert len(decode(text_of(last))["callers"]) == 1
    assert "more" not in decode(text_of(last))
    assert zero.is_error and "limit" in text_of(zero)
    assert negative.is_error and "offset" in text_of(negative)
