"""lynkr's own cost per request, without HTTP: the pipeline (cache and memory off, every
optimizer at its default, the router when tiers are set) around a provider that answers at
once. It isolates what lynkr's code adds from the network stack and the machine's noise that
dominate bench/overhead.py, so two versions can be compared on it:

    uv run python bench/pipeline_cost.py                      # this checkout
    PYTHONPATH=/path/to/other/checkout python bench/pipeline_cost.py

Prints microseconds per request (best of five rounds of 2,000) for a one-line question and
for a Claude-Code-like tool turn, with and without tier routing.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from typing import Any

import httpx

from lynkr.components import build_components
from lynkr.config import settings_from_env
from lynkr.model import Response, TextBlock, Usage
from lynkr.pipeline import Pipeline
from lynkr.wire import anthropic, openai_chat

try:  # where RequestRecord lives moved; keep older checkouts comparable
    from lynkr.request_record import RequestRecord
except ImportError:  # pragma: no cover
    from lynkr.pipeline import RequestRecord  # type: ignore[attr-defined,no-redef]

ROUNDS, PER_ROUND = 5, 2000
QUESTION = {"model": "gpt-fake", "max_tokens": 64,
            "messages": [{"role": "user", "content": "What is the answer?"}]}
TOOLS = [{"name": name, "description": f"{name} tool. " * 20,
          "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}}}
         for name in ("Read", "Edit", "Write", "Bash", "Grep", "Glob", "WebFetch", "TodoWrite")]
TOOL_TURN = {"model": "claude-sonnet-4-5", "max_tokens": 1024, "tools": TOOLS,
             "system": "You are a coding agent.",
             "messages": [
                 {"role": "user", "content": "Why does test_parse fail in parser.py?"},
                 {"role": "assistant", "content": [
                     {"type": "tool_use", "id": "t1", "name": "Bash",
                      "input": {"command": "pytest -q"}}]},
                 {"role": "user", "content": [
                     {"type": "tool_result", "tool_use_id": "t1",
                      "content": "F.\nFAILED tests/test_parser.py::test_parse\n" * 40}]}]}


async def per_request(tiers: bool, parse: Any, body: dict[str, Any], data_dir: str) -> float:
    env = {"MODEL_PROVIDER": "openai", "OPENAI_API_KEY": "k", "OPENAI_ENDPOINT": "http://x/v1",
           "OPENAI_MODEL": "gpt-fake", "SEMANTIC_CACHE_ENABLED": "false",
           "LYNKR_DATA_DIR": data_dir}
    if tiers:
        env.update({f"TIER_{t}": "openai:gpt-fake"
                    for t in ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")})
    settings = settings_from_env(env)
    async with httpx.AsyncClient() as client:
        from lynkr.providers.registry import build_providers

        providers = build_providers(settings, client)

        async def answer(request: Any, model: str) -> Response:
            return Response("r", model, [TextBlock("ok")], usage=Usage(5, 5))

        for provider in providers.values():
            provider.send = answer  # type: ignore[method-assign]
        pipeline = Pipeline(settings, providers, build_components(settings))
        for _ in range(300):  # warm caches (tokenizer, regexes, embeddings table)
            await pipeline.run(parse(body), RequestRecord("bench"))
        best = float("inf")
        for _ in range(ROUNDS):
            start = time.perf_counter()
            for _ in range(PER_ROUND):
                await pipeline.run(parse(body), RequestRecord("bench"))
            best = min(best, (time.perf_counter() - start) / PER_ROUND)
        return best * 1e6


def main() -> None:
    cases = [("one-line question (OpenAI chat)", openai_chat.parse_request, QUESTION),
             ("tool turn, 8 tools (Anthropic)", anthropic.parse_request, TOOL_TURN)]
    print("| request | µs/request | with tier routing |\n|---|---:|---:|")
    with tempfile.TemporaryDirectory() as data_dir:
        for label, parse, body in cases:
            plain = asyncio.run(per_request(False, parse, body, data_dir))
            tiered = asyncio.run(per_request(True, parse, body, data_dir))
            print(f"| {label} | {plain:.1f} | {tiered:.1f} |")


if __name__ == "__main__":
    main()
