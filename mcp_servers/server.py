"""The ``lynkr mcp`` server: compressed code tools over one workspace root.

Tools are typed functions; the SDK derives their JSON schemas from the signatures and the
``Annotated`` descriptions, so schema and code cannot drift. Descriptions are kept short on
purpose: every client sends every tool schema with every request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.types import CallToolResult
from pydantic import Field

from mcp_servers import files, outline, search
from mcp_servers.code_graph import GraphTools
from mcp_servers.test_runner import TestRunner
from mcp_servers.workspace import Workspace

PathArg = Annotated[str, Field(description="Path relative to the workspace root")]


def register_code_tools(server: MCPServer, ws: Workspace, *,
                        test_command: str | None = None) -> None:
    """Add read, grep, find, outline, run_tests and the graph tools to ``server``."""
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
                           glob=glob, limit=limit, offset=offset)

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
    def outline_tool(path: PathArg = ".", limit: int = 400) -> CallToolResult:
        """Symbols (kind, name, line range) of a file or every file in a folder."""
        return outline.outline_path(ws, path, limit)

    @server.tool()
    async def run_tests(
        target: Annotated[str | None, Field(description="Test file, dir or selector")] = None,
        timeout: Annotated[float, Field(description="Seconds before the run is stopped")] = 300,
    ) -> CallToolResult:
        """Run the project's tests; returns only failures, their tracebacks and the summary."""
        return await runner.run(target, timeout)

    @server.tool()
    def symbols(
        name: Annotated[str, Field(description="Symbol name or part of it")],
        limit: int = 50,
    ) -> CallToolResult:
        """Find definitions by name across the code graph."""
        return graph.symbols(name, limit)

    @server.tool()
    def callers(name: Annotated[str, Field(description="Function or method name")]
                ) -> CallToolResult:
        """Who calls this symbol (from the code graph)."""
        return graph.callers(name)

    @server.tool()
    def callees(name: Annotated[str, Field(description="Function or method name")]
                ) -> CallToolResult:
        """What this symbol calls (from the code graph)."""
        return graph.callees(name)

    @server.tool()
    def blast_radius(
        files: Annotated[list[str], Field(description="Changed files")],
    ) -> CallToolResult:
        """Files and tests affected by changing these files (from the code graph)."""
        return graph.blast_radius(files)


def build_server(root: str | Path, *, test_command: str | None = None,
                 code_mode_config: str | Path | None = None) -> MCPServer:
    """The lynkr MCP server for ``root``; with ``code_mode_config``, plus the Code Mode
    meta-tools over the MCP servers that file lists."""
    ws = Workspace(Path(root))
    lifespan: Callable[[MCPServer], AbstractAsyncContextManager[Any]] | None = None
    hub = None
    if code_mode_config is not None:
        from code_mode.config import load_config
        from code_mode.hub import Hub

        hub = Hub(load_config(code_mode_config))

        @asynccontextmanager
        async def lifespan(_: MCPServer) -> AsyncIterator[None]:
            async with hub:
                yield None

    server = MCPServer(
        "lynkr",
        instructions=(
            "Code tools over the workspace root with token-lean results: read (outline for "
            "large files), grep, find, outline, run_tests, and code-graph queries."
        ),
        log_level="WARNING",
        lifespan=lifespan,
    )
    register_code_tools(server, ws, test_command=test_command)
    if hub is not None:
        from code_mode.tools import register_meta_tools

        register_meta_tools(server, hub)
    return server
