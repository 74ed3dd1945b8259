"""Property: for an upstream that checks preserved thinking, an append-only conversation stays
append-only after the optimizers, in every mode: each request's Anthropic body has the same
system and tools as the one before and starts with all of its messages. Requests start as the
client's JSON and go through the Anthropic codec both ways, as they do in the proxy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lynkr.config import OptimizerSettings
from lynkr.model import Request
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.preserved_thinking import keeps_prefix
from lynkr.optimize.request_optimizer import optimize_request
from lynkr.optimize.tool_results import MODES as COMPRESSION_MODES
from lynkr.optimize.tool_selection import MODES as SELECTION_MODES
from lynkr.wire import anthropic
from tests.pipeline.prefix_check import prefix_break

DATA = Path(__file__).resolve().parents[2] / "bench" / "data" / "compression"
TOOLS: list[dict[str, Any]] = json.loads(
    (DATA / "claude_code_14_tools.json").read_text())["tools"]
PROMPTS = st.sampled_from([
    "What does the README say about installation?", "hello", "Fix the failing test in app.py",
    "Run the tests", "Search the web for the latest httpx version", "Commit and open a PR",
    "Plan the migration step by step, then edit config.toml",
    "<system-reminder>todo list is empty</system-reminder>Explain the router",
])


def _rows(n: int) -> str:
    return json.dumps([{"file": f"src/m{i % 7}.py", "line": i, "match": f"TODO {i}"}
                       for i in range(n)], indent=2)


OUTPUTS = st.one_of(
    st.integers(5, 120).map(_rows),
    st.integers(20, 400).map(lambda n: "\n".join(
        [*(f"tests/t{i}.py::test_{i} PASSED" for i in range(n)), "=== 1 failed in 1s ==="])),
    st.integers(20, 300).map(lambda n: "\n".join(f"src/a{i}.py:{i}: match {i}"
                                                 for i in range(n))),
    st.integers(50, 600).map(lambda n: "\n".join(f"{i:>6}\tline {i} of the file"
                                                 for i in range(n))),
    st.sampled_from(["ok", "Edited.", "command not found"]),
)
STEP = st.tuples(st.sampled_from([t["name"] for t in TOOLS]), OUTPUTS, st.booleans())
TURN = st.tuples(PROMPTS, st.lists(STEP, max_size=3))


def conversation(turns: list[tuple[str, list[tuple[str, str, bool]]]],
                 notes: bool) -> list[dict[str, Any]]:
    """A Claude-Code-like history as the client sends it: each prompt, its tool loop (signed
    thinking and a tool call, then the result), a closing answer, and with ``notes`` a
    role:"system" note after each user turn (Claude Code 2.x appends them)."""
    messages: list[dict[str, Any]] = []
    calls = 0

    def user(content: list[dict[str, Any]]) -> None:
        messages.append({"role": "user", "content": content})
        if notes:
            messages.append({"role": "system", "content": f"<budget>{len(messages)}</budget>"})

    for prompt, steps in turns:
        user([{"type": "text", "text": prompt}])
        for name, output, failed in steps:
            calls += 1
            messages.append({"role": "assistant", "content": [
                {"type": "thinking", "thinking": f"step {calls}", "signature": f"sig{calls}"},
                {"type": "tool_use", "id": f"toolu_{calls}", "name": name,
                 "input": {"arg": calls}}]})
            user([{"type": "tool_result", "tool_use_id": f"toolu_{calls}", "content": output,
                   "is_error": failed}])
        messages.append({"role": "assistant", "content": [
            {"type": "thinking", "thinking": "done", "signature": "sig"},
            {"type": "text", "text": "Done."}]})
    return messages


def requests_of(history: list[dict[str, Any]]) -> list[Request]:
    """Each request a client sends, parsed: the history up to a user turn (and its note),
    with the cache breakpoint on that turn's last block."""
    requests = []
    for end, message in enumerate(history):
        if message["role"] != "user":
            continue
        *blocks, last = message["content"]
        marked = {**message, "content": [*blocks, {**last, "cache_control": {"type": "ephemeral"}}]}
        notes = history[end + 1:end + 2] if end + 1 < len(history) \
            and history[end + 1]["role"] == "system" else []
        requests.append(anthropic.parse_request({
            "model": "claude-fable-5-2", "max_tokens": 8192, "thinking": {"type": "adaptive"},
            "system": [{"type": "text", "text": "You are Claude Code."}], "tools": TOOLS,
            "messages": [*history[:end], marked, *notes]}))
    return requests


def body(request: Request) -> dict[str, Any]:
    return anthropic.build_request(request, "claude-fable-5-2", stream=True,
                                   passthrough_extra=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns=st.lists(TURN, min_size=1, max_size=3), notes=st.booleans(),
       selection=st.sampled_from(SELECTION_MODES),
       compression=st.sampled_from(COMPRESSION_MODES),
       threshold=st.sampled_from([0, 100, 500]))
def test_optimized_bodies_of_an_append_only_conversation_only_append(
        turns: list[tuple[str, list[tuple[str, str, bool]]]], notes: bool, selection: str,
        compression: str, threshold: int) -> None:
    options = OptimizerSettings(selection, compression, threshold)
    bodies = []
    for request in requests_of(conversation(turns, notes)):
        assert keeps_prefix(request, "anthropic", "claude-fable-5-2")
        optimized = optimize_request(request, options, ExpandStore(), keep_prefix=True)
        bodies.append(body(optimized.request))
    for earlier, later in zip(bodies, bodies[1:], strict=False):
        assert prefix_break(earlier, later) is None


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns=st.lists(TURN, min_size=1, max_size=3))
def test_the_prefix_keeping_form_offers_every_tool_in_order_and_nothing_to_expand(
        turns: list[tuple[str, list[tuple[str, str, bool]]]]) -> None:
    for request in requests_of(conversation(turns, notes=True)):
        sent = optimize_request(request, OptimizerSettings(), ExpandStore(),
                                keep_prefix=True).request
        assert [t.name for t in sent.tools] == [t["name"] for t in TOOLS]
        assert "lynkr_expand" not in json.dumps(body(sent))
