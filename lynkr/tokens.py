"""Token counting with tiktoken, fully offline.

tiktoken downloads its BPE files on first use; we ship the two we need (MIT-licensed data,
sha256-identical to tiktoken's expected files) and point its cache at them before the first
``get_encoding``, so counting never touches the network.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from functools import lru_cache
from pathlib import Path

import tiktoken

_VENDORED = Path(__file__).parent / "_vendor" / "tiktoken"
DEFAULT_ENCODING = "o200k_base"

# Estimates for what tiktoken cannot count. Anthropic shrinks an image to about 1.15
# megapixels and charges width x height / 750 tokens: about 1,600 for a full-size one. A PDF
# page is its text (1,500-3,000 tokens in Anthropic's guide; the middle is taken) plus the
# page as an image. A client decides when to compact from this count, so 0 was the worst
# answer: a conversation full of screenshots looked empty.
IMAGE_TOKENS = 1_600
PDF_PAGE_TOKENS = 2_250 + IMAGE_TOKENS
_PDF_PAGE = re.compile(rb"/Type\s*/Page(?![A-Za-z])")


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

    from lynkr.model import (
        ImageBlock,
        NativeBlock,
        Request,
        TextBlock,
        ThinkingBlock,
        ToolResultBlock,
        ToolUseBlock,
    )

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
                total += sum(image_tokens(part.data) if isinstance(part, ImageBlock)
                             else native_tokens(part.raw) if isinstance(part, NativeBlock) else 0
                             for part in block.content)
            elif isinstance(block, ThinkingBlock):
                total += count_tokens(block.thinking)
            elif isinstance(block, ImageBlock):
                total += image_tokens(block.data)
            elif isinstance(block, NativeBlock):
                total += native_tokens(block.raw)
    for tool in request.tools:
        total += count_tokens(orjson.dumps(tool.raw or {"name": tool.name,
                                                        "description": tool.description,
                                                        "input_schema": tool.input_schema}
                                           ).decode())
    return total


def native_tokens(raw: dict) -> int:
    """An estimate for a block tiktoken cannot read whole: a PDF by its pages (one per
    100 KB when its page objects are compressed out of sight), anything else as its JSON."""
    import orjson

    source = raw.get("source")
    if isinstance(source, dict) and source.get("media_type") == "application/pdf":
        try:
            data = base64.b64decode(source.get("data") or "", validate=False)
        except (binascii.Error, ValueError):
            data = b""
        pages = len(_PDF_PAGE.findall(data)) or max(1, len(data) // 100_000)
        return pages * PDF_PAGE_TOKENS
    return count_tokens(orjson.dumps(raw).decode())


def image_tokens(data: str | None) -> int:
    """Anthropic's width x height / 750 for a PNG or GIF whose size its header gives (a
    16x16 icon is 1 token, not 1,600); :data:`IMAGE_TOKENS` for anything else (a URL, JPEG,
    WebP), the cost of a full-size image."""
    try:
        head = base64.b64decode((data or "")[:44] + "=" * (-len((data or "")[:44]) % 4))
    except (binascii.Error, ValueError):
        return IMAGE_TOKENS
    if head.startswith(b"\x89PNG\r\n\x1a\n") and len(head) >= 24:
        width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    elif head[:6] in (b"GIF87a", b"GIF89a") and len(head) >= 10:
        width, height = int.from_bytes(head[6:8], "little"), int.from_bytes(head[8:10], "little")
    else:
        return IMAGE_TOKENS
    return max(1, min(IMAGE_TOKENS, -(-width * height // 750)))
