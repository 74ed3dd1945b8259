"""Gemini generateContent / streamGenerateContent (SSE) on the real wire, driven by the
official SDKs through lynkr."""

from __future__ import annotations

import anthropic
import openai
import pytest

from lynkr.model import Request, Tool
from lynkr.wire.gemini import build_request, gemini_schema
from tests.fakes.gemini import FakeGemini
from tests.fakes.upstream import Fail, Reply, ToolCall

WEATHER = {"name": "get_weather", "description": "Weather for a city.",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                            "required": ["city"], "additionalProperties": False,
                            "$schema": "http://json-schema.org/draft-07/schema#"}}
USER = [{"role": "user", "content": "Weather in Paris?"}]


@pytest.fixture
def gemini_proxy(fake_gemini: FakeGemini, proxy_factory):  # type: ignore[no-untyped-def]
    with proxy_factory(MODEL_PROVIDER="gemini", GEMINI_API_KEY="g-key",
                       GEMINI_ENDPOINT=fake_gemini.url,  # type: ignore[attr-defined]
                       GEMINI_MODEL="gemini-2.5-flash") as url:
        yield url


def claude(url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=url, api_key="unused", max_retries=0)


def test_generate_content_request_shape_and_key_header(gemini_proxy: str,
                                                       fake_gemini: FakeGemini) -> None:
    fake_gemini.queue(Reply(text="Sunny."))
    message = claude(gemini_proxy).messages.create(
        model="m", max_tokens=100, system="Be brief.", tools=[WEATHER], messages=USER)
    assert message.content[0].text == "Sunny."
    assert message.usage.input_tokens == 11 and message.usage.output_tokens == 7
    sent = fake_gemini.last
    assert sent.path == "/v1beta/models/gemini-2.5-flash:generateContent"
    assert sent.headers["x-goog-api-key"] == "g-key"
    assert sent.body["contents"] == [{"role": "user", "parts": [{"text": "Weather in Paris?"}]}]
    assert sent.body["systemInstruction"] == {"parts": [{"text": "Be brief."}]}
    assert sent.body["generationConfig"] == {"maxOutputTokens": 100}
    declaration = sent.body["tools"][0]["functionDeclarations"][0]
    assert declaration["parameters"] == {"type": "object", "required": ["city"],
                                         "properties": {"city": {"type": "string"}}}


def test_function_call_reaches_an_openai_client_as_a_tool_call(
        gemini_proxy: str, fake_gemini: FakeGemini) -> None:
    fake_gemini.queue(Reply(text="", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    sdk = openai.OpenAI(base_url=f"{gemini_proxy}/v1", api_key="x", max_retries=0)
    completion = sdk.chat.completions.create(
        model="gpt-4o", messages=USER,
        tools=[{"type": "function", "function": {"name": "get_weather",
                                                 "parameters": WEATHER["input_schema"]}}])
    assert completion.choices[0].finish_reason == "tool_calls"
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and call.function.arguments == '{"city":"Paris"}'


def test_stream_uses_alt_sse_and_text_arrives_in_pieces(gemini_proxy: str,
                                                        fake_gemini: FakeGemini) -> None:
    fake_gemini.queue(Reply(text="one two three four five", chunk_size=4))
    with claude(gemini_proxy).messages.stream(model="m", max_tokens=50,
                                              messages=USER) as stream:
        pieces = list(stream.text_stream)
        final = stream.get_final_message()
    assert fake_gemini.last.path.endswith(":streamGenerateContent")
    assert fake_gemini.queries[-1] == "alt=sse"
    assert len(pieces) > 1 and "".join(pieces) == "one two three four five"
    assert final.stop_reason == "end_turn" and final.usage.output_tokens == 7


def test_streamed_function_call_and_its_signature_round_trip(gemini_proxy: str,
                                                             fake_gemini: FakeGemini) -> None:
    fake_gemini.queue(Reply(text="Checking.", thinking="Need the tool.",
                            tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
                      Reply(text="Sunny."))
    sdk = claude(gemini_proxy)
    with sdk.messages.stream(model="m", max_tokens=50, tools=[WEATHER],
                             messages=USER) as stream:
        final = stream.get_final_message()
    assert [b.type for b in final.content] == ["thinking", "text", "tool_use"]
    use = final.content[2]
    assert use.name == "get_weather" and use.input == {"city": "Paris"}
    assert final.stop_reason == "tool_use"
    sdk.messages.create(model="m", max_tokens=50, tools=[WEATHER], messages=[
        *USER, {"role": "assistant", "content": [
            {"type": "tool_use", "id": use.id, "name": use.name, "input": use.input}]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}]}])
    contents = fake_gemini.last.body["contents"]
    assert contents[1] == {"role": "model", "parts": [
        {"functionCall": {"name": "get_weather", "args": {"city": "Paris"}},
         "thoughtSignature": "sig-get_weather"}]}
    assert contents[2] == {"role": "user", "parts": [
        {"functionResponse": {"name": "get_weather", "response": {"content": "sunny"}}}]}


def test_gemini_error_status_and_message_are_passed_on(gemini_proxy: str,
                                                       fake_gemini: FakeGemini) -> None:
    fake_gemini.queue(Fail(429, "Resource has been exhausted (e.g. check quota)."))
    with pytest.raises(anthropic.RateLimitError, match="Resource has been exhausted"):
        claude(gemini_proxy).messages.create(model="m", max_tokens=20, messages=USER)


def test_vertex_is_an_alias_of_gemini(fake_gemini: FakeGemini, proxy_factory) -> None:  # type: ignore[no-untyped-def]
    fake_gemini.queue(Reply(text="From Vertex."))
    with proxy_factory(MODEL_PROVIDER="vertex", GEMINI_API_KEY="g-key",
                       GEMINI_ENDPOINT=f"{fake_gemini.url}/v1beta",  # type: ignore[attr-defined]
                       GEMINI_MODEL="models/gemini-2.5-pro") as url:
        message = claude(url).messages.create(model="m", max_tokens=20, messages=USER)
    assert message.content[0].text == "From Vertex."
    assert fake_gemini.last.path == "/v1beta/models/gemini-2.5-pro:generateContent"


def test_schema_keywords_gemini_rejects_are_rewritten() -> None:
    schema = {"type": "object", "$schema": "x", "additionalProperties": False,
              "properties": {"mode": {"const": "fast"},
                             "note": {"type": ["string", "null"], "default": "n/a"},
                             "level": {"type": "integer", "enum": [1, 2]}},
              "required": ["mode", "ghost"]}
    assert gemini_schema(schema) == {
        "type": "object", "required": ["mode"],
        "properties": {"mode": {"enum": ["fast"]}, "note": {"type": "string", "nullable": True},
                       "level": {"type": "integer", "enum": ["1", "2"]}}}


def test_a_tool_without_parameters_is_declared_without_a_schema() -> None:
    request = Request(model="m", messages=[], tools=[Tool("now", "The time.",
                                                          {"type": "object"})])
    assert build_request(request)["tools"] == [
        {"functionDeclarations": [{"name": "now", "description": "The time."}]}]
