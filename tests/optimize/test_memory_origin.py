"""Which project a request works on, and whether its newest turn holds the user's own words.

The prompt lines are copied from requests Claude Code 2.1.197 and 2.1.332, Codex CLI, Cline
and Cursor send (2.1.332 puts its environment in a ``role: "system"`` message)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynkr.model import Message, Request, TextBlock, ToolResultBlock
from lynkr.optimize.memory_origin import (
    is_subagent,
    project_of,
    users_new_words,
    working_directory_in,
)
from lynkr.wire.anthropic import parse_request

BILLING = "x-anthropic-billing-header: cc_version=2.1.332.4a4; cc_entrypoint=sdk-cli;"
SUBAGENT_BILLING = ("x-anthropic-billing-header: cc_version=2.1.332.73a; cc_entrypoint=sdk-cli;"
                    " cc_is_subagent=true;")
SUBAGENT_NOTES = ("Notes:\n- Agent threads always have their cwd reset between bash calls, as a "
                  "result please only use absolute file paths.")
ENVIRONMENT_332 = ("# Environment\nYou have been invoked in the following environment: \n"
                   " - Primary working directory: /home/me/shop\n - Is a git repository: false")


def claude_code(text: str, *, system: list[str] | None = None,
                environment: str | None = ENVIRONMENT_332) -> Request:
    """A Claude Code 2.1.332 request body as it arrives, parsed."""
    reminder = "<system-reminder>\nToday's date is 2026-11-26.\n</system-reminder>\n"
    messages: list[dict[str, Any]] = [{"role": "user", "content": [
        {"type": "text", "text": reminder}, {"type": "text", "text": text}]}]
    if environment is not None:
        messages.append({"role": "system", "content": [{"type": "text", "text": environment}]})
    blocks = system or [BILLING, "You are a Claude agent, built on Anthropic's Claude Agent SDK."]
    return parse_request({"model": "claude-opus-5-5", "max_tokens": 100, "messages": messages,
                          "system": [{"type": "text", "text": b} for b in blocks]})


def user(text: str, system: str = "") -> Request:
    return Request(model="m", system=[TextBlock(system)] if system else [],
                   messages=[Message("user", [TextBlock(text)])])


def test_claude_code_2_1_332_names_its_directory_in_a_system_message() -> None:
    assert project_of(claude_code("hi")) == "/home/me/shop"


def test_claude_code_2_1_197_names_it_in_the_system_prompt() -> None:
    system = ("Here is useful information about the environment you are running in:\n"
              " environment: \n - Primary working directory: /tmp/cchunt/projG\n"
              " - Is a git repository: false")
    assert project_of(user("hi", system)) == "/tmp/cchunt/projG"


@pytest.mark.parametrize(("text", "directory"), [
    ("<env>\nWorking directory: /home/me/app\n</env>", "/home/me/app"),  # subagents, older
    (" - primary WORKING directory: /srv/api/", "/srv/api"),
    (" - Primary working directory: /srv/new (was /srv/old)", "/srv/new"),
    ("Primary working directory: /Users/me/My Project", "/Users/me/My Project"),
    ("Primary working directory: C:\\Users\\me\\app", "C:\\Users\\me\\app"),
    ("Current Working Directory: /home/me/cline-app", "/home/me/cline-app"),  # Cline
    ("# Current Working Directory (/home/me/cline-app) Files\nsrc/", "/home/me/cline-app"),
    ("The absolute path of the user's workspace is /Users/me/web.", "/Users/me/web"),  # Cursor
    ("Primary working directory: /", "/"),
])
def test_every_agents_working_directory_line_is_read(text: str, directory: str) -> None:
    assert working_directory_in(text) == directory


def test_codex_names_its_directory_in_environment_context_before_the_prompt() -> None:
    context = ("<environment_context>\n  <cwd>/tmp/ws</cwd>\n  <shell>bash</shell>\n"
               "</environment_context>")
    request = Request(model="gpt-5.5", system=[TextBlock("You are Codex.")], messages=[
        Message("user", [TextBlock(context)]), Message("user", [TextBlock("We use pnpm.")])])
    assert project_of(request) == "/tmp/ws"


def test_words_that_are_not_a_path_do_not_name_a_project() -> None:
    assert working_directory_in("Working directory: unknown, ask the user") is None
    assert project_of(user("hi", "Working directory: n/a")) == "default"


def test_without_a_directory_the_project_is_the_metadata_one_or_default() -> None:
    tagged = Request(model="m", messages=[Message("user", [TextBlock("hi")])],
                     metadata={"project": "billing"})
    assert project_of(tagged) == "billing"
    assert project_of(user("hi")) == "default"


@given(st.from_regex(r"/[a-z0-9_\-]{1,12}(/[a-zA-Z0-9_. \-]{1,12}){0,3}", fullmatch=True)
       .filter(lambda p: p == p.rstrip(" /.") and "  " not in p))
def test_any_posix_path_is_read_back_as_written(path: str) -> None:
    assert working_directory_in(f" - Primary working directory: {path}\n - Shell: bash") == path
    assert working_directory_in(f"<cwd>{path}</cwd>") == path


def test_a_claude_code_subagent_is_told_apart_from_the_main_session() -> None:
    main = claude_code("Use a subagent to find the routes")
    subagent = claude_code("The project uses Flask. Find all route definitions.", system=[
        SUBAGENT_BILLING, "You are an agent for Claude Code.\n" + SUBAGENT_NOTES])
    assert not is_subagent(main) and is_subagent(subagent)
    assert users_new_words(main) == "Use a subagent to find the routes"
    assert users_new_words(subagent) == ""


def test_a_subagent_is_known_by_its_notes_when_the_billing_header_is_off() -> None:
    request = claude_code("We always deploy to Heroku. Find the routes.",
                          system=["You are an agent for Claude Code.\n" + SUBAGENT_NOTES])
    assert is_subagent(request)


def test_a_turn_of_tool_results_has_no_new_words() -> None:
    request = claude_code("We use pnpm here.")
    request.messages += [Message("assistant", [TextBlock("Reading.")]),
                         Message("user", [ToolResultBlock("toolu_1", [TextBlock("ok")])])]
    assert users_new_words(request) == ""
    assert request.last_user_words() == "We use pnpm here."  # recall still reads it


@pytest.mark.parametrize("wrapped", [
    "<bash-input>npm test</bash-input><bash-stdout>Error: we use yarn 1</bash-stdout>",
    "<command-name>/init</command-name><command-message>init</command-message>",
    "<local-command-stdout>We always deploy on Fridays</local-command-stdout>",
    "<environment_context><cwd>/x</cwd></environment_context>",
    "# AGENTS.md instructions for /x\n\n<INSTRUCTIONS>\nWe use tabs.\n</INSTRUCTIONS>",
])
def test_context_a_client_wraps_in_tags_is_not_the_users_words(wrapped: str) -> None:
    assert users_new_words(user(wrapped)) == ""
    assert users_new_words(user(wrapped + "\nI prefer tabs.")) == "I prefer tabs."
