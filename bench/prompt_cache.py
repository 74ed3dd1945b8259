"""What a 10-turn Codex-like tool loop costs in input tokens at Anthropic's prices, with lynkr's
prompt-cache breakpoints (PROMPT_CACHE_BREAKPOINTS=auto, the default) and without (off), sent to
Anthropic and to Claude through OpenRouter:

    uv run python bench/prompt_cache.py

Each turn goes through lynkr's real pipeline (default optimizers, the provider's own payload
builder: Anthropic's Messages body, OpenRouter's chat body) to a provider that records the body
instead of sending it. The
client is Codex-shaped: ~26,000 characters of instructions (Claude Code 2.1.197's recorded
system prompt, repeated to that length), 14 tools as Responses functions, reasoning on, and
the whole input sent again every turn (store off) with the last call's output appended; the
outputs are file reads, grep hits and test runs of 3-6 KB.

Anthropic's cache is then replayed on those bodies as documented: a breakpoint writes the
prefix up to it (when at least MIN_CACHEABLE tokens) at 1.25x the input price, a later request
reads the longest written prefix it finds at one of its breakpoints or up to 20 blocks before
one at 0.1x, and tokens after the last breakpoint cost 1x. Every turn is assumed to follow the
previous one within the 5-minute TTL. Tokens are tiktoken o200k counts of each block's JSON,
an approximation of Claude's tokenizer that is the same for both rows; output tokens are the
same with and without breakpoints and are left out.

OpenRouter hands Claude the chat body's ``cache_control`` (text parts, tool messages, tool
definitions) and bills its cache as Anthropic does (its prompt-caching guide: writes 1.25x,
reads 0.1x, four breakpoints), so the same replay runs on the chat body read in the order Claude
gets it: tools, the system message, then each message's text, tool calls and tool results.
Its bodies are smaller: with no signed thinking to keep valid there, tool selection drops the
tools the task does not need, and Codex's encrypted reasoning does not go. Before lynkr placed
breakpoints for OpenRouter, its ``auto`` was its ``off``. Prints the tables, writes
bench/results/prompt_cache.json.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from lynkr.components import build_components
from lynkr.config import settings_from_env
from lynkr.model import Request, Response, TextBlock, ThinkingBlock, ToolUseBlock, Usage
from lynkr.pipeline import Pipeline
from lynkr.providers.base import Provider
from lynkr.providers.registry import build_providers
from lynkr.request_record import RequestRecord
from lynkr.tokens import count_tokens
from lynkr.wire import openai_responses

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "data" / "compression"
TURNS = 10
MODEL = "claude-sonnet-4-5"
OPENROUTER_MODEL = "anthropic/claude-sonnet-4.5"
INPUT_PRICE = 3.00  # $ per million input tokens, Claude Sonnet 4.5
WRITE, READ = 1.25, 0.10  # 5-minute cache write and cache read, times the input price
MIN_CACHEABLE = 1024  # Sonnet 4.5's smallest cacheable prefix
LOOKBACK = 20  # blocks the API looks back from a breakpoint for an earlier entry
INSTRUCTIONS_CHARS = 26_000


def instructions() -> str:
    recorded = json.loads((DATA / "claude_code_first_turn_readonly.json").read_text())
    text = "\n\n".join(b["text"] for b in recorded["system"])
    return (text * (INSTRUCTIONS_CHARS // len(text) + 1))[:INSTRUCTIONS_CHARS]


def tools() -> list[dict[str, Any]]:
    listed = json.loads((DATA / "claude_code_14_tools.json").read_text())["tools"]
    return [{"type": "function", "name": t["name"], "description": t["description"],
             "parameters": t["input_schema"]} for t in listed]


def tool_output(turn: int) -> tuple[str, str]:
    """The command Codex ran on ``turn`` and what it printed (deterministic, 3-6 KB)."""
    if turn % 3 == 0:
        lines = [f"{i:>5}\tdef handler_{turn}_{i}(request):  # line {i} of src/app_{turn}.py"
                 for i in range(1, 60 + 10 * turn)]
        return f"sed -n 1,200p src/app_{turn}.py", "\n".join(lines)
    if turn % 3 == 1:
        lines = [f"src/module_{i % 9}.py:{17 * i + turn}:    value = parse_{i}(payload)"
                 for i in range(70)]
        return f"rg -n parse_ src/ (turn {turn})", "\n".join(lines)
    lines = [f"tests/test_mod_{i}.py::test_case_{i} {'PASSED' if i % 11 else 'FAILED'}"
             for i in range(90)]
    return "pytest -v", "\n".join([*lines, f"=== 8 failed, 82 passed in {turn}.31s ==="])


class Recorder:
    """Stands in for the network: records each body the provider built and answers with
    reasoning and one shell call (a final text on the last turn)."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.bodies: list[dict[str, Any]] = []

    async def send(self, request: Request, model: str) -> Response:
        self.bodies.append(self.provider.payload(request, model, False))  # type: ignore[attr-defined]
        turn = len(self.bodies)
        thinking = ThinkingBlock(f"Turn {turn}: look at the next piece.", f"sig-{turn}")
        if turn == TURNS:
            return Response(f"msg_{turn}", model, [thinking, TextBlock("Fixed.")],
                            usage=Usage(1, 1))
        command, _ = tool_output(turn)
        return Response(f"msg_{turn}", model, [thinking, ToolUseBlock(
            f"call_{turn}", "Bash", {"command": command})], "tool_use", usage=Usage(1, 1))


