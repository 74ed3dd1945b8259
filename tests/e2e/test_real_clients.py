"""The real Claude Code and Codex CLIs, run against lynkr on loopback with a fake upstream.

They are installed from npm (`npm install --prefix ~/.cache/lynkr/clients
@anthropic-ai/claude-code @openai/codex`); these tests look for them on PATH, in that cache,
or in LYNKR_CLIENTS_DIR, and skip cleanly when absent. Each asks the agent to read a file, so
a tool call goes out through lynkr, the CLI runs it, and the result comes back in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from lynkr.optimize.compressors.tables import unfactor
from tests.conftest import ProxyFactory
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall


def find_cli(name: str) -> str | None:
    dirs = [os.environ.get("LYNKR_CLIENTS_DIR", ""),
            str(Path.home() / ".cache" / "lynkr" / "clients")]
    for base in filter(None, dirs):
        candidate = Path(base) / "node_modules" / ".bin" / name
        if candidate.exists():
            return str(candidate)
    return shutil.which(name)


def run(cmd: list[str], cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(cmd, cwd=cwd, env={**os.environ, **env}, capture_output=True,
                            text=True, timeout=120, stdin=subprocess.DEVNULL)
    return result.stdout + result.stderr


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    (work / "NOTES.md").write_text("lynkr carried this line end to end.\n")
    return work


def test_claude_code_reads_a_file_through_lynkr(upstream: FakeUpstream, proxy: str,
                                                 workspace: Path, tmp_path: Path) -> None:
    claude = find_cli("claude")
    if claude is None:
        pytest.skip("Claude Code CLI not installed")
    upstream.queue(Reply(text="", tool_calls=[ToolCall(
        "Read", {"file_path": str(workspace / "NOTES.md")}, id="toolu_1")]),
        Reply(text="The notes say lynkr carried the line."))
    out = run([claude, "-p", "Read NOTES.md and tell me what it says", "--allowedTools", "Read"],
              workspace, {"HOME": str(tmp_path), "ANTHROPIC_BASE_URL": proxy,
                          "ANTHROPIC_API_KEY": "sk-ant-unused",
                          "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"})
    assert "The notes say lynkr carried the line." in out, out
    tool_turn = [m for m in upstream.last.body["messages"] if m["role"] == "tool"]
    assert tool_turn and "carried this line end to end" in tool_turn[-1]["content"]


def write_codex_config(home: Path, proxy: str) -> None:
    """The README's Codex config. A model name Codex knows (gpt-5.5) makes it offer its
    apply_patch tool; lynkr serves the name like any other alias."""
    (home / ".codex").mkdir()
    (home / ".codex" / "config.toml").write_text(
        'model = "gpt-5.5"\nmodel_provider = "lynkr"\n\n[model_providers.lynkr]\n'
        f'name = "lynkr"\nbase_url = "{proxy}/v1"\nwire_api = "responses"\n'
        'env_key = "LYNKR_KEY"\n')


def test_codex_runs_a_command_through_lynkr(upstream: FakeUpstream, proxy: str,
                                            workspace: Path, tmp_path: Path) -> None:
    codex = find_cli("codex")
    if codex is None:
        pytest.skip("Codex CLI not installed")
    write_codex_config(tmp_path, proxy)
    upstream.queue(Reply(text="", tool_calls=[ToolCall("exec_command", {"cmd": "cat NOTES.md"},
                                                       id="call_1")]),
                   Reply(text="NOTES.md says lynkr carried the line."))
    out = run([codex, "exec", "--skip-git-repo-check", "What does NOTES.md say?"], workspace,
              {"HOME": str(tmp_path), "LYNKR_KEY": "unused"})
    assert "NOTES.md says lynkr carried the line." in out, out
    tool_turn = [m for m in upstream.last.body["messages"] if m["role"] == "tool"]
    assert tool_turn and "carried this line end to end" in tool_turn[-1]["content"]


def test_codex_applies_a_patch_the_model_sends_through_a_chat_upstream(
        upstream: FakeUpstream, proxy: str, workspace: Path, tmp_path: Path) -> None:
    """Codex's apply_patch is a free-form tool; a chat-completions upstream gets it as a
    function taking one input string, and the call goes back to Codex as its own kind."""
    codex = find_cli("codex")
    if codex is None:
        pytest.skip("Codex CLI not installed")
    write_codex_config(tmp_path, proxy)
    patch = "*** Begin Patch\n*** Add File: hello.txt\n+hello from lynkr\n*** End Patch\n"
    upstream.queue(Reply(text="", tool_calls=[ToolCall("apply_patch", {"input": patch},
                                                       id="call_p")]),
                   Reply(text="Added hello.txt."))
    out = run([codex, "exec", "--skip-git-repo-check",
               "--dangerously-bypass-approvals-and-sandbox", "Add hello.txt"], workspace,
              {"HOME": str(tmp_path), "LYNKR_KEY": "unused"})
    assert "Added hello.txt." in out, out
    assert (workspace / "hello.txt").read_text() == "hello from lynkr\n"
    offered = {t["function"]["name"]: t["function"]["parameters"]
               for t in upstream.received[0].body["tools"]}
    assert offered["apply_patch"]["required"] == ["input"]


def test_claude_code_uses_lynkr_mcp_tools_and_the_model_sees_their_output(
        upstream: FakeUpstream, proxy: str, workspace: Path, tmp_path: Path) -> None:
    claude = find_cli("claude")
    if claude is None:
        pytest.skip("Claude Code CLI not installed")
    (workspace / "app.py").write_text("def handler():\n    # TODO: fix error handling\n")
    env = {"HOME": str(tmp_path), "ANTHROPIC_BASE_URL": proxy,
           "ANTHROPIC_API_KEY": "sk-ant-unused", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
           # A fresh checkout's first `lynkr mcp` start compiles bytecode. Claude Code's -p mode
           # waits only MCP_CONNECT_TIMEOUT_MS (default 5 s) for servers before sending the
           # first request without their tools, so give a cold CI machine room.
           "MCP_TIMEOUT": "60000", "MCP_CONNECT_TIMEOUT_MS": "60000"}
    run([claude, "mcp", "add", "lynkr", "--", sys.executable, "-m", "lynkr", "mcp"],
        workspace, env)
    # Claude Code 2.1.3xx defers MCP tools behind its ToolSearch tool; earlier versions offer
    # them at once. A first run shows which this CLI does.
    upstream.queue(Reply(text="Hello."))
    run([claude, "-p", "Say hello"], workspace, env)
    # The main turn: side requests (titles, quota probes) may come after it, with fewer tools.
    offered = max(([t["function"]["name"] for t in r.body.get("tools", [])]
                   for r in upstream.received), key=len)
    probed = len(upstream.received)
    search = [] if "mcp__lynkr__grep" in offered else [
        Reply(text="", tool_calls=[ToolCall("ToolSearch", {"query": "select:mcp__lynkr__grep"},
                                            id="toolu_s1")])]
    assert search == [] or "ToolSearch" in offered, offered
    upstream.queue(*search,
                   Reply(text="", tool_calls=[ToolCall("mcp__lynkr__grep", {"pattern": "TODO"},
                                                       id="toolu_m1")]),
                   Reply(text="Found one TODO."))
    out = run([claude, "-p", "Find TODOs", "--allowedTools", "mcp__lynkr__grep ToolSearch"],
              workspace, env)
    assert "Found one TODO." in out, out
    assert any("mcp__lynkr__grep" in [t["function"]["name"] for t in r.body.get("tools", [])]
               for r in upstream.received[probed:])  # offered to the model, at once or found
    tool_turns = [m for r in upstream.received[probed:] for m in r.body.get("messages", [])
                  if m["role"] == "tool"]
    assert any("TODO: fix error handling" in str(m["content"]) for m in tool_turns)


def test_claude_code_gets_a_paraphrased_repeat_from_the_semantic_cache(
        upstream: FakeUpstream, proxy_factory, workspace: Path,  # type: ignore[no-untyped-def]
        tmp_path: Path) -> None:
    claude = find_cli("claude")
    if claude is None:
        pytest.skip("Claude Code CLI not installed")
    env = {"HOME": str(tmp_path), "ANTHROPIC_API_KEY": "sk-ant-unused",
           "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
    answer = "A decorator wraps a function to extend what it does."
    upstream.queue(Reply(text=answer))
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk-test",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", OPENAI_MODEL="gpt-fake",
                       SEMANTIC_CACHE_ENABLED="true") as url:
        env["ANTHROPIC_BASE_URL"] = url
        first = run([claude, "-p", "What is a Python decorator?"], workspace, env)
        assert answer in first, first
        asked = len(upstream.received)
        again = run([claude, "-p", "what's a decorator in Python?"], workspace, env)
    assert answer in again, again
    main_turns = [r for r in upstream.received[asked:]
                  if "decorator" in str(r.body.get("messages", ""))]
    assert main_turns == [], "the paraphrase went upstream instead of the cache"


def test_claude_code_bash_json_output_reaches_the_model_as_factored_toon(
        upstream: FakeUpstream, proxy_factory: ProxyFactory, workspace: Path,
        tmp_path: Path) -> None:
    claude = find_cli("claude")
    if claude is None:
        pytest.skip("Claude Code CLI not installed")
    api = "https://tracker.example.com/api/v2/projects/widgets/issues/"
    issues = [{"id": 500 + i, "url": f"{api}{500 + i}", "state": "open" if i % 3 else "closed"}
              for i in range(40)]
    (workspace / "issues.json").write_text(json.dumps(issues, indent=2))
    upstream.queue(Reply(text="", tool_calls=[ToolCall(
        "Bash", {"command": "cat issues.json", "description": "Show the issues"},
        id="toolu_1")]), Reply(text="40 issues, 13 closed."))
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_API_KEY="sk-test",
                       OPENAI_ENDPOINT=f"{upstream.url}/v1", OPENAI_MODEL="gpt-fake",
                       TOOL_RESULT_COMPRESSION="lossless") as proxy:
        out = run([claude, "-p", "How many issues are closed?", "--allowedTools", "Bash"],
                  workspace, {"HOME": str(tmp_path), "ANTHROPIC_BASE_URL": proxy,
                              "ANTHROPIC_API_KEY": "sk-ant-unused",
                              "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"})
    assert "40 issues, 13 closed." in out, out
    [sent] = [m["content"] for m in upstream.last.body["messages"] if m["role"] == "tool"]
    assert sent.startswith(f'(every url below is "{api}" + the value shown)'), sent
    assert unfactor(sent) == issues
