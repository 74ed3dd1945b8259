"""`lynkr start` as a user runs it: a real subprocess reading an env file."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from tests.fakes.server import free_port


def run_lynkr(*args: str, cwd: Path, env: dict[str, str] | None = None,
              ) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.endswith(("_API_KEY", "_ENDPOINT"))}
    environ.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "lynkr", *args], cwd=cwd, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_for(url: str, proc: subprocess.Popen[str], seconds: float = 20) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"lynkr exited early:\n{output}")
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError("lynkr did not come up")


def test_start_with_env_file_serves_health(tmp_path: Path) -> None:
    port = free_port()
    env_file = tmp_path / "custom.env"
    env_file.write_text(f"MODEL_PROVIDER=ollama\nPORT={port}\n"
                        f"LYNKR_DATA_DIR={tmp_path / 'data'}\n")
    proc = run_lynkr("start", "--env-file", str(env_file), cwd=tmp_path)
    try:
        response = wait_for(f"http://127.0.0.1:{port}/", proc)
        assert response.json()["service"] == "lynkr"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_codexs_websocket_attempt_is_refused_without_an_error_line(tmp_path: Path) -> None:
    port = free_port()
    proc = run_lynkr("start", "--port", str(port), cwd=tmp_path,
                     env={"LYNKR_DATA_DIR": str(tmp_path / "data"), "MODEL_PROVIDER": "ollama"})
    try:
        wait_for(f"http://127.0.0.1:{port}/", proc)
        with pytest.raises(InvalidStatus) as refused:
            connect(f"ws://127.0.0.1:{port}/v1/responses", open_timeout=10)
        assert refused.value.response.status_code == 426
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    assert "ERROR" not in output, output


def test_first_start_writes_a_commented_env_template(tmp_path: Path) -> None:
    port = free_port()
    proc = run_lynkr("start", "--port", str(port), cwd=tmp_path,
                     env={"LYNKR_DATA_DIR": str(tmp_path / "data")})
    try:
        wait_for(f"http://127.0.0.1:{port}/", proc)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=10)[0]
    template = (tmp_path / ".env").read_text()
    assert "MODEL_PROVIDER=ollama" in template and template.startswith("#")
    assert "wrote a commented template" in output


def test_invalid_setting_stops_startup_with_one_clear_line(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("MODEL_PROVIDER=skynet\n")
    proc = run_lynkr("start", cwd=tmp_path)
    output = proc.communicate(timeout=20)[0]
    assert proc.returncode == 2
    assert "MODEL_PROVIDER='skynet'" in output
    assert "Traceback" not in output


def test_port_that_is_not_a_number_is_named(tmp_path: Path) -> None:
    proc = run_lynkr("start", cwd=tmp_path, env={"PORT": "eighty"})
    output = proc.communicate(timeout=20)[0]
    assert proc.returncode == 2 and "PORT='eighty'" in output and "Traceback" not in output
