"""The four Code Mode meta-tools, registered on an MCPServer.

Instead of every schema of every server in every request (thousands of tokens), the model
sees four small tools and pulls in only the schemas and result fields it needs.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent
from pydantic import Field

from code_mode.connection import ServerUnavailable
from code_mode.hub import Hub, UnknownTool
from code_mode.results import (
    SelectError,
    apply_select,
    raw_text,
    render_capped,
    result_value,
)
from lynkr.optimize.toon import encode, toon_or_json
from lynkr.tokens import count_tokens


def _result(text: str, raw_tokens: int, **details: Any) -> CallToolResult:
    # The text goes in the structured content too, as for lynkr's own tools: some clients
    # (Claude Code 2.1) show the model only the structured part.
    structured = {"result": text, "raw_tokens": raw_tokens, "sent_tokens": count_tokens(text),
                  **details}
    return CallToolResult(content=[TextContent(type="text", text=text)],
                          structured_content=structured)


def register_meta_tools(server: MCPServer, hub: Hub) -> None:
    """Add search_tools, describe_tool, call_tool and list_servers over ``hub``."""

    @server.tool()
    async def search_tools(
        query: Annotated[str, Field(description="What you want to do, in words")],
        limit: int = 8,
    ) -> CallToolResult:
        """Find tools of the connected MCP servers; returns names and one-line descriptions."""
        found = await hub.search(query, limit)
        entries = await hub.entries()
        if not found:
            text = f"no tool matches {query!r}; {len(entries)} tools in the catalog"
        else:
            text = encode({"tools": [{"name": e.qualified, "description": e.summary()}
                                     for e in found]})
        all_schemas = json.dumps([{"name": e.qualified, "description": e.description,
                                   "inputSchema": e.input_schema} for e in entries])
        return _result(text, count_tokens(all_schemas), catalog_size=len(entries))

    @server.tool()
    async def describe_tool(
        name: Annotated[str, Field(description="Tool name from search_tools")],
    ) -> CallToolResult:
        """The full description and input schema of one tool."""
        try:
            entry = await hub.find(name)
        except UnknownTool as exc:
            raise ToolError(str(exc)) from exc
        _, schema = toon_or_json(entry.input_schema)
        text = f"{entry.qualified}: {entry.description}\ninputSchema:\n{schema}"
        raw = json.dumps({"name": entry.name, "description": entry.description,
                          "inputSchema": entry.input_schema})
        return _result(text, count_tokens(raw))

    @server.tool()
    async def call_tool(
        name: Annotated[str, Field(description="Tool name from search_tools")],
        arguments: Annotated[dict[str, Any] | None, Field(description="Tool arguments")] = None,
        select: Annotated[str | None, Field(
            description="JMESPath applied to the JSON result, e.g. items[].name")] = None,
    ) -> CallToolResult:
        """Call a tool; `select` keeps only part of its result. Results over about 8k
        tokens are cut, with a note on how to narrow or page them."""
        try:
            entry, result = await hub.call(name, arguments or {})
        except (UnknownTool, ServerUnavailable) as exc:
            raise ToolError(str(exc)) from exc
        value = result_value(result)
        if result.is_error:
            raise ToolError(f"{entry.qualified} failed: {render_capped(value)}")
        try:
            selected = apply_select(value, select)
        except SelectError as exc:
            raise ToolError(str(exc)) from exc
        return _result(render_capped(selected), count_tokens(raw_text(result)),
                       tool=entry.qualified)

    @server.tool()
    async def list_servers() -> CallToolResult:
        """The connected MCP servers, their state and tool counts."""
        await hub.entries()
        rows = hub.servers()
        return _result(encode({"servers": rows}), count_tokens(json.dumps(rows)))
