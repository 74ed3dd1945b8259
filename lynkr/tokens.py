"""Token counting with tiktoken, fully offline.

tiktoken downloads its BPE files on first use; we ship the two we need (MIT-licensed data,
sha256-identical to tiktoken's expected files) and point its cache at them before the first
``get_encoding``, so counting never touches the network.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import tiktoken

_VENDORED = Path(__file__).parent / "_vendor" / "tiktoken"
DEFAULT_ENCODING = "o200k_base"


@lru_cache(maxsize=4)
def encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """Return a tiktoken encoding loaded from the vendored BPE files."""
    # tiktoken reads the cache dir at load time; setting it only here keeps the override local.
    os.environ["TIKTOKEN_CACHE_DIR"] = str(_VENDORED)
    return tiktoken.get_encoding(name)


@lru_cache(maxsize=8192)
def count_tokens(text: str, encoding_name: str = DEFAULT_ENCODING) -> int:
    """Count the tokens of ``text``; results are cached because the same blocks recur per turn."""
    if not text:
        return 0
    return len(encoding(encoding_name).encode(text, disallowed_special=()))


def request_tokens(request: object) -> int:
    """Tokens of everything a request sends the model: system, messages, tool schemas.

    Structured parts (tool inputs, schemas) are counted as compact JSON, which is how every
    provider serializes them.
    """
    import orjson

    from lynkr.model import Request, TextBlock, ThinkingBlock, ToolResultBlock, ToolUseBlock

    assert isinstance(request, Request)
    total = sum(count_tokens(b.text) for b in request.system)
    for message in request.messages:
        for block in message.content:
            if isinstance(block, TextBlock):
                total += count_tokens(block.text)
            elif isinstance(block, ToolUseBlock):
                total += count_tokens(block.name) + count_tokens(orjson.dumps(block.input).decode())
            elif isinstance(block, ToolResultBlock):
                total += count_tokens(block.text)
            elif isinstance(block, ThinkingBlock):
                total += count_tokens(block.thinking)
    for tool in request.tools:
        total += count_tokens(orjson.dumps(tool.raw or {"name": tool.name,
                                                        "description": tool.description,
                                                        "input_schema": tool.input_schema}
                                           ).decode())
    return total
