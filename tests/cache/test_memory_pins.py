"""One conversation keeps the memory block it was first given, byte for byte, so prompt and
KV-prefix caches keep hitting; it is recalled afresh only when a memory in it is gone."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lynkr.components import Components
from lynkr.config import Settings
from lynkr.embeddings import Embedder
from lynkr.model import Message, Request, TextBlock, ToolResultBlock, ToolUseBlock
from lynkr.optimize.memory import MEMORY_HEADER, MemoryStore
from lynkr.optimize.memory_pins import MemoryPins, PinnedRecall
from lynkr.routing.affinity import client_session
from lynkr.stores import Store
from tests.cache.conftest import answer

SYSTEM = "You are a coding agent.\n - Primary working directory: /repo"
FACTS = ["We use pnpm for packages.", "The API runs on port 8080.",
         "We deploy to Fly.io.", "I prefer pytest fixtures over setUp methods."]


@pytest.fixture
def parts(make_settings: Callable[..., Settings], store: Store,
          embedder: Embedder) -> Components:
    memory = MemoryStore(make_settings(), store, embedder)
    memory.remember(FACTS, "/repo")
    return Components(memory=memory)


def conversation(*prompts: str, system: str = SYSTEM) -> Request:
    """A conversation whose user turns are ``prompts`` (answered in between)."""
    messages: list[Message] = []
    for prompt in prompts:
        if messages:
            messages.append(Message("assistant", [TextBlock("Done.")]))
        messages.append(Message("user", [TextBlock(prompt)]))
    return Request(model="claude-sonnet-4-5", system=[TextBlock(system)], messages=messages)


def memory_block(request: Request) -> str:
    block = request.system[-1].text
    assert block.startswith(MEMORY_HEADER)
    return block


TURNS = ["Which package manager should I use to add lodash?",
         "What port does the API listen on?", "Where do we deploy?",
         "How do I write a test with fixtures?"]
SWITCH, ADD = "We switched to bun.", "Add lodash with the package manager."


def test_later_turns_get_the_first_turns_block_byte_for_byte(parts: Components) -> None:
    blocks = {memory_block(parts.memory_inject(conversation(*TURNS[:n + 1])))
              for n in range(len(TURNS))}
    assert len(blocks) == 1
    fresh = {memory_block(parts.memory_inject(conversation(turn))) for turn in TURNS}
    assert len(fresh) > 1  # what recall following each prompt would have sent


def test_a_fact_learned_in_the_conversation_leaves_its_block_as_it_was(
        parts: Components) -> None:
    first = memory_block(parts.memory_inject(conversation(TURNS[0])))
    told = conversation(TURNS[0], "Also, I prefer short commit messages.")
    parts.memory_learn(told, answer("Noted."))
    later = conversation(TURNS[0], "Also, I prefer short commit messages.", TURNS[1])
    assert memory_block(parts.memory_inject(later)) == first
    assert "short commit messages" in memory_block(parts.memory_inject(conversation(
        "How long should commit messages be?", system=SYSTEM + "\nAnother session.")))


def test_a_block_holding_a_retired_fact_is_recalled_afresh(parts: Components) -> None:
    first = memory_block(parts.memory_inject(conversation(TURNS[0])))
    assert "We use pnpm for packages." in first
    parts.memory_learn(conversation(TURNS[0], SWITCH), answer("Noted."))
    refreshed = memory_block(parts.memory_inject(conversation(TURNS[0], SWITCH, ADD)))
    assert "We use pnpm for packages." not in refreshed
    again = conversation(TURNS[0], SWITCH, ADD, TURNS[1])
    assert memory_block(parts.memory_inject(again)) == refreshed


def test_conversations_and_projects_are_pinned_apart(parts: Components) -> None:
    assert parts.memory is not None
    parts.memory.remember(["We use yarn for packages."], "/other")
    here = memory_block(parts.memory_inject(conversation(TURNS[0])))
    there = parts.memory_inject(conversation(
        TURNS[0], system=SYSTEM.replace("/repo", "/other")))
    assert "pnpm" in here and "yarn" in memory_block(there) and "pnpm" not in there.system[-1].text
    assert len(parts.memory_pins) == 2


def test_a_session_whose_recall_found_nothing_gets_the_first_block_found_then_keeps_it(
        make_settings: Callable[..., Settings], store: Store, embedder: Embedder) -> None:
    """Memory is not silenced for a whole session that opened on something else."""
    parts = Components(memory=MemoryStore(make_settings(), store, embedder))
    assert parts.memory_inject(conversation(TURNS[0])).system == [TextBlock(SYSTEM)]
    assert parts.memory is not None
    parts.memory.remember(FACTS, "/repo")  # learned meanwhile, in another conversation
    found = memory_block(parts.memory_inject(conversation(*TURNS[:2])))
    assert memory_block(parts.memory_inject(conversation(*TURNS[:3]))) == found


def test_a_tool_loop_on_the_same_words_does_not_ask_recall_again(
        make_settings: Callable[..., Settings], store: Store, embedder: Embedder) -> None:
    """Recall runs again only on new words from the user, not on each tool-result turn."""
    parts = Components(memory=MemoryStore(make_settings(), store, embedder))
    first = conversation(TURNS[0], TURNS[1])
    assert parts.memory_inject(first).system == [TextBlock(SYSTEM)]
    assert parts.memory is not None
    parts.memory.remember(FACTS, "/repo")
    looped = Request(model=first.model, system=first.system, messages=[
        *first.messages, Message("assistant", [ToolUseBlock("t1", "Read", {"file_path": "a"})]),
        Message("user", [ToolResultBlock("t1", [TextBlock("print(1)")])])])
    assert parts.memory_inject(looped).system == [TextBlock(SYSTEM)]
    assert MEMORY_HEADER in parts.memory_inject(conversation(*TURNS[:3])).system[-1].text


def test_two_sessions_opening_alike_keep_their_own_pins_by_the_clients_session_id(
        parts: Components) -> None:
    """Every Codex session in one directory opens with the same environment context."""
    def session(key: str, *prompts: str) -> Request:
        request = conversation(*prompts)
        request.extra["prompt_cache_key"] = key
        return request

    first = memory_block(parts.memory_inject(session("a", TURNS[0])))
    other = memory_block(parts.memory_inject(session("b", TURNS[0], TURNS[1])))
    assert memory_block(parts.memory_inject(session("a", TURNS[0], TURNS[2]))) == first
    assert other != first and len(parts.memory_pins) == 2


def test_claude_codes_session_id_is_read_from_its_user_id() -> None:
    user_id = '{"device_id":"d1","account_uuid":"","session_id":"3e1fb9b0"}'
    request = Request(model="m", messages=[], metadata={"user_id": user_id})
    assert client_session(request) == "3e1fb9b0"
    assert client_session(Request(model="m", messages=[], metadata={"user_id": "u"})) == ""


def test_a_first_turn_asked_again_opens_a_conversation_and_recalls_afresh(
        make_settings: Callable[..., Settings], store: Store, embedder: Embedder) -> None:
    parts = Components(memory=MemoryStore(make_settings(), store, embedder))
    assert parts.memory_inject(conversation(TURNS[0])).system == [TextBlock(SYSTEM)]
    assert parts.memory is not None
    parts.memory.remember(FACTS, "/repo")
    assert "pnpm" in memory_block(parts.memory_inject(conversation(TURNS[0])))


def test_a_prefix_keeping_upstream_gets_no_block_and_pins_nothing(parts: Components) -> None:
    request = conversation(TURNS[0])
    assert parts.memory_inject(request, keep_prefix=True) is request
    assert len(parts.memory_pins) == 0


def test_pins_are_a_bounded_table_that_drops_the_least_recently_used() -> None:
    pins = MemoryPins(max_size=2)
    nothing = PinnedRecall((), None)
    pins.pin("a", "/repo", nothing)
    pins.pin("b", "/repo", nothing)
    assert pins.get("a", "/repo") is nothing  # now the most recently used
    pins.pin("c", "/repo", nothing)
    assert pins.get("b", "/repo") is None and pins.get("a", "/repo") is nothing
    assert pins.get("a", "/other") is None and len(pins) == 2