UPSTREAMS = {"anthropic": {"MODEL_PROVIDER": "anthropic", "ANTHROPIC_API_KEY": "k",
                           "ANTHROPIC_ENDPOINT": "http://unused", "ANTHROPIC_MODEL": MODEL},
             "openrouter": {"MODEL_PROVIDER": "openrouter", "OPENROUTER_API_KEY": "k",
                            "OPENROUTER_ENDPOINT": "http://unused/api/v1",
                            "OPENROUTER_MODEL": OPENROUTER_MODEL}}


async def run_loop(mode: str, data_dir: str, upstream: str = "anthropic") -> list[dict[str, Any]]:
    """The bodies ``upstream`` gets in a TURNS-turn tool loop through lynkr with breakpoints
    ``mode``."""
    settings = settings_from_env({
        **UPSTREAMS[upstream], "SEMANTIC_CACHE_ENABLED": "false", "LYNKR_DATA_DIR": data_dir,
        "PROMPT_CACHE_BREAKPOINTS": mode})
    async with httpx.AsyncClient() as client:
        providers = build_providers(settings, client)
        provider = providers[upstream]
        recorder = Recorder(provider)
        provider.send = recorder.send  # type: ignore[method-assign]
        pipeline = Pipeline(settings, providers, build_components(settings))
        items: list[dict[str, Any]] = [{"type": "message", "role": "user", "content": [
            {"type": "input_text", "text": "The parser tests fail since yesterday. Find out "
                                           "why and fix it."}]}]
        system, offered = instructions(), tools()
        for turn in range(1, TURNS + 1):
            body = {"model": "gpt-5-codex", "instructions": system, "input": items,
                    "tools": offered, "store": False, "reasoning": {"effort": "medium"},
                    "include": ["reasoning.encrypted_content"]}
            await pipeline.run(openai_responses.parse_request(body), RequestRecord("bench"))
            command, output = tool_output(turn)
            items = [*items,
                     {"type": "reasoning", "summary": [{"type": "summary_text", "text":
                      f"Turn {turn}: look at the next piece."}],
                      "encrypted_content": f"sig-{turn}"},
                     {"type": "function_call", "call_id": f"call_{turn}", "name": "Bash",
                      "arguments": json.dumps({"command": command})},
                     {"type": "function_call_output", "call_id": f"call_{turn}",
                      "output": output}]
        return recorder.bodies


def blocks(body: dict[str, Any]) -> list[tuple[str, int, bool]]:
    """The body in cache order (tools, system, message blocks): each block's canonical JSON
    (no cache_control), its tokens, and whether it is a breakpoint."""
    items: list[tuple[str, dict[str, Any]]] = [("tool", t) for t in body.get("tools", [])]
    items += [("system", b) for b in body.get("system", [])]
    for message in body["messages"]:
        content = message["content"]
        for block in [{"type": "text", "text": content}] if isinstance(content, str) else content:
            items.append((message["role"], block))
    out = []
    for where, block in items:
        canonical = json.dumps({k: v for k, v in block.items() if k != "cache_control"},
                               sort_keys=True)
        out.append((f"{where}:{canonical}", count_tokens(canonical), "cache_control" in block))
    return out


def chat_blocks(body: dict[str, Any]) -> list[tuple[str, int, bool]]:
    """A chat body as :func:`blocks` reads a Messages body, in the order Claude gets it from
    OpenRouter: tools, then each message's parts, tool calls and tool result."""
    items: list[tuple[str, dict[str, Any]]] = [("tool", t) for t in body.get("tools", [])]
    for message in body["messages"]:
        content = message.get("content")
        parts = [{"type": "text", "text": content}] if isinstance(content, str) and content \
            else content if isinstance(content, list) else []
        if message["role"] == "tool":
            marked = any("cache_control" in p for p in parts)
            result = {"type": "tool_result", "id": message["tool_call_id"], "content": parts}
            items.append(("tool", {**result, "cache_control": {}} if marked else result))
            continue
        items += [(message["role"], part) for part in parts]
        items += [("call", call) for call in message.get("tool_calls", [])]
    return [(f"{where}:{canonical}", count_tokens(canonical), "cache_control" in item)
            for where, item in items
            for canonical in [json.dumps(_unmarked(item), sort_keys=True)]]


