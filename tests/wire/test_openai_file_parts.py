"""Files sent inline by OpenAI clients (Responses ``input_file``, chat ``file`` parts) reach
the model: a PDF goes whole to an Anthropic upstream as a ``document`` and is named in a note
for any other (as an Anthropic client's documents are, see test_native_blocks.py); text and
images are read by every upstream. Files lynkr would have to fetch are refused with a 400
that says what is supported."""

from __future__ import annotations

import base64
from typing import Any

import openai
import pytest

from lynkr.errors import InvalidRequest
from lynkr.model import ImageBlock, NativeBlock, Request, TextBlock, ToolResultBlock
from lynkr.tokens import PDF_PAGE_TOKENS, request_tokens
from lynkr.wire import anthropic, ollama, openai_chat, openai_responses
from tests.fakes.upstream import FakeUpstream, Reply

PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Pages /Count 1 >>\n2 0 obj << /Type /Page >>\n%%EOF"
PDF_B64 = base64.b64encode(PDF_BYTES).decode()
PDF_URL = f"data:application/pdf;base64,{PDF_B64}"
DOCUMENT = {"type": "document", "title": "spec.pdf",
            "source": {"type": "base64", "media_type": "application/pdf", "data": PDF_B64}}


def responses_file(**file: Any) -> Request:
    return openai_responses.parse_request({"model": "m", "input": [{"role": "user", "content": [
        {"type": "input_text", "text": "Summarise this."}, {"type": "input_file", **file}]}]})


def chat_file(**file: Any) -> Request:
    return openai_chat.parse_request({"model": "m", "messages": [{"role": "user", "content": [
        {"type": "text", "text": "Summarise this."}, {"type": "file", "file": file}]}]})


def anthropic_content(request: Request) -> list[dict[str, Any]]:
    body = anthropic.build_request(request, "m", stream=False, passthrough_extra=False)
    return body["messages"][0]["content"]


def openai_content(request: Request) -> Any:
    body = openai_chat.build_request(request, "m", stream=False, passthrough_extra=False)
    return body["messages"][0]["content"]


@pytest.mark.parametrize("parse", [responses_file, chat_file])
def test_a_pdf_goes_whole_to_an_anthropic_upstream_as_a_document(parse: Any) -> None:
    request = parse(file_data=PDF_URL, filename="spec.pdf")
    assert anthropic_content(request)[1] == DOCUMENT


@pytest.mark.parametrize("parse", [responses_file, chat_file])
def test_other_upstreams_are_told_which_file_was_left_out(parse: Any) -> None:
    request = parse(file_data=PDF_URL, filename="spec.pdf")
    note = "[document 'spec.pdf' (application/pdf) left out: this model cannot read it]"
    assert openai_content(request)[1] == {"type": "text", "text": note}
    ollama_body = ollama.build_request(request, "m", stream=False, keep_alive=None)
    assert note in ollama_body["messages"][0]["content"]


def test_a_pdf_given_as_bare_base64_is_known_by_its_name_or_its_header() -> None:
    assert chat_file(file_data=PDF_B64, filename="spec.pdf").messages[0].content[1] == \
        NativeBlock(DOCUMENT, format="anthropic")
    untitled = {k: v for k, v in DOCUMENT.items() if k != "title"}
    assert chat_file(file_data=PDF_B64).messages[0].content[1] == \
        NativeBlock(untitled, format="anthropic")


def test_a_pdfs_pages_are_counted_as_an_anthropic_clients_are() -> None:
    with_file = responses_file(file_data=PDF_URL, filename="spec.pdf")
    without = openai_responses.parse_request({"model": "m", "input": [
        {"role": "user", "content": [{"type": "input_text", "text": "Summarise this."}]}]})
    assert request_tokens(with_file) - request_tokens(without) == PDF_PAGE_TOKENS


