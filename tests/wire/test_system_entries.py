"""An Anthropic client's ``role: "system"`` entries reach upstreams of other formats in the
user turn next to them, wrapped in ``<system-reminder>`` tags, and the leading system prompt
is the client's top-level ``system`` alone: a new entry late in a session must not change the
prompt prefix, or no upstream cache (OpenAI, DeepSeek, OpenRouter) nor local KV cache
(llama.cpp, Ollama, LM Studio) is reused. The turns replayed here are shaped like the ones
Claude Code 2.1.332 sent (environment entry after the first prompt, an ``ultrathink`` note after
a later one, each carrying the request's breakpoint while it is the last message)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lynkr.wire import anthropic, bedrock, gemini, ollama, openai_chat
from lynkr.wire.system_entries import entries_in_turns, top_level_system

CACHED = {"type": "ephemeral"}
SYSTEM = [{"type": "text", "text": "x-anthropic-billing-header: cc_version=2.1.332"},
          {"type": "text", "text": "You are Claude Code.", "cache_control": CACHED},
          {"type": "text", "text": "Use the tools to help the user.", "cache_control": CACHED}]
LEADING = "\n\n".join(b["text"] for b in SYSTEM)
ENVIRONMENT = "# Environment\n - Primary working directory: /tmp/projK\n - Platform: linux"
ULTRATHINK = ('The user included the keyword "ultrathink", requesting deeper reasoning on this '
              "turn. Reason as thoroughly as the task warrants.")
READ = {"name": "Read", "description": "Read a file", "input_schema": {"type": "object"}}


def wrapped(text: str) -> str:
    return f"<system-reminder>\n{text}\n</system-reminder>"


def entry(text: str, *, last: bool) -> dict[str, Any]:
    """A system entry as Claude Code sends it: a marked text block while it ends the request,
    a string on the turns after."""
    if last:
        return {"role": "system", "content": [{"type": "text", "text": text,
                                               "cache_control": CACHED}]}
    return {"role": "system", "content": text}


def claude_code_turns() -> list[dict[str, Any]]:
    """Four consecutive requests of one Claude Code session (the shapes of tee3.jsonl), each
    with a fresh ``<total_tokens>`` entry at its end, a text that differs on every turn."""
    prompt = {"role": "user", "content": [
        {"type": "text", "text": wrapped("Attribution for git commits: none.")},
        {"type": "text", "text": "what's in pay.py?"}]}
    call = {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Reading it.", "signature": "sig1"},
        {"type": "tool_use", "id": "toolu_1", "name": "Read", "input": {"file_path": "pay.py"}}]}
    answer = {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Short.", "signature": "sig2"},
        {"type": "text", "text": "pay.py has a pay function."}]}
    design = {"role": "user", "content": "Design a migration of the payment system. ultrathink"}
    call_again = {"role": "assistant", "content": [
        {"type": "thinking", "thinking": "Again.", "signature": "sig3"},
        {"type": "text", "text": "Here is the design."},
        {"type": "tool_use", "id": "toolu_2", "name": "Read", "input": {"file_path": "pay.py"}}]}

    def result(call_id: str, marked: bool) -> dict[str, Any]:
        block = {"type": "tool_result", "tool_use_id": call_id, "content": "def pay(): ..."}
        return {"role": "user", "content": [{**block, "cache_control": CACHED} if marked
                                            else block]}

    histories = [
        [prompt, entry(ENVIRONMENT, last=True)],
        [prompt, entry(ENVIRONMENT, last=False), call, result("toolu_1", True)],
        [prompt, entry(ENVIRONMENT, last=False), call, result("toolu_1", False), answer,
         design, entry(ULTRATHINK, last=True)],
        [prompt, entry(ENVIRONMENT, last=False), call, result("toolu_1", False), answer,
         design, entry(ULTRATHINK, last=False), call_again, result("toolu_2", True)],
    ]
    return [{"model": "claude-sonnet-4-6", "max_tokens": 32000, "stream": True,
             "system": SYSTEM, "tools": [READ], "thinking": {"type": "adaptive"},
             "messages": [*history, entry(f"<total_tokens>{n}</total_tokens>", last=False)]}
            for n, history in enumerate(histories)]


def chat(body: dict[str, Any], *, keep_cache_control: bool = False) -> dict[str, Any]:
    return openai_chat.build_request(anthropic.parse_request(body), "qwen3-coder",
                                     stream=True, passthrough_extra=False,
                                     keep_cache_control=keep_cache_control)


def unmarked(value: Any) -> Any:
    """``value`` without any ``cache_control`` (the breakpoints move forward each turn), a
    content of one text part as its text (the form it takes without a breakpoint)."""
    if isinstance(value, dict):
        content = value.get("content")
        if isinstance(content, list) and len(content) == 1 and content[0].get("type") == "text":
            value = {**value, "content": content[0]["text"]}
        return {k: unmarked(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [unmarked(v) for v in value]
    return value


# --- where an entry goes -----------------------------------------------------------------------


def test_a_system_entry_goes_at_the_end_of_the_user_turn_it_follows() -> None:
    body = chat(claude_code_turns()[1])
    assert body["messages"][0] == {"role": "system", "content": LEADING}
    assert body["messages"][1] == {"role": "user", "content": [
        {"type": "text", "text": wrapped("Attribution for git commits: none.")},
        {"type": "text", "text": "what's in pay.py?"},
        {"type": "text", "text": wrapped(ENVIRONMENT)}]}
    assert [m["role"] for m in body["messages"]] == [
        "system", "user", "assistant", "tool", "user"]
    assert body["messages"][-1] == {
        "role": "user", "content": wrapped("<total_tokens>1</total_tokens>")}


def test_a_system_entry_after_an_assistant_turn_goes_at_the_start_of_the_next_user_turn() -> None:
    body = chat({"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"},
        {"role": "system", "content": "Mind the budget."},
        {"role": "user", "content": "go on"}]})
    assert body["messages"][-1] == {"role": "user", "content": [
        {"type": "text", "text": wrapped("Mind the budget.")},
        {"type": "text", "text": "go on"}]}


def test_a_system_entry_with_no_user_turn_after_it_goes_at_the_end_of_the_last_one() -> None:
    body = chat({"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "hi"}, {"role": "assistant", "content": "Sure, "},
        {"role": "system", "content": "Mind the budget."}]})
    assert [m["role"] for m in body["messages"]] == ["user", "assistant"]
    assert body["messages"][0]["content"][-1]["text"] == wrapped("Mind the budget.")


def test_a_system_entry_is_wrapped_only_once() -> None:
    body = chat({"model": "m", "max_tokens": 10, "messages": [
        {"role": "user", "content": "hi"},
        {"role": "system", "content": wrapped("Already wrapped.")}]})
    assert json.dumps(body).count("<system-reminder>") == 1


def test_a_request_without_system_entries_is_left_as_it_is() -> None:
    request = anthropic.parse_request({"model": "m", "max_tokens": 10, "system": "Be terse.",
                                       "messages": [{"role": "user", "content": "hi"}]})
    assert entries_in_turns(request) is request


def test_every_other_reader_still_sees_the_entries_folded_into_the_system_prompt() -> None:
    request = anthropic.parse_request(claude_code_turns()[2])
    before = request.system_text
    chat_body = openai_chat.build_request(request, "m", stream=False, passthrough_extra=False)
    assert request.system_text == before and ULTRATHINK in before
    assert chat_body["messages"][0]["content"] == LEADING
    assert [b.text for b in top_level_system(request)] == [b["text"] for b in SYSTEM]


# --- the property that matters: the prefix holds from turn to turn ----------------------------


BUILDERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "openai_chat": chat,
    "openrouter": lambda body: chat(body, keep_cache_control=True),
    "ollama": lambda body: ollama.build_request(anthropic.parse_request(body), "qwen3",
                                                stream=True, keep_alive=None),
}


@pytest.mark.parametrize("upstream", list(BUILDERS))
def test_each_turn_of_a_claude_code_session_only_appends_to_the_previous_prompt(
        upstream: str) -> None:
    bodies = [BUILDERS[upstream](turn) for turn in claude_code_turns()]
    assert len({json.dumps(b["messages"][0]) for b in bodies}) == 1
    for earlier, later in zip(bodies, bodies[1:], strict=False):
        # Everything but the previous turn's closing entry (a new text each turn) repeats.
        kept = unmarked(earlier["messages"][:-1])
        assert unmarked(later["messages"][:len(kept)]) == kept


def test_the_leading_system_message_is_byte_identical_on_every_turn() -> None:
    systems = {json.dumps(chat(turn)["messages"][0]) for turn in claude_code_turns()}
    assert systems == {json.dumps({"role": "system", "content": LEADING})}


# --- per codec -------------------------------------------------------------------------------


def test_openrouter_keeps_the_breakpoint_on_the_entry_where_claude_code_put_it() -> None:
    body = chat(claude_code_turns()[2], keep_cache_control=True)
    assert body["messages"][0]["content"] == [
        {"type": "text", "text": b["text"], **({"cache_control": CACHED}
                                               if "cache_control" in b else {})}
        for b in SYSTEM]
    design = body["messages"][-1]
    assert design["content"][-2] == {"type": "text", "text": wrapped(ULTRATHINK),
                                     "cache_control": CACHED}


def test_ollama_gets_the_entry_in_the_user_message_and_the_top_level_system_alone() -> None:
    body = ollama.build_request(anthropic.parse_request(claude_code_turns()[0]), "qwen3",
                                stream=True, keep_alive=None)
    assert body["messages"][0] == {"role": "system", "content": LEADING}
    assert body["messages"][1]["role"] == "user"
    assert body["messages"][1]["content"].endswith(
        "what's in pay.py?\n" + wrapped(ENVIRONMENT) + "\n"
        + wrapped("<total_tokens>0</total_tokens>"))
    assert len(body["messages"]) == 2


def test_bedrock_gets_the_entry_in_the_user_turn_with_its_cache_point() -> None:
    body = bedrock.build_request(anthropic.parse_request(claude_code_turns()[0]),
                                 "anthropic.claude-sonnet-4-6")
    assert [b.get("text") for b in body["system"] if "text" in b] == [b["text"] for b in SYSTEM]
    content = body["messages"][0]["content"]
    assert content[2:] == [{"text": wrapped(ENVIRONMENT)}, bedrock.CACHE_POINT,
                           {"text": wrapped("<total_tokens>0</total_tokens>")}]


def test_gemini_gets_the_entry_in_the_user_turn_and_the_top_level_system_alone() -> None:
    body = gemini.build_request(anthropic.parse_request(claude_code_turns()[2]))
    assert body["systemInstruction"] == {"parts": [{"text": LEADING}]}
    design = body["contents"][-1]
    assert design["role"] == "user"
    assert [p["text"] for p in design["parts"]][-2:] == [
        wrapped(ULTRATHINK), wrapped("<total_tokens>2</total_tokens>")]


@pytest.mark.parametrize("upstream", ["bedrock", "gemini"])
def test_the_json_instruction_follows_the_top_level_system_and_no_entry(upstream: str) -> None:
    body = {**claude_code_turns()[1], "output_format": {"type": "json_object"}}
    request = anthropic.parse_request(body)
    if upstream == "bedrock":
        texts = [b["text"] for b in bedrock.build_request(request, "amazon.nova-pro")["system"]
                 if "text" in b]
    else:
        texts = gemini.build_request(request)["systemInstruction"]["parts"][0]["text"] \
            .split("\n\n")
    assert texts[:len(SYSTEM)] == [b["text"] for b in SYSTEM]
    assert texts[-1].startswith("Answer with a single JSON object")
    assert len(texts) == len(SYSTEM) + 1


# --- properties ------------------------------------------------------------------------------


WORDS = st.text(st.sampled_from("abc xyz\n"), min_size=1, max_size=12)


@st.composite
def conversations(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[str]]:
    """Alternating turns (user first) with system entries drawn anywhere among them; returns
    the messages and the entries' texts in order."""
    turns = draw(st.integers(1, 7))
    messages: list[dict[str, Any]] = []
    entries: list[str] = []
    for n in range(turns):
        for _ in range(draw(st.integers(0, 2))):
            entries.append(f"[entry {len(entries)}] {draw(WORDS)}")
            messages.append({"role": "system", "content": entries[-1]})
        role = "user" if n % 2 == 0 else "assistant"
        messages.append({"role": role, "content": f"{role} {n}: {draw(WORDS)}"})
    for _ in range(draw(st.integers(0, 2))):
        entries.append(f"[entry {len(entries)}] {draw(WORDS)}")
        messages.append({"role": "system", "content": entries[-1]})
    return messages, entries


