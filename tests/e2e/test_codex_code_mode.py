"""The real Codex CLI in code mode through lynkr to a chat completions upstream.

With no ``model`` configured Codex 0.169 uses gpt-6.1-sol, for which it sends ``tools: []``
and puts its tools in an ``additional_tools`` input item: JavaScript ``exec``, which calls
Codex's other tools, and ``wait``. Codex runs ``exec`` only from a ``custom_tool_call``.
Skipped when the CLI is not installed, like tests/e2e/test_real_clients.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.test_real_clients import find_cli, run
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

JS = 'const r = await tools.exec_command({cmd: "cat NOTES.md"});\ntext(JSON.stringify(r));'


def test_codex_code_mode_runs_the_models_javascript_through_lynkr(
        upstream: FakeUpstream, proxy: str, tmp_path: Path) -> None:
    codex = find_cli("codex")
    if codex is None:
        pytest.skip("Codex CLI not installed")
    work = tmp_path / "work"
    work.mkdir()
    (work / "NOTES.md").write_text("lynkr carried this line end to end.\n")
    (tmp_path / ".codex").mkdir()
    (tmp_path / ".codex" / "config.toml").write_text(
        'model_provider = "lynkr"\n\n[model_providers.lynkr]\n'
        f'name = "lynkr"\nbase_url = "{proxy}/v1"\nwire_api = "responses"\n'
        'env_key = "LYNKR_KEY"\n')
    upstream.queue(Reply(text="", tool_calls=[ToolCall("exec", {"input": JS}, id="call_js")]),
                   Reply(text="NOTES.md says lynkr carried the line."))
    out = run([codex, "exec", "--skip-git-repo-check",
               "--dangerously-bypass-approvals-and-sandbox", "What does NOTES.md say?"],
              work, {"HOME": str(tmp_path), "LYNKR_KEY": "unused"})
    assert "NOTES.md says lynkr carried the line." in out, out
    offered = [t["function"]["name"] for t in upstream.received[0].body["tools"]]
    assert "exec" in offered and "wait" in offered
    tool_turn = [m for m in upstream.last.body["messages"] if m["role"] == "tool"]
    assert tool_turn and "carried this line end to end" in str(tool_turn[-1]["content"])
