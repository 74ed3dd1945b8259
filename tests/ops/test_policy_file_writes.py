"""Safe commands cover the agent's own file editors: a write to a protected location the shell
rules refuse through ``echo > /var/x`` is refused through Codex's ``apply_patch`` or Claude
Code's ``Write`` too, streamed or not; edits inside the workspace, and those an agent makes
outside it by design (plan files, added directories), go through."""

from __future__ import annotations

import openai
import pytest

from lynkr.model import ToolUseBlock
from lynkr.optimize.file_writes import written_paths
from lynkr.optimize.policy import refusal
from tests.fakes.upstream import FakeUpstream, Reply, ToolCall

WORKSPACE = "/home/dev/shop"


def patch(*headers: str) -> str:
    return "\n".join(["*** Begin Patch", *headers, "+x", "*** End Patch"])


def test_a_patch_names_every_file_it_adds_updates_deletes_or_moves_to() -> None:
    text = patch("*** Add File: new.py", "*** Update File: src/a.py", "*** Move to: src/b.py",
                 "*** Delete File: old.py")
    assert written_paths("apply_patch", {"input": text}) == [
        "new.py", "src/a.py", "src/b.py", "old.py"]


@pytest.mark.parametrize(("tool", "arguments"), [
    ("Write", {"file_path": "/etc/cron.d/job", "content": "x"}),
    ("Edit", {"file_path": "~/.bashrc", "old_string": "a", "new_string": "b"}),
    ("edit_file", {"target_file": "/var/www/index.html"}),
    ("write_to_file", {"path": "/usr/local/bin/tool"}),
    ("apply_patch", {"input": patch("*** Add File: /var/lynkr_patch.txt")}),
    ("apply_patch", {"input": patch("*** Update File: src/a.py", "*** Move to: /etc/x.py")}),
])
def test_an_editor_writing_a_protected_location_is_refused(
        tool: str, arguments: dict[str, object]) -> None:
    text = refusal(ToolUseBlock("t", tool, arguments), workspace=WORKSPACE)
    assert text is not None and f"The {tool} call writing" in text
    assert "protected location" in text


@pytest.mark.parametrize(("tool", "arguments"), [
    ("Write", {"file_path": f"{WORKSPACE}/src/app.py", "content": "x"}),
    ("Edit", {"file_path": "src/app.py", "old_string": "a", "new_string": "b"}),
    ("apply_patch", {"input": patch("*** Update File: src/a.py", "*** Add File: tests/t.py")}),
    ("Read", {"file_path": "/etc/hosts"}),
    # Outside the workspace by design: Claude Code's plan file, an --add-dir directory, a
    # sibling package a Codex patch edits.
    ("Write", {"file_path": "/home/dev/.claude/plans/quiet-fox.md", "content": "plan"}),
    ("Edit", {"file_path": "/home/dev/shared-lib/a.py", "old_string": "a", "new_string": "b"}),
    ("apply_patch", {"input": patch("*** Update File: ../shared-lib/a.py")}),
])
def test_edits_the_agent_makes_by_design_go_through(
        tool: str, arguments: dict[str, object]) -> None:
    assert refusal(ToolUseBlock("t", tool, arguments), workspace=WORKSPACE) is None


def test_without_a_known_workspace_only_protected_locations_are_refused() -> None:
    assert refusal(ToolUseBlock("t", "Write", {"file_path": "/tmp/out.txt"})) is None
    assert refusal(ToolUseBlock("t", "Write", {"file_path": "/etc/passwd"})) is not None


def test_codexs_patch_outside_its_cwd_is_refused_through_the_proxy(
        upstream: FakeUpstream, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    outside = patch("*** Add File: /var/lynkr_patch.txt")
    inside = patch("*** Update File: src/a.py")
    upstream.queue(Reply(text="", tool_calls=[
        ToolCall("apply_patch", {"input": outside}, id="c1"),
        ToolCall("apply_patch", {"input": inside}, id="c2")]))
    tools = [{"type": "custom", "name": "apply_patch", "description": "Edit files."}]
    context = f"<environment_context>\n  <cwd>{WORKSPACE}</cwd>\n</environment_context>"
    with proxy_factory(MODEL_PROVIDER="openai", OPENAI_ENDPOINT=f"{upstream.url}/v1",
                       OPENAI_API_KEY="k", POLICY_SAFE_COMMANDS_ENABLED="true") as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
        with client.responses.stream(model="m", tools=tools, input=[  # type: ignore[arg-type]
                {"role": "user", "content": context}, {"role": "user", "content": "edit"}],
                ) as stream:
            final = stream.get_final_response()
    calls = [item for item in final.output if item.type == "custom_tool_call"]
    assert [c.input for c in calls] == [inside]
    assert "The apply_patch call writing /var/lynkr_patch.txt was blocked" in final.output_text
