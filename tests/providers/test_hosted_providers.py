"""Every OpenAI-chat and Anthropic-Messages provider row on its own URL shape and auth
headers, streaming and not, with tool calls, driven by the official SDKs through lynkr."""

from __future__ import annotations

from dataclasses import dataclass

import anthropic
import openai
import pytest

from tests.fakes.paths import PathsUpstream
from tests.fakes.upstream import Reply, ToolCall

WEATHER = {"name": "get_weather", "description": "Weather for a city.",
           "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}}
USER = [{"role": "user", "content": "Weather in Paris?"}]


@dataclass
class Row:
    provider: str
    env: dict[str, str]  # "{url}" is replaced by the fake's base URL
    path: str
    auth: dict[str, str]
    query: str = ""
    model: str = ""


ROWS = [
    Row("openai", {"OPENAI_API_KEY": "sk-o", "OPENAI_ENDPOINT": "{url}/v1",
                   "OPENAI_MODEL": "gpt-4o"},
        "/v1/chat/completions", {"authorization": "Bearer sk-o"}, model="gpt-4o"),
    Row("openrouter", {"OPENROUTER_API_KEY": "sk-or", "OPENROUTER_ENDPOINT": "{url}/api/v1",
                       "OPENROUTER_MODEL": "anthropic/claude-sonnet-4",
                       "OPENROUTER_SITE_URL": "https://example.dev",
                       "OPENROUTER_SITE_NAME": "My Agent"},
        "/api/v1/chat/completions", {"authorization": "Bearer sk-or",
                                     "http-referer": "https://example.dev",
                                     "x-title": "My Agent"}, model="anthropic/claude-sonnet-4"),
    Row("deepseek", {"DEEPSEEK_API_KEY": "sk-ds", "DEEPSEEK_ENDPOINT": "{url}/v1"},
        "/v1/chat/completions", {"authorization": "Bearer sk-ds"}, model="deepseek-chat"),
    Row("moonshot", {"MOONSHOT_API_KEY": "sk-ms", "MOONSHOT_ENDPOINT": "{url}/v1",
                     "MOONSHOT_MODEL": "kimi-k2"},
        "/v1/chat/completions", {"authorization": "Bearer sk-ms"}, model="kimi-k2"),
    Row("llamacpp", {"LLAMACPP_ENDPOINT": "{url}"}, "/v1/chat/completions", {},
        model="default"),
    Row("lmstudio", {"LMSTUDIO_ENDPOINT": "{url}", "LMSTUDIO_API_KEY": "lm",
                     "LMSTUDIO_MODEL": "qwen2.5-coder-7b-instruct"},
        "/v1/chat/completions", {"authorization": "Bearer lm"},
        model="qwen2.5-coder-7b-instruct"),
    Row("azure-openai", {"AZURE_OPENAI_ENDPOINT": "{url}", "AZURE_OPENAI_API_KEY": "az",
                         "AZURE_OPENAI_DEPLOYMENT": "prod-4o"},
        "/openai/deployments/prod-4o/chat/completions", {"api-key": "az"},
        query="api-version=2024-10-21", model="prod-4o"),
    Row("azure-openai", {"AZURE_OPENAI_ENDPOINT": "{url}/openai/v1/responses",
                         "AZURE_OPENAI_API_KEY": "az", "AZURE_OPENAI_DEPLOYMENT": "prod-4o"},
        "/openai/v1/chat/completions", {"api-key": "az"}, model="prod-4o"),
    Row("azure-openai", {"AZURE_OPENAI_ENDPOINT":
                         "{url}/openai/responses?api-version=2025-04-01-preview",
                         "AZURE_OPENAI_API_KEY": "az", "AZURE_OPENAI_DEPLOYMENT": "prod-4o"},
        "/openai/deployments/prod-4o/chat/completions", {"api-key": "az"},
        query="api-version=2025-04-01-preview", model="prod-4o"),
    Row("databricks", {"DATABRICKS_API_BASE": "{url}", "DATABRICKS_API_KEY": "dapi",
                       "DATABRICKS_MODEL": "databricks-claude-sonnet-4"},
        "/serving-endpoints/databricks-claude-sonnet-4/invocations",
        {"authorization": "Bearer dapi"}, model="databricks-claude-sonnet-4"),
    Row("anthropic", {"ANTHROPIC_API_KEY": "sk-ant", "ANTHROPIC_ENDPOINT": "{url}"},
        "/v1/messages", {"x-api-key": "sk-ant", "anthropic-version": "2023-06-01"},
        model="claude-sonnet-4-5"),
    Row("azure-anthropic", {"AZURE_ANTHROPIC_ENDPOINT": "{url}/anthropic",
                            "AZURE_ANTHROPIC_API_KEY": "foundry",
                            "AZURE_ANTHROPIC_MODEL": "claude-sonnet-4-5"},
        "/anthropic/v1/messages", {"x-api-key": "foundry", "anthropic-version": "2023-06-01"},
        model="claude-sonnet-4-5"),
]
IDS = [f"{r.provider}{'-' + r.path.split('/')[2] if r.provider == 'azure-openai' else ''}"
       f"{'-preview' if 'preview' in r.query else ''}" for r in ROWS]


@pytest.fixture(params=ROWS, ids=IDS)
def row_proxy(request, paths_upstream: PathsUpstream, proxy_factory):  # type: ignore[no-untyped-def]
    row: Row = request.param
    env = {k: v.replace("{url}", paths_upstream.url) for k, v in row.env.items()}  # type: ignore[attr-defined]
    with proxy_factory(MODEL_PROVIDER=row.provider, **env) as url:
        yield row, url


def check_wire(row: Row, fake: PathsUpstream) -> None:
    sent = fake.last
    assert sent.path == row.path
    assert fake.queries[-1] == row.query
    for name, value in row.auth.items():
        assert sent.headers.get(name) == value, name
    if not row.auth:
        assert "authorization" not in sent.headers
    assert sent.body["model"] == row.model


def test_tool_calls_come_through_whole_and_streamed(row_proxy, paths_upstream) -> None:  # type: ignore[no-untyped-def]
    row, url = row_proxy
    paths_upstream.queue(Reply(text="", tool_calls=[ToolCall("get_weather", {"city": "Paris"})]))
    sdk = openai.OpenAI(base_url=f"{url}/v1", api_key="x", max_retries=0)
    completion = sdk.chat.completions.create(
        model="lynkr/auto", messages=USER,
        tools=[{"type": "function", "function": {"name": "get_weather",
                                                 "parameters": WEATHER["input_schema"]}}])
    check_wire(row, paths_upstream)
    assert paths_upstream.last.body.get("stream") in (False, None)
    assert completion.choices[0].finish_reason == "tool_calls"
    call = completion.choices[0].message.tool_calls[0]
    assert call.function.name == "get_weather" and call.function.arguments == '{"city":"Paris"}'

    paths_upstream.queue(Reply(text="Checking.", tool_calls=[
        ToolCall("get_weather", {"city": "Paris", "unit": "c"}, id="call_7")]))
    claude = anthropic.Anthropic(base_url=url, api_key="x", max_retries=0)
    with claude.messages.stream(model="lynkr/auto", max_tokens=50, tools=[WEATHER],
                                messages=USER) as stream:
        final = stream.get_final_message()
    check_wire(row, paths_upstream)
    assert paths_upstream.last.body["stream"] is True
    assert final.content[0].text == "Checking."
    assert final.content[1].input == {"city": "Paris", "unit": "c"}
    assert final.stop_reason == "tool_use"


@pytest.mark.parametrize(("model", "kept"), [("anthropic/claude-sonnet-4", True),
                                             ("openai/gpt-4o", False)])
def test_openrouter_keeps_claude_codes_cache_breakpoints_for_models_that_need_them(
        paths_upstream: PathsUpstream, proxy_factory, model: str, kept: bool) -> None:  # type: ignore[no-untyped-def]
    """Claude and Gemini behind OpenRouter cache only where ``cache_control`` says; dropped,
    Claude Code paid full input price every turn."""
    mark = {"type": "ephemeral"}
    paths_upstream.queue(Reply(text="ok"))
    with proxy_factory(MODEL_PROVIDER="openrouter", OPENROUTER_API_KEY="sk-or",
                       OPENROUTER_ENDPOINT=f"{paths_upstream.url}/api/v1",
                       OPENROUTER_MODEL=model, TOOL_RESULT_COMPRESSION="off") as url:
        anthropic.Anthropic(base_url=url, api_key="x", max_retries=0).messages.create(
            model="lynkr/auto", max_tokens=50,
            system=[{"type": "text", "text": "You are Claude Code.", "cache_control": mark}],
            messages=[
                {"role": "user", "content": "list files"},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "t1", "name": "ls", "input": {}}]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "a.py",
                     "cache_control": mark},
                    {"type": "text", "text": "which is biggest?", "cache_control": mark}]}],
            tools=[{"name": "ls", "input_schema": {"type": "object"}}])
    system, _, _, tool, user = paths_upstream.last.body["messages"]
    if kept:
        assert system["content"] == [{"type": "text", "text": "You are Claude Code.",
                                      "cache_control": mark}]
        assert tool["content"] == [{"type": "text", "text": "a.py", "cache_control": mark}]
        assert user["content"] == [{"type": "text", "text": "which is biggest?",
                                    "cache_control": mark}]
    else:
        assert "cache_control" not in str(paths_upstream.last.body)
        assert (system["content"], tool["content"], user["content"]) == (
            "You are Claude Code.", "a.py", "which is biggest?")
