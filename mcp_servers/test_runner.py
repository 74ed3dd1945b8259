"""Finding and running a project's test command, with a timeout that really stops it.

The command is configured (``--test-command``) or detected from the files at the root:
pytest, npm test (jest & co.), go test, cargo test. The run happens in its own process group
so a timeout kills the runner's children too (pytest-xdist workers, jest workers).
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import anyio
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult

from mcp_servers.savings import tool_result
from mcp_servers.test_output import compress_test_output
from mcp_servers.workspace import Workspace


@dataclass(frozen=True, slots=True)
class TestCommand:
    """A test command as argv, plus the framework whose output format it prints."""

    __test__ = False  # not a pytest test class, despite the name

    argv: tuple[str, ...]
    framework: str


def _python_for(root: Path) -> str:
    for candidate in (root / ".venv" / "bin" / "python", root / "venv" / "bin" / "python"):
        if candidate.is_file():
            return str(candidate)
    return sys.executable


def detect_test_command(root: Path) -> TestCommand | None:
    """The test command the project's own files imply, or None when nothing is recognisable."""
    package_json = root / "package.json"
    if package_json.is_file():
        try:
            scripts = json.loads(package_json.read_text(encoding="utf-8")).get("scripts", {})
        except (ValueError, AttributeError):
            scripts = {}
        if isinstance(scripts, dict) and "test" in scripts:
            return TestCommand(("npm", "test", "--silent", "--"), "jest")
    if (root / "go.mod").is_file():
        return TestCommand(("go", "test", "./..."), "go")
    if (root / "Cargo.toml").is_file():
        return TestCommand(("cargo", "test"), "cargo")
    python_markers = ("pyproject.toml", "pytest.ini", "setup.cfg", "tox.ini", "conftest.py",
                      "setup.py")
    if any((root / marker).is_file() for marker in python_markers) or any(
            root.glob("test*/**/test_*.py")) or any(root.glob("test_*.py")):
        return TestCommand((_python_for(root), "-m", "pytest"), "pytest")
    return None


def configured_command(command: str) -> TestCommand:
    """A user-configured command line; its framework is guessed from the words in it."""
    argv = tuple(shlex.split(command))
    text = command.lower()
    framework = next((name for name in ("pytest", "jest", "go", "cargo") if name in text),
                     "generic")
    return TestCommand(argv, framework)


class TestRunner:
    """Runs the workspace's tests and answers with failures only."""

    __test__ = False

    def __init__(self, ws: Workspace, configured: str | None = None) -> None:
        self.ws = ws
        self.configured = configured_command(configured) if configured else None

    def command(self) -> TestCommand:
        command = self.configured or detect_test_command(self.ws.root)
        if command is None:
            raise ToolError("no test command found (no pytest, package.json, go.mod or "
                            "Cargo.toml at the root); start lynkr mcp with --test-command")
        return command

    async def run(self, target: str | None, timeout: float) -> CallToolResult:
        command = self.command()
        argv = list(command.argv)
        if target:
            if target.startswith("-"):
                raise ToolError("target must be a test path or selector, not an option")
            path_part = target.split("::", 1)[0]
            self.ws.resolve(path_part)
            argv.append(target)
        output, code, timed_out = await anyio.to_thread.run_sync(
            _run, argv, self.ws.root, timeout)
        compressed = compress_test_output(command.framework, output)
        if timed_out:
            raise ToolError(f"tests did not finish within {timeout:g}s and were stopped; "
                            f"output so far, compressed:\n{compressed[-3000:]}")
        # The runner's own summary line says passed/failed; the exit code travels as data.
        return tool_result(compressed, raw_text=output, exit_code=code,
                           framework=command.framework)


def _run(argv: list[str], cwd: Path, timeout: float) -> tuple[str, int, bool]:
    """Run ``argv``; on timeout kill its whole process group. Returns (output, code, timed_out)."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "CI": "1", "NO_COLOR": "1"}
    try:
        proc = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True)
    except FileNotFoundError as exc:
        raise ToolError(f"test command not found: {argv[0]}") from exc
    try:
        out, _ = proc.communicate(timeout=timeout)
        return out.decode("utf-8", errors="replace"), proc.returncode, False
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        return out.decode("utf-8", errors="replace"), -9, True
