"""``lynkr start`` as an operator meets it: a busy port or a bad setting is one line and an exit
code (no traceback, no banner), the banner appears once lynkr really listens, and a tier whose
provider is misspelt gets a warning."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import httpx
import pytest

from lynkr.config import settings_from_env
from lynkr.startup import startup_warnings
from tests.fakes.server import free_port
from tests.proxy.test_cli_start import run_lynkr


def env_file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / ".env"
    path.write_text("\n".join(["MODEL_PROVIDER=ollama", f"LYNKR_DATA_DIR={tmp_path / 'data'}",
                               *lines]) + "\n", encoding="utf-8")
    return path


def start(tmp_path: Path, *lines: str, port: int | None = None) -> subprocess.Popen[str]:
    return run_lynkr("start", "--env-file", str(env_file(tmp_path, *lines)),
                     "--port", str(port or free_port()), cwd=tmp_path)


def test_a_busy_port_is_one_line_and_exit_code_1_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        proc = start(tmp_path, port=port)
        output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 1
    assert output.strip().splitlines() == [
        f"lynkr: port {port} is in use on 127.0.0.1: Address already in use (another lynkr? "
        "choose one with --port or PORT)"]
    assert not (tmp_path / "data").exists()  # no store was opened


@pytest.mark.parametrize(("line", "message"), [
    ("ROUTING_FORCE_LOCAL=([", "ROUTING_FORCE_LOCAL: invalid regex '(['"),
    ("ROUTING_FORCE_REASONING=ok,(?P<", "ROUTING_FORCE_REASONING: invalid regex '(?P<'"),
    ("ROUTING_WEIGHTS_FILE=/no/such/weights.json",
     "ROUTING_WEIGHTS_FILE=/no/such/weights.json: cannot read"),
    ("PRICING_FILE=/no/such/prices.json", "PRICING_FILE='/no/such/prices.json'"),
    ("REQUEST_TIMEOUT=-5", "REQUEST_TIMEOUT=-5 must be greater than 0"),
])
def test_a_bad_routing_or_ops_setting_stops_startup_with_one_line_naming_it(
        tmp_path: Path, line: str, message: str) -> None:
    proc = start(tmp_path, line)
    output = proc.communicate(timeout=30)[0]
    assert proc.returncode == 2
    [only] = output.strip().splitlines()
    assert only.startswith(f"lynkr: configuration error: {message}")


def test_the_banner_is_printed_once_the_proxy_answers(tmp_path: Path) -> None:
    port = free_port()
    proc = start(tmp_path, "SEMANTIC_CACHE_ENABLED=false", port=port)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith(f"lynkr 0.1.0 listening on http://127.0.0.1:{port} ")
        # No polling: the line promises the socket is open and the app has started.
        assert httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.communicate(timeout=15)


def tier_warnings(value: str) -> list[str]:
    return [w for w in startup_warnings(settings_from_env({"MODEL_PROVIDER": "ollama",
                                                           "TIER_SIMPLE": value}))
            if "is not a provider" in w]


@pytest.mark.parametrize(("value", "meant"), [
    ("anthropc:claude-haiku", "anthropic:claude-haiku"),
    ("opnai:gpt-4o-mini", "openai:gpt-4o-mini"),
    ("olama:qwen2.5-coder:7b", "ollama:qwen2.5-coder:7b"),
    ("Openroutr:openai/gpt-4o", "openrouter:openai/gpt-4o"),
])
def test_a_misspelt_tier_provider_is_warned_about_in_one_line(value: str, meant: str) -> None:
    assert tier_warnings(value) == [
        f"TIER_SIMPLE={value}: {value.split(':')[0]!r} is not a provider, so this is model "
        f"{value!r} on ollama; did you mean {meant}?"]


@pytest.mark.parametrize("value", [
    "qwen2.5-coder:7b", "deepseek-r1:14b", "deepseek-coder-v2:16b", "llava:7b", "llama3:8b",
    "gemma2:2b", "llama:7b", "openchat:7b", "orca-mini:3b", "mistral",
    "anthropic.claude-3-5-sonnet-20240620-v1:0", "anthropic:claude-haiku-4-5",
])
def test_model_names_with_colons_and_real_providers_are_not_warned_about(value: str) -> None:
    assert tier_warnings(value) == []
