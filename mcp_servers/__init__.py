"""The MCP server ``lynkr mcp`` serves: token-lean code tools over one workspace root."""
