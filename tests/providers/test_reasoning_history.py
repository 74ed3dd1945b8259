"""DeepSeek and Moonshot in thinking mode refuse a tool loop's next request unless each
assistant turn that called tools carries its ``reasoning_content``; the fakes apply that
documented refusal, and the official SDKs drive a two-step tool loop through lynkr."""

from __future__ import annotations

import anthropic
import openai
import pytest

from tests.fakes import quirks
from tests.fakes.paths import PathsUpstream
from tests.fakes.upstream import Reply, ToolCall

WEATHER = {"name": "get_weather", "description": "Weather for a city.",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
USER = {"role": "user", "content": "Weather in Paris?"}
THOUGHT = "The user wants Paris weather; call the tool."
PROVIDERS = {
    "deepseek": ({"DEEPSEEK_API_KEY": "sk-ds", "DEEPSEEK_MODEL": "deepseek-reasoner"},
                 quirks.deepseek_thinking),
    "moonshot": ({"MOONSHOT_API_KEY": "sk-ms", "MOONSHOT_MODEL": "kimi-k2-thinking"},
                 quirks.kimi_thinking),
}


@pytest.fixture(params=sorted(PROVIDERS))
def thinking_proxy(request, paths_upstream: PathsUpstream, proxy_factory):  # type: ignore[no-untyped-def]
    env, refusal = PROVIDERS[request.param]
    paths_upstream.refusals.append(refusal)
    prefix = request.param.upper()
    with proxy_factory(MODEL_PROVIDER=request.param,
                       **{f"{prefix}_ENDPOINT": f"{paths_upstream.url}/v1"}, **env) as url:
        yield url


def test_claude_codes_tool_loop_sends_the_reasoning_back(thinking_proxy: str,
                                                         paths_upstream: PathsUpstream) -> None:
    paths_upstream.queue(
        Reply(text="", thinking=THOUGHT, tool_calls=[ToolCall("get_weather", {"city": "Paris"})]),
        Reply(text="Sunny in Paris."))
    claude = anthropic.Anthropic(base_url=thinking_proxy, api_key="x", max_retries=0)
    with claude.messages.stream(model="lynkr/auto", max_tokens=500, tools=[WEATHER],
                                messages=[USER]) as stream:
        first = stream.get_final_message()
    assert [b.type for b in first.content] == ["thinking", "tool_use"]

    answer = claude.messages.create(
        model="lynkr/auto", max_tokens=500, tools=[WEATHER], messages=[
            USER, {"role": "assistant", "content": [b.model_dump() for b in first.content]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "call_1",
                                          "content": "Sunny, 24 C"}]}])

    assert answer.content[0].text == "Sunny in Paris."
    assistant = [m for m in paths_upstream.last.body["messages"] if m["role"] == "assistant"]
    assert assistant[0]["reasoning_content"] == THOUGHT


def test_a_tool_turn_whose_thinking_the_client_dropped_still_carries_the_field(
        thinking_proxy: str, paths_upstream: PathsUpstream) -> None:
    paths_upstream.queue(Reply(text="Sunny in Paris."))
    sdk = openai.OpenAI(base_url=f"{thinking_proxy}/v1", api_key="x", max_retries=0)
    completion = sdk.chat.completions.create(model="lynkr/auto", messages=[
        USER,
        {"role": "assistant", "content": None, "tool_calls": [{
            "id": "call_1", "type": "function",
            "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 24 C"},
        {"role": "assistant", "content": "Sunny in Paris."},
        {"role": "user", "content": "And tomorrow?"}])

    assert completion.choices[0].message.content == "Sunny in Paris."
    assistant = [m for m in paths_upstream.last.body["messages"] if m["role"] == "assistant"]
    assert assistant[0]["reasoning_content"] == ""
    assert "reasoning_content" not in assistant[1]  # no tools, nothing to carry
