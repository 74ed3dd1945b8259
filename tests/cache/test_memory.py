"""Long-term memory: extraction, de-duplication, recall and injection."""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import pytest

from lynkr.config import Settings
from lynkr.embeddings import Embedder
from lynkr.memory_cli import add_cache_commands, add_memory_commands
from lynkr.model import TextBlock
from lynkr.optimize.memory import MEMORY_HEADER, MemoryStore, extract_facts, project_of
from lynkr.stores import Store, open_store
from tests.cache.conftest import answer, ask

CONVERSATION = ("I prefer pytest over unittest. The project uses uv for packaging. Can you "
                "look at the failing test? We decided to use Postgres 16 for the database.")


@pytest.fixture
def memory(make_settings: Callable[..., Settings], store: Store,
           embedder: Embedder) -> MemoryStore:
    return MemoryStore(make_settings(), store, embedder)


def test_preferences_decisions_and_project_facts_are_extracted() -> None:
    assert extract_facts(CONVERSATION) == [
        "I prefer pytest over unittest.",
        "The project uses uv for packaging.",
        "We decided to use Postgres 16 for the database.",
    ]


def test_questions_code_and_chatter_are_not_facts() -> None:
    text = ("Do we always use tabs? ```\n# we decided to use tabs\n``` Thanks, that "
            "worked. Please look at main.py. Tests are failing again. The build is broken.")
    assert extract_facts(text) == []


def test_facts_come_from_the_users_words_not_the_assistants_acknowledgement(
        memory: MemoryStore) -> None:
    echo = answer("Got it: from now on you use tabs. Let's use httpx for the client.")
    assert memory.extract(ask("From now on we use tabs for indentation."), echo) == [
        "From now on we use tabs for indentation."]
    assert memory.extract(ask("Which HTTP client?"), echo) == []


def test_context_claude_code_injects_is_not_taken_for_the_users_words(
        memory: MemoryStore) -> None:
    request = ask("I prefer pytest over unittest.")
    request.messages[-1].content.insert(0, TextBlock(
        "<system-reminder>\nContents of CLAUDE.md:\nWe always deploy on Fridays.\n"
        "</system-reminder>"))
    assert memory.extract(request, None) == ["I prefer pytest over unittest."]
    assert request.last_user_words() == "I prefer pytest over unittest."


def test_near_repeats_are_stored_once(memory: MemoryStore) -> None:
    first = memory.remember(extract_facts(CONVERSATION), "/repo")
    assert len(first) == 3
    again = memory.remember(["I really prefer pytest over unittest.",
                             "The project uses uv for packaging"], "/repo")
    assert [m.text for m in again] == ["I really prefer pytest over unittest."]
    assert len(memory.list()) == 3


def test_a_restated_fact_replaces_its_earlier_wording_instead_of_adding_a_second(
        memory: MemoryStore) -> None:
    memory.remember(["I prefer short commit messages."], "/repo")
    memory.remember(["I prefer long commit messages."], "/repo")
    memory.remember(["We use Postgres 16 for the database."], "/other")
    assert [m.text for m in memory.list("/repo")] == ["I prefer long commit messages."]
    assert len(memory.list("/other")) == 1


def test_similar_facts_about_different_values_are_all_kept(memory: MemoryStore) -> None:
    facts = [f"The service number {i} runs on port {8000 + i} behind the gateway."
             for i in range(3)]
    assert len(memory.remember(facts, "/repo")) == 3
    assert memory.remember(facts, "/repo") == []  # the same words again
    assert len(memory.list("/repo")) == 3


@pytest.mark.parametrize(("earlier", "later"), [
    ("I prefer tabs.", "I prefer spaces."),
    ("We use yarn.", "We use pnpm now."),
    ("The database is Postgres.", "The database is SQLite."),
    ("The API runs on port 8080.", "The API runs on port 9090."),
    ("I prefer pytest over unittest.", "I prefer unittest over pytest."),
])
def test_a_changed_choice_replaces_the_fact_it_takes_back(memory: MemoryStore, earlier: str,
                                                          later: str) -> None:
    memory.remember([earlier, "We deploy to Fly.io."], "/repo")
    memory.remember([earlier], "/other")
    memory.remember([later], "/repo")
    assert sorted(m.text for m in memory.list("/repo")) == sorted([later, "We deploy to Fly.io."])
    assert [m.text for m in memory.list("/other")] == [earlier]


