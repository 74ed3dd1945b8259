"""A fact that changes an earlier setting is recognised by template, not by similarity."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from lynkr.optimize.memory_slots import replaces, slot_of

FACT = st.text(st.sampled_from(list("abc tx.19")), max_size=30) | st.sampled_from([
    "I prefer tabs.", "I prefer spaces.", "We use yarn.", "We use pnpm now.", "We use docker.",
    "The API runs on port 8080.", "service 1 runs on port 8001", "service 2 runs on port 8002",
    "I prefer pytest over unittest.", "I prefer unittest over pytest."])


def test_values_are_numbers_and_members_of_exclusive_choices() -> None:
    slot = slot_of("From now on, use 4 spaces and Ruff, not docker.")
    assert slot.template == "use <number> <indent> and <py-format> not docker"
    assert slot.values == ("4", "spaces", "ruff")


def test_a_fact_without_values_can_neither_replace_nor_be_looked_up() -> None:
    assert slot_of("We use docker.").key is None
    assert not replaces("We use docker.", "We use podman.")


def test_two_settings_of_one_thing_replace_each_other() -> None:
    assert replaces("Use 2 spaces for indentation.", "Use 4 spaces for indentation.")
    assert replaces("We use Postgres 17 for the database.", "We use Postgres 16 for the database.")
    assert replaces("The project uses pnpm now.", "The project uses npm.")


def test_facts_about_different_things_do_not() -> None:
    assert not replaces("service 2 runs on port 8002", "service 1 runs on port 8001")
    assert not replaces("We use pnpm for the docs site.", "We use yarn.")
    assert not replaces("I prefer single quotes in Go.", "I prefer single quotes in Python.")


@given(FACT)
def test_a_fact_never_replaces_itself(fact: str) -> None:
    assert not replaces(fact, fact)
    assert not replaces(fact.upper(), fact)


@given(FACT, FACT)
def test_replacing_is_symmetric_and_implies_one_lookup_key(new: str, old: str) -> None:
    assert replaces(new, old) == replaces(old, new)
    if replaces(new, old):
        assert slot_of(new).key == slot_of(old).key is not None
