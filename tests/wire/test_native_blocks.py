"""Blocks lynkr does not model (a PDF, a search result, a server tool's call) are kept whole
for an upstream of the client's own format, and named in a note for any other: never dropped
without a word. Claude Code's Read tool returns a PDF as a document inside a tool result."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import anthropic
import pytest

from lynkr.model import NativeBlock, TextBlock, ToolResultBlock
from lynkr.optimize.cache_keys import context_hash
from lynkr.tokens import IMAGE_TOKENS, PDF_PAGE_TOKENS, image_tokens, request_tokens
from lynkr.wire import anthropic as codec
from lynkr.wire import openai_chat
from tests.fakes.upstream import FakeUpstream, Reply

PAGES = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n" \
        b"3 0 obj << /Type /Page >>\n%%EOF"
PDF = {"type": "document", "title": "spec.pdf",
       "source": {"type": "base64", "media_type": "application/pdf",
                  "data": base64.b64encode(PAGES).decode()}}


def claude_code_body(document: dict[str, Any] = PDF) -> dict[str, Any]:
    """A Read of a PDF, as Claude Code sends it: the document inside the tool result."""
    return {"model": "claude", "max_tokens": 100, "messages": [
        {"role": "user", "content": "Summarise spec.pdf"},
        {"role": "assistant", "content": [{"type": "tool_use", "id": "toolu_1", "name": "Read",
                                           "input": {"file_path": "spec.pdf"}}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1",
                                      "content": [document]}]}]}


def test_a_pdf_in_a_tool_result_goes_whole_to_an_anthropic_upstream() -> None:
    request = codec.parse_request(claude_code_body())
    body = codec.build_request(request, "m", stream=False, passthrough_extra=True)
    assert body["messages"][2]["content"][0]["content"] == [PDF]


def test_another_upstream_is_told_what_was_left_out() -> None:
    request = codec.parse_request(claude_code_body())
    body = openai_chat.build_request(request, "m", stream=False, passthrough_extra=False)
    tool_message = next(m for m in body["messages"] if m["role"] == "tool")
    assert "document 'spec.pdf' (application/pdf) left out" in str(tool_message["content"])


def test_messages_for_another_format_replace_each_native_block_by_its_note() -> None:
    request = codec.parse_request(claude_code_body())
    assert request.messages_for("anthropic") is request.messages
    result = request.messages_for("ollama")[2].content[0]
    assert isinstance(result, ToolResultBlock)
    assert result.content == [TextBlock(NativeBlock(PDF).note())]


def test_two_different_pdfs_never_share_a_cache_key() -> None:
    other = {**PDF, "source": {**PDF["source"], "data": base64.b64encode(b"%PDF other").decode()}}
    assert context_hash(codec.parse_request(claude_code_body())) != \
        context_hash(codec.parse_request(claude_code_body(other)))


def test_count_tokens_estimates_images_and_pdf_pages_instead_of_zero() -> None:
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                         "data": "iVBORw0KGgo="}}
    text_only = codec.parse_request({"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": "hello"}]})
    with_attachments = codec.parse_request({"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": [image, image, PDF, {"type": "text", "text": "hello"}]}]})
    assert request_tokens(with_attachments) - request_tokens(text_only) == \
        2 * IMAGE_TOKENS + 2 * PDF_PAGE_TOKENS


@pytest.mark.parametrize("family", ["anthropic", "openai"])
def test_through_the_proxy_with_the_official_sdk(family: str, upstream: FakeUpstream,
                                                 proxy_factory) -> None:  # type: ignore[no-untyped-def]
    env = {"anthropic": dict(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                             ANTHROPIC_ENDPOINT=upstream.url),
           "openai": dict(MODEL_PROVIDER="openai", OPENAI_API_KEY="k",
                          OPENAI_ENDPOINT=f"{upstream.url}/v1", OPENAI_MODEL="gpt-fake")}[family]
    upstream.queue(Reply(text="It specifies two things."))
    with proxy_factory(**env) as url:
        sdk = anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)
        body = claude_code_body()
        sdk.messages.create(model="claude", max_tokens=100, messages=body["messages"])
    sent = str(upstream.received[-1].body)
    if family == "anthropic":
        assert PDF["source"]["data"] in sent
    else:
        assert "spec.pdf" in sent and "left out" in sent


def png(width: int, height: int) -> str:
    """The base64 of a PNG's signature and header chunk: all an estimate reads."""
    header = struct.pack(">II", width, height) + b"\x08\x02\x00\x00\x00"
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + header
                            + zlib.crc32(b"IHDR" + header).to_bytes(4, "big")).decode()


@pytest.mark.parametrize(("width", "height", "tokens"), [
    (16, 16, 1), (1000, 1000, 1334), (4000, 3000, IMAGE_TOKENS)])
def test_an_image_costs_what_its_size_does_up_to_a_full_size_one(width: int, height: int,
                                                                 tokens: int) -> None:
    assert image_tokens(png(width, height)) == tokens
    assert image_tokens(None) == IMAGE_TOKENS  # a URL: the size is not known