def _unmarked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unmarked(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_unmarked(v) for v in value]
    return value


def replay(bodies: list[dict[str, Any]],
           cut: Callable[[dict[str, Any]], list[tuple[str, int, bool]]] = blocks,
           ) -> list[dict[str, float]]:
    """Anthropic's cache replayed on consecutive bodies (each cut into blocks by ``cut``):
    tokens read, written, uncached."""
    written: set[str] = set()
    rows = []
    for body in bodies:
        segments = cut(body)
        digests, totals, digest, total = [], [], hashlib.sha256(), 0
        for canonical, tokens, _ in segments:
            digest.update(canonical.encode())
            digests.append(digest.hexdigest())
            total += tokens
            totals.append(total)
        marks = [i for i, (_, _, marked) in enumerate(segments) if marked]
        hit = max((j for b in marks for j in range(b, max(b - LOOKBACK, -1), -1)
                   if digests[j] in written), default=-1)
        read = totals[hit] if hit >= 0 else 0
        write = 0
        if marks and totals[marks[-1]] >= MIN_CACHEABLE:
            write = totals[marks[-1]] - read
            written.update(digests[b] for b in marks if totals[b] >= MIN_CACHEABLE)
        rows.append({"input": total, "read": read, "write": write,
                     "uncached": total - read - write, "breakpoints": len(marks)})
    return rows


def dollars(row: dict[str, float]) -> float:
    return (row["uncached"] + WRITE * row["write"] + READ * row["read"]) * INPUT_PRICE / 1e6


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        without = replay(asyncio.run(run_loop("off", data_dir)))
        with_ = replay(asyncio.run(run_loop("auto", data_dir)))
        routed = {mode: replay(asyncio.run(run_loop(mode, data_dir, "openrouter")), chat_blocks)
                  for mode in ("off", "auto")}
    print(f"{TURNS}-turn Codex-like tool loop to {MODEL} (${INPUT_PRICE:.2f}/MTok input, "
          f"cache write {WRITE}x, read {READ}x)\n")
    print("| turn | input tokens | off: $ | auto: read | written | uncached | auto: $ |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for turn, (off, auto) in enumerate(zip(without, with_, strict=True), 1):
        print(f"| {turn} | {off['input']:,} | {dollars(off):.4f} | {auto['read']:,} | "
              f"{auto['write']:,} | {auto['uncached']:,} | {dollars(auto):.4f} |")
    cost_off = sum(map(dollars, without))
    cost_auto = sum(map(dollars, with_))
    saved = 1 - cost_auto / cost_off
    print(f"| **total** | {sum(r['input'] for r in without):,} | {cost_off:.4f} | "
          f"{sum(r['read'] for r in with_):,} | {sum(r['write'] for r in with_):,} | "
          f"{sum(r['uncached'] for r in with_):,} | {cost_auto:.4f} |")
    print(f"\ninput cost with breakpoints: {saved:.1%} less\n")
    routed_off, routed_auto = (sum(map(dollars, routed[m])) for m in ("off", "auto"))
    routed_saved = 1 - routed_auto / routed_off
    print("| upstream | input tokens | off: $ | auto: read | written | auto: $ | saved |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, off_rows, auto_rows, off_cost, auto_cost, cut in [
            (f"Anthropic {MODEL}", without, with_, cost_off, cost_auto, saved),
            (f"OpenRouter {OPENROUTER_MODEL}", routed["off"], routed["auto"], routed_off,
             routed_auto, routed_saved)]:
        print(f"| {name} | {sum(r['input'] for r in off_rows):,} | {off_cost:.4f} | "
              f"{sum(r['read'] for r in auto_rows):,} | "
              f"{sum(r['write'] for r in auto_rows):,} | {auto_cost:.4f} | {cut:.1%} |")
    results = ROOT / "results" / "prompt_cache.json"
    results.write_text(json.dumps({
        "turns": TURNS, "model": MODEL, "input_price_per_mtok": INPUT_PRICE,
        "write_multiplier": WRITE, "read_multiplier": READ, "min_cacheable": MIN_CACHEABLE,
        "off": without, "auto": with_, "cost_off": round(cost_off, 6),
        "cost_auto": round(cost_auto, 6), "saved": round(saved, 4),
        "openrouter": {"model": OPENROUTER_MODEL, "off": routed["off"],
                       "auto": routed["auto"], "cost_off": round(routed_off, 6),
                       "cost_auto": round(routed_auto, 6),
                       "saved": round(routed_saved, 4)}}, indent=2) + "\n")


if __name__ == "__main__":
    main()
