"""Fixtures: a small workspace, and lynkr's MCP server run for real (stdio and HTTP).

Starting a server costs about a second (most of it importing ``mcp``), so tests that only
read the standard workspace share one server per module (``shared_workspace`` and
``stdio_client``); a test that writes files, changes flags or breaks the server starts its
own."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from mcp import Client, StdioServerParameters

REPO = Path(__file__).resolve().parents[2]
FAKE_SERVER = Path(__file__).with_name("fake_server.py")


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Module-wide, so a module-scoped async fixture (a shared client) can span its tests."""
    return "asyncio"


def make_workspace(root: Path) -> Path:
    """A tiny Python project: a module, a large module, a failing and a passing test,
    a .gitignore'd file, and a symlink pointing out of the root."""
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "shapes.py").write_text(textwrap.dedent('''\
        import math


        def area(radius):
            return math.pi * radius ** 2


        class Circle:
            def __init__(self, radius):
                self.radius = radius

            def area(self):
                return area(self.radius)
        '''))
    big = ["import os", ""]
    for i in range(120):
        big += [f"def helper_{i}(value):", f'    """Add {i} to the value."""',
                "    total = value", f"    total += {i}", "    total *= 1", "    return total",
                "", ""]
    (root / "pkg" / "big.py").write_text("\n".join(big) + "\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_shapes.py").write_text(textwrap.dedent('''\
        from pkg.shapes import Circle


        def test_circle_area_is_positive():
            assert Circle(1).area() > 0


        def test_circle_area_of_two_is_twelve():
            assert Circle(2).area() == 12
        '''))
    (root / "conftest.py").write_text("")
    (root / ".gitignore").write_text("secret_build/\n*.log\n")
    (root / "secret_build").mkdir()
    (root / "secret_build" / "out.py").write_text("def area(): pass\n")
    (root / "run.log").write_text("area area area\n")
    outside = root.parent / f"{root.name}-outside.txt"
    outside.write_text("TOP SECRET outside the root\n")
    (root / "escape.txt").symlink_to(outside)
    return root


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "ws")


@pytest.fixture(scope="module")
def shared_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The workspace of ``make_workspace``, made once per module: only for tests that leave
    it as they found it."""
    return make_workspace(tmp_path_factory.mktemp("shared") / "ws")


@pytest.fixture(scope="module")
async def stdio_client(shared_workspace: Path) -> AsyncIterator[Client]:
    """``lynkr mcp --root shared_workspace`` over stdio, one per module, connected with the
    SDK client."""
    async with Client(stdio_params(shared_workspace)) as client:
        yield client


def stdio_params(root: Path, *extra: str) -> StdioServerParameters:
    """``python -m mcp_servers mcp --root ROOT`` as the SDK's stdio client starts it."""
    return StdioServerParameters(command=sys.executable,
                                 args=["-m", "mcp_servers", "mcp", "--root", str(root), *extra],
                                 cwd=str(REPO))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_http_server(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``lynkr mcp --http`` on a free loopback port and wait until it answers."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mcp_servers", "mcp", "--http", "--port", str(port),
         "--root", str(root)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/mcp"
    deadline = time.monotonic() + 40
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(proc.stderr.read().decode() if proc.stderr else "server died")
        try:
            httpx.get(url, timeout=0.5)
            return proc, url
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError("lynkr mcp --http did not answer within 40 s")


@pytest.fixture(scope="module")
def http_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """lynkr mcp --http on a loopback port, in its own process; yields the MCP URL."""
    root = make_workspace(tmp_path_factory.mktemp("http") / "ws")
    try:
        proc, url = start_http_server(root)
    except RuntimeError:  # the free port can be taken between probing and binding; retry once
        proc, url = start_http_server(root)
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