@pytest.mark.parametrize("file", [
    {"file_data": "data:text/markdown;base64," + base64.b64encode(b"# Plan\nship").decode(),
     "filename": "plan.md"},
    {"file_data": base64.b64encode(b"# Plan\nship").decode(), "filename": "plan.md"},
])
def test_a_text_file_is_read_as_text_by_every_upstream(file: dict[str, str]) -> None:
    block = responses_file(**file).messages[0].content[1]
    assert block == TextBlock("[file plan.md]\n# Plan\nship")


def test_an_image_file_is_an_image() -> None:
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n").decode()
    block = chat_file(file_data=f"data:image/png;base64,{png}").messages[0].content[1]
    assert block == ImageBlock(media_type="image/png", data=png)


def test_a_file_inside_a_function_call_output_is_kept() -> None:
    request = openai_responses.parse_request({"model": "m", "input": [
        {"type": "function_call", "call_id": "c1", "name": "read", "arguments": "{}"},
        {"type": "function_call_output", "call_id": "c1", "output": [
            {"type": "input_file", "file_data": PDF_URL, "filename": "spec.pdf"}]}]})
    result = request.messages[1].content[0]
    assert isinstance(result, ToolResultBlock)
    assert result.content == [NativeBlock(DOCUMENT, format="anthropic")]


def test_an_anthropic_clients_own_document_still_goes_to_an_anthropic_upstream() -> None:
    request = anthropic.parse_request({"model": "m", "max_tokens": 5, "messages": [
        {"role": "user", "content": [DOCUMENT]}]})
    assert anthropic_content(request) == [DOCUMENT]


@pytest.mark.parametrize(("parse", "file", "param", "says"), [
    (responses_file, {"file_id": "file-abc"}, "input[0].content[1].file_id", "file_id"),
    (responses_file, {"file_url": "https://x/a.pdf"}, "input[0].content[1].file_url",
     "file_url"),
    (chat_file, {"file_id": "file-abc"}, "messages[0].content[1].file.file_id", "file_id"),
    (chat_file, {"file_data": "data:application/pdf;base64,%%%"},
     "messages[0].content[1].file.file_data", "base64"),
    (chat_file, {"file_data": "data:application/zip;base64,"
                 + base64.b64encode(b"PK\x03\x04\x00\x00").decode()},
     "messages[0].content[1].file.file_data", "application/zip"),
])
def test_files_lynkr_cannot_read_are_refused_saying_what_is_supported(
        parse: Any, file: dict[str, str], param: str, says: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse(**file)
    assert caught.value.param == param and caught.value.status == 400
    assert says in caught.value.message and "PDF, text or image" in caught.value.message


def test_through_the_proxy_a_responses_pdf_reaches_anthropic_whole(
        upstream: FakeUpstream, proxy_factory: Any) -> None:
    upstream.queue(Reply(text="It is a one-page spec."))
    with proxy_factory(MODEL_PROVIDER="anthropic", ANTHROPIC_API_KEY="k",
                       ANTHROPIC_ENDPOINT=upstream.url) as url:
        sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="unused", max_retries=0)
        response = sdk.responses.create(model="gpt-4o", input=[{"role": "user", "content": [
            {"type": "input_text", "text": "Summarise this."},
            {"type": "input_file", "file_data": PDF_URL, "filename": "spec.pdf"}]}])
    assert response.output_text == "It is a one-page spec."
    assert DOCUMENT in upstream.last.body["messages"][0]["content"]


def test_through_the_proxy_a_file_id_is_an_openai_400(proxy: str) -> None:
    sdk = openai.OpenAI(base_url=f"{proxy}/v1", api_key="unused", max_retries=0)
    with pytest.raises(openai.BadRequestError) as caught:
        sdk.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": [
            {"type": "file", "file": {"file_id": "file-abc"}}]}])
    assert "file_data" in caught.value.message
    assert caught.value.param == "messages[0].content[0].file.file_id"
