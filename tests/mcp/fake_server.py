"""A tiny third-party MCP server for Code Mode tests (run as a script over stdio)."""

import os
import time
from typing import TypedDict

from mcp.server.mcpserver import MCPServer

server = MCPServer("fake", log_level="WARNING")


class User(TypedDict):
    id: int
    name: str
    email: str
    roles: list[str]


@server.tool()
def echo(text: str) -> str:
    """Echo the text back unchanged."""
    return text


@server.tool()
def get_user(user_id: int) -> User:
    """Look up a user account by numeric id and return its profile."""
    return User(id=user_id, name=f"user{user_id}", email=f"user{user_id}@example.com",
                roles=["admin", "dev"])


@server.tool()
def list_weather_stations(country: str) -> list[dict[str, object]]:
    """List the weather stations of a country with their coordinates."""
    return [{"id": i, "name": f"{country}-{i}", "lat": 40 + i, "lon": 3 + i} for i in range(20)]


@server.tool()
def fail_loudly() -> str:
    """Always fails, to test error results."""
    raise ValueError("this tool always fails")


@server.tool()
def crash() -> str:
    """Kill the server process in the middle of the call."""
    os._exit(3)


@server.tool()
def sleep(seconds: float) -> str:
    """Sleep, then answer."""
    time.sleep(seconds)
    return "awake"


@server.tool()
def pid() -> int:
    """The server's process id."""
    return os.getpid()


@server.tool()
async def hang() -> str:
    """Block the whole server (its event loop too), as a wedged server does."""
    time.sleep(3600)
    return "never"


@server.tool()
def many_rows(count: int) -> list[dict[str, object]]:
    """Return ``count`` file records: a result far bigger than a model's context."""
    return [{"path": f"/very/long/common/prefix/dir/file{i}.txt", "n": i} for i in range(count)]


if __name__ == "__main__":
    server.run("stdio")