@pytest.mark.parametrize(("earlier", "later"), [
    ("We use yarn for this project.", "We don't use yarn anymore, we use pnpm now."),
    ("We use yarn for this project.", "Let's use pnpm instead of yarn"),
    ("We use yarn for this project.", "We switched to pnpm"),
    ("Our tests run with jest", "Tests run with vitest now"),
    ("From now on we use tabs for indentation in this project, never spaces.",
     "We use spaces for indentation now"),
    ("I prefer double quotes.", "Never use double quotes, use single quotes"),
    ("We decided to use Postgres 16 as the production database.",
     "We moved the database to MySQL"),
])
def test_a_fact_that_takes_back_a_choice_retires_it_whatever_its_phrasing(
        memory: MemoryStore, earlier: str, later: str) -> None:
    assert extract_facts(earlier) == [earlier] and extract_facts(later) == [later]
    memory.remember([earlier, "We deploy to Fly.io."], "/repo")
    memory.remember([later], "/repo")
    assert sorted(m.text for m in memory.list("/repo")) == sorted([later, "We deploy to Fly.io."])


def test_memories_stored_before_choices_were_read_are_retired_too(
        memory: MemoryStore, store: Store, embedder: Embedder) -> None:
    vector = embedder.embed(["We use yarn."])  # as written before: with a template "slot"
    store.call("memory", "seed", lambda c: c.upsert(
        ids=["mem_old"], embeddings=vector.tolist(), documents=["We use yarn."],
        metadatas=[{"project": "/repo", "kind": "preference", "created": time.time(),
                    "slot": "0123456789abcdef"}]))
    memory.remember(["We switched to pnpm."], "/repo")
    assert [m.text for m in memory.list("/repo")] == ["We switched to pnpm."]


def test_all_exist_tells_whether_recalled_memories_are_still_stored(
        memory: MemoryStore) -> None:
    written = memory.remember(["We use yarn.", "We deploy to Fly.io."], "/repo")
    ids = tuple(m.id for m in written)
    assert memory.all_exist(ids) and memory.all_exist(())
    memory.remember(["We switched to pnpm."], "/repo")
    assert not memory.all_exist(ids)
    assert memory.all_exist(ids[1:])


def test_facts_that_can_hold_together_are_not_taken_for_a_change(memory: MemoryStore) -> None:
    facts = ["We use pytest.", "We use docker.", "I prefer single quotes in Python.",
             "I prefer single quotes in Go."]
    memory.remember(facts[:1], "/repo")
    memory.remember(facts[1:], "/repo")
    assert sorted(m.text for m in memory.list("/repo")) == sorted(facts)


def test_memory_version_changes_when_the_projects_facts_change_and_only_then(
        memory: MemoryStore) -> None:
    empty = memory.version("/repo")
    memory.remember(["From now on we use tabs for indentation."], "/repo")
    learned = memory.version("/repo")
    assert learned != empty
    memory.remember(["From now on we use tabs for indentation."], "/repo")
    memory.remember(["We deploy to Fly.io."], "/other")
    assert memory.version("/repo") == learned
    memory.remember(["From now on we use spaces for indentation."], "/repo")
    assert memory.version("/repo") not in (empty, learned)
    memory.clear("/repo")
    assert memory.version("/repo") == empty


def test_recall_finds_the_relevant_fact_within_the_project(memory: MemoryStore) -> None:
    memory.remember(extract_facts(CONVERSATION), "/repo")
    memory.remember(["The project uses MySQL 8 as its database."], "/other")
    recalled = memory.recall("which database should the migration target?", "/repo", k=1)
    assert [m.text for m in recalled] == ["We decided to use Postgres 16 for the database."]
    assert recalled[0].similarity > 0.3
    assert all(m.project == "/repo" for m in memory.recall("database", "/repo", k=5))


