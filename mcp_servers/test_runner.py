"""Finding and running a project's test command, with a timeout that really stops it.

The command is configured (``--test-command``) or detected from the files at the root:
pytest, npm test (jest & co.), go test, cargo test. The run happens in its own process group
so a timeout, a cancelled call or the server shutting down kills the runner's children too
(pytest-xdist workers, jest workers). The timeout applies to the runner process itself, not
to its output pipe: a process the tests start in a new session (``setsid``, a daemon) can hold
the pipe open long after the tests are done, and must not make a finished run look hung.
"""

from __future__ import annotations

import atexit
import json
import os
import shlex
import signal
import subprocess
import sys
from collections import deque
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
        if not timeout > 0:
            raise ToolError(f"timeout must be more than 0 seconds (got {timeout:g})")
        command = self.command()
        argv = list(command.argv)
        if target:
            if target.startswith("-"):
                raise ToolError("target must be a test path or selector, not an option")
            path_part = target.split("::", 1)[0]
            self.ws.resolve(path_part)
            argv.append(target)
        run = await run_process(argv, self.ws.root, timeout)
        compressed = compress_test_output(command.framework, run.output)
        if run.exit_code is None:
            raise ToolError(f"tests did not finish within {timeout:g}s and were stopped; "
                            f"output so far, compressed:\n{compressed[-3000:]}")
        if run.note:
            compressed = f"{compressed.rstrip()}\n[{run.note}]"
        # The runner's own summary line says passed/failed; the exit code travels as data.
        return tool_result(compressed, raw_text=run.output, exit_code=run.exit_code,
                           framework=command.framework)


# After the runner exits, how long its output may take to arrive (an escaped process can
# hold the pipe open for ever), and how much of it is kept (head and tail: the summary is
# last).
DRAIN_SECONDS = 2.0
_HEAD_BYTES = 1 << 20
_TAIL_BYTES = 15 << 20
# Process groups of runs in progress, killed if the server exits with runs still going.
_running_groups: set[int] = set()


@dataclass(frozen=True, slots=True)
class Run:
    """One finished (or stopped) run: ``exit_code`` is None when the timeout stopped it;
    ``note`` says what else happened to it, for the model."""

    output: str
    exit_code: int | None
    note: str = ""


class _Output:
    """The runner's output as it arrives: the first MB and the last 15 MB, with the size of
    what was dropped between them."""

    def __init__(self) -> None:
        self.head = bytearray()
        self.tail: deque[bytes] = deque()
        self.tail_size = self.dropped = 0

    def add(self, chunk: bytes) -> None:
        room = _HEAD_BYTES - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail.append(chunk)
            self.tail_size += len(chunk)
        while self.tail_size - len(self.tail[0] if self.tail else b"") >= _TAIL_BYTES:
            self.tail_size -= len(first := self.tail.popleft())
            self.dropped += len(first)

    def text(self) -> str:
        cut = f"\n[... {self.dropped} bytes of output cut ...]\n" if self.dropped else ""
        data = bytes(self.head) + cut.encode() + b"".join(self.tail)
        return data.decode("utf-8", errors="replace")


def _kill_group(pgid: int) -> bool:
    """SIGKILL every process of the group; False when none was left."""
    try:
        os.killpg(pgid, signal.SIGKILL)
        return True
    except (ProcessLookupError, PermissionError):
        return False


@atexit.register
def _kill_running_groups() -> None:
    for pgid in list(_running_groups):
        _kill_group(pgid)


async def run_process(argv: list[str], cwd: Path, timeout: float) -> Run:
    """Run ``argv`` in a new process group. The group is killed when the runner outlives
    ``timeout``, and when the call is cancelled (the client gave up, the server is exiting).
    """
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "CI": "1", "NO_COLOR": "1"}
    try:
        proc = await anyio.open_process(argv, cwd=cwd, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                        env=env, start_new_session=True)
    except FileNotFoundError as exc:
        raise ToolError(f"test command not found: {argv[0]}") from exc
    _running_groups.add(proc.pid)
    output = _Output()
    drained = anyio.Event()

    async def collect() -> None:
        assert proc.stdout is not None
        try:
            async for chunk in proc.stdout:
                output.add(chunk)
        except (anyio.ClosedResourceError, anyio.BrokenResourceError):
            pass
        drained.set()

    note = ""
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(collect)
            with anyio.move_on_after(timeout) as limit:
                await proc.wait()
            if limit.cancelled_caught:
                _kill_group(proc.pid)
                await proc.wait()
            with anyio.move_on_after(DRAIN_SECONDS):
                await drained.wait()
            if not drained.is_set() and _kill_group(proc.pid):
                note = ("processes the tests left running in their process group kept the "
                        "output open after the run ended and were stopped")
                with anyio.move_on_after(DRAIN_SECONDS / 4):
                    await drained.wait()
            if not drained.is_set():
                note = ("a process the tests started in a new session (setsid or a daemon) "
                        "still holds the output open and was not stopped; output it writes "
                        "from now on is not shown")
            tasks.cancel_scope.cancel()
    except BaseException:
        _kill_group(proc.pid)  # cancelled: nothing the call started may outlive it
        raise
    finally:
        _running_groups.discard(proc.pid)
        with anyio.CancelScope(shield=True):
            await proc.aclose()
    exit_code = None if limit.cancelled_caught else proc.returncode
    return Run(output.text(), exit_code, note)
