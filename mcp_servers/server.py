"""The ``lynkr mcp`` server: compressed code tools over one workspace root.

Tools are typed functions; the SDK derives their JSON schemas from the signatures and the
``Annotated`` descriptions, so schema and code cannot drift. Descriptions are kept short on
purpose: every client sends every tool schema with every request.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio
from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from code_mode.config import load_config
from code_mode.connection import CLOSE_TIMEOUT
from code_mode.hub import Hub
from code_mode.tools import register_meta_tools
from mcp_servers import files, outline, search
from mcp_servers.code_graph import GraphTools
from mcp_servers.test_runner import TestRunner
from mcp_servers.workspace import Workspace

PathArg = Annotated[str, Field(description="Path relative to the workspace root")]
SymbolArg = Annotated[str, Field(
    description="Function or method name, or a file::qualname id such as pkg/a.py::Cls.run "
                "to mean exactly that definition")]
Limit = Annotated[int, Field(ge=1, description="Rows per page")]
Offset = Annotated[int, Field(ge=0, description="Rows to skip (for the next page)")]


def register_code_tools(server: MCPServer, ws: Workspace, *,
                        test_command: str | None = None,
                        grep_timeout: float | None = None) -> None:
    """Add read, grep, find, outline, run_tests and the graph tools to ``server``; a grep
    still running after ``grep_timeout`` seconds (default 20) is stopped with a tool error."""
    runner = TestRunner(ws, configured=test_command)
    graph = GraphTools(ws)

    @server.tool()
    def read(
        path: PathArg,
        start_line: Annotated[int | None, Field(description="First line (1-based)")] = None,
        end_line: Annotated[int | None, Field(description="Last line (inclusive)")] = None,
        symbol: Annotated[str | None, Field(description="Return only this definition")] = None,
    ) -> CallToolResult:
        """Read a file, a line range or one symbol. Large files return an outline plus the
        first lines."""
        return files.read_file(ws, path, start_line, end_line, symbol)

    @server.tool()
    def grep(
        pattern: Annotated[str, Field(description="Regex (or text with literal=true)")],
        path: PathArg = ".",
        literal: bool = False,
        ignore_case: bool = False,
        glob: Annotated[str | None, Field(description="Only files matching, e.g. *.py")] = None,
        limit: int = 100,
        offset: int = 0,
    ) -> CallToolResult:
        """Search file contents (respects .gitignore); matches grouped per file, paged.
        Rows read ``line text``; ``12,40 text`` means both lines read the same."""
        return search.grep(ws, pattern, path, literal=literal, ignore_case=ignore_case,
                           glob=glob, limit=limit, offset=offset, deadline=grep_timeout)

    @server.tool()
    def find(
        pattern: Annotated[str, Field(description="Glob (*.py, src/**/test_*.py) or name part")],
        path: PathArg = ".",
        limit: int = 200,
        offset: int = 0,
    ) -> CallToolResult:
        """Find files by name or glob, with sizes."""
        return files.find_files(ws, pattern, path, limit, offset)

    @server.tool(name="outline")
    def outline_tool(path: PathArg = ".", limit: int = 400, offset: int = 0) -> CallToolResult:
        """Symbols (kind, name, line range) of a file or every file in a folder."""
        return outline.outline_path(ws, path, limit, offset)

    @server.tool()
    async def run_tests(
        target: Annotated[str | None, Field(description="Test file, dir or selector")] = None,
        timeout: Annotated[float, Field(description="Seconds before the run is stopped")] = 300,
    ) -> CallToolResult:
        """Run the project's tests; returns only failures, their tracebacks and the summary."""
        return await runner.run(target, timeout)

    @server.tool()
    def symbols(
        name: Annotated[str, Field(description="Symbol name, Class.method, or part of it")],
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> CallToolResult:
        """Find definitions across the code graph; each row's id (file::qualname) names
        exactly that one definition in callers and callees."""
        return graph.symbols(name, limit, offset)

    @server.tool()
    def callers(name: SymbolArg, limit: Limit = 200, offset: Offset = 0) -> CallToolResult:
        """Who calls this symbol (from the code graph): caller id, call line, callee id."""
        return graph.callers(name, limit, offset)

    @server.tool()
    def callees(name: SymbolArg, limit: Limit = 200, offset: Offset = 0) -> CallToolResult:
        """What this symbol calls (from the code graph): callee id and where it is defined,
        caller id, call line."""
        return graph.callees(name, limit, offset)

    @server.tool()
    def blast_radius(
        files: Annotated[list[str], Field(description="Changed files")],
    ) -> CallToolResult:
        """Files and tests affected by changing these files (from the code graph)."""
        return graph.blast_radius(files)


async def _close_servers_on_sigterm(hub: Hub) -> None:
    """On SIGTERM, close the fronted servers before dying as SIGTERM would have made us.

    A client stopping ``lynkr mcp`` closes its stdin and sends SIGTERM 2 s later; a fronted
    server that does not exit on its own is killed only after the SDK's own 2 s grace, so
    without this the default SIGTERM action left it running with parent PID 1.
    """
    with anyio.open_signal_receiver(signal.SIGTERM) as signals:
        async for _ in signals:
            hub.stop()
            with anyio.move_on_after(CLOSE_TIMEOUT):
                await hub.closed()
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)


def build_server(root: str | Path, *, test_command: str | None = None,
                 code_mode_config: str | Path | None = None,
                 own_sigterm: bool = False, grep_timeout: float | None = None) -> MCPServer:
    """The lynkr MCP server for ``root``; with ``code_mode_config``, plus the Code Mode
    meta-tools over the MCP servers that file lists (raises ``ConfigError`` when that file
    is unreadable or malformed). ``grep_timeout`` is grep's deadline in seconds (default
    ``search.DEADLINE_SECONDS``). ``own_sigterm`` (stdio only: uvicorn handles signals
    itself over HTTP) closes the fronted servers on SIGTERM before exiting."""
    ws = Workspace(Path(root))
    lifespan: Callable[[MCPServer], AbstractAsyncContextManager[Any]] | None = None
    hub = None
    if code_mode_config is not None:
        hub = Hub(load_config(code_mode_config))

        @asynccontextmanager
        async def lifespan(_: MCPServer) -> AsyncIterator[None]:
            # The SIGTERM watcher outlives the hub's own close: that close is when it counts.
            async with anyio.create_task_group() as tg:
                if own_sigterm and sys.platform != "win32":
                    tg.start_soon(_close_servers_on_sigterm, hub)
                async with hub:
                    yield None
                tg.cancel_scope.cancel()

    server = MCPServer(
        "lynkr",
        instructions=(
            "Code tools over the workspace root with token-lean results: read (outline for "
            "large files), grep, find, outline, run_tests, and code-graph queries."
        ),
        log_level="WARNING",
        lifespan=lifespan,
    )
    register_code_tools(server, ws, test_command=test_command, grep_timeout=grep_timeout)
    if hub is not None:
        register_meta_tools(server, hub)
    return server