def test_memories_expire_after_the_memory_ttl(make_settings: Callable[..., Settings],
                                              store: Store, embedder: Embedder) -> None:
    now = [0.0]
    memory = MemoryStore(make_settings(memory={"ttl_seconds": 100}), store, embedder,
                         clock=lambda: now[0])
    memory.remember(["We decided to use Postgres 16 for the database."], "/repo")
    now[0] = 99
    assert memory.recall("database", "/repo", k=3)
    now[0] = 101
    assert memory.recall("database", "/repo", k=3) == []


def test_injection_appends_after_the_cached_system_prefix(memory: MemoryStore) -> None:
    memory.remember(extract_facts(CONVERSATION), "/repo")
    request = ask("Write the migration")
    request.system = [TextBlock("You are Claude Code."),
                      TextBlock("Project rules...", cache_control={"type": "ephemeral"})]
    prefix = list(request.system)
    injected = memory.inject(request, memory.recall("database migration", "/repo", k=2))
    assert injected.system[:2] == prefix
    assert injected.system[-1].cache_control is None
    assert injected.system[-1].text.startswith(MEMORY_HEADER)
    assert "Postgres 16" in injected.system[-1].text
    assert request.system == prefix and injected.messages == request.messages


def test_injection_respects_the_token_budget(memory: MemoryStore) -> None:
    memory.inject_budget_tokens = 30
    facts = [f"The service number {i} runs on port {8000 + i} behind the gateway."
             for i in range(6)]
    memory.remember(facts, "/repo")
    injected = memory.inject(ask("ports"), memory.recall("which port", "/repo", k=6))
    assert 1 <= injected.system[-1].text.count("\n- ") + 1 < 6
    assert memory.inject(ask("x"), []).system == []


def test_forget_and_clear(memory: MemoryStore) -> None:
    written = memory.remember(extract_facts(CONVERSATION), "/repo")
    memory.remember(["We deploy to Fly.io."], "/other")
    assert memory.forget(written[0].id) and not memory.forget(written[0].id)
    assert memory.clear(project="/repo") == 2
    assert [m.text for m in memory.list()] == ["We deploy to Fly.io."]
    assert memory.clear() == 1


def test_project_comes_from_the_agents_working_directory() -> None:
    claude = ask("hi", system="<env>\nWorking directory: /home/me/app\n</env>")
    claude_code = ask("hi", system=" - Primary working directory: /home/me/shop\n - Shell: bash")
    codex = ask("<environment_context><cwd>/srv/api</cwd></environment_context>")
    assert project_of(claude) == "/home/me/app"
    assert project_of(claude_code) == "/home/me/shop"
    assert project_of(codex) == "/srv/api"
    assert project_of(ask("hi")) == "default"


def test_cli_lists_searches_and_clears(monkeypatch: pytest.MonkeyPatch, tmp_path,
                                       capsys: pytest.CaptureFixture[str],
                                       embedder: Embedder) -> None:
    monkeypatch.setenv("LYNKR_DATA_DIR", str(tmp_path / "cli"))
    monkeypatch.chdir(tmp_path)
    settings = Settings(data_dir=str(tmp_path / "cli"))
    MemoryStore(settings, open_store(settings, embedder), embedder).remember(
        ["We decided to use Postgres 16 for the database."], "/repo")
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers()
    add_memory_commands(sub)
    add_cache_commands(sub)

    def run(*argv: str) -> int:
        args = parser.parse_args(list(argv))
        return int(args.func(args))

    assert run("memory", "list") == 0 and "Postgres 16" in capsys.readouterr().out
    assert run("memory", "search", "database", "--json") == 0
    assert '"similarity"' in capsys.readouterr().out
    assert run("memory", "clear", "--yes") == 0 and "deleted 1" in capsys.readouterr().out
    assert run("cache", "stats") == 0 and "entries      0" in capsys.readouterr().out
    assert run("memory", "forget", "mem_nope") == 1