def texts_in(body: dict[str, Any]) -> str:
    """Every text a chat body's messages other than system ones carry, in order."""
    out = []
    for message in (m for m in body["messages"] if m["role"] != "system"):
        content = message["content"]
        out.extend([content] if isinstance(content, str)
                   else [p["text"] for p in content if p.get("type") == "text"])
    return "\n".join(out)


@settings(max_examples=150, deadline=None)
@given(conversations(), st.sampled_from(["", "You are Claude Code."]))
def test_any_entries_go_once_in_order_into_user_turns_and_leave_the_system_alone(
        drawn: tuple[list[dict[str, Any]], list[str]], system: str) -> None:
    messages, entries = drawn
    body = chat({"model": "m", "max_tokens": 10, "system": system, "messages": messages})
    without = chat({"model": "m", "max_tokens": 10, "system": system,
                    "messages": [m for m in messages if m["role"] != "system"]})
    leading = [m["content"] for m in body["messages"] if m["role"] == "system"]
    assert leading == ([system] if system else [])
    assert [m["role"] for m in body["messages"]] == [m["role"] for m in without["messages"]]
    carried = texts_in(body)
    assert [carried.count(wrapped(text)) for text in entries] == [1] * len(entries)
    places = [carried.index(wrapped(text)) for text in entries]
    assert places == sorted(places)
