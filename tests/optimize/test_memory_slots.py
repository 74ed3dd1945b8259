"""A fact that changes or takes back an earlier setting is recognised by reading its template
and its choices, not by similarity."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lynkr.optimize.memory_choices import CHOICES, read_choices, takes_back
from lynkr.optimize.memory_slots import changes_setting, replaces, slot_of

FACT = st.text(st.sampled_from(list("abc tx.19")), max_size=30) | st.sampled_from([
    "I prefer tabs.", "I prefer spaces.", "We use yarn.", "We use pnpm now.", "We use docker.",
    "The API runs on port 8080.", "service 1 runs on port 8001", "service 2 runs on port 8002",
    "I prefer pytest over unittest.", "I prefer unittest over pytest.",
    "We don't use yarn anymore, we use pnpm now.", "Let's use pnpm instead of yarn",
    "We switched to pnpm", "We moved the database to MySQL", "Tests run with vitest now",
    "Never use double quotes, use single quotes", "Always use pnpm, never npm or yarn."])


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
def test_a_changed_setting_is_symmetric_and_shares_one_template(new: str, old: str) -> None:
    assert changes_setting(new, old) == changes_setting(old, new)
    if changes_setting(new, old):
        assert slot_of(new).key == slot_of(old).key is not None


@given(FACT, FACT)
def test_taking_back_needs_a_group_the_earlier_fact_chose_in(new: str, old: str) -> None:
    if takes_back(new, old):
        earlier = read_choices(old)
        assert earlier.chosen and read_choices(new).groups() & set(earlier.chosen)


# --- choices: phrasings whose templates differ --------------------------------------------


@pytest.mark.parametrize(("earlier", "later"), [
    ("We use yarn for this project.", "We don't use yarn anymore, we use pnpm now."),
    ("We use yarn for this project.", "Let's use pnpm instead of yarn"),
    ("We use yarn for this project.", "We switched to pnpm"),
    ("We use yarn.", "We switched from yarn to pnpm."),
    ("We use yarn.", "Yarn is no longer used; pnpm is."),
    ("We use yarn.", "We don't use yarn anymore."),
    ("Our tests run with jest", "Tests run with vitest now"),
    ("From now on we use tabs for indentation in this project, never spaces.",
     "We use spaces for indentation now"),
    ("I prefer double quotes.", "Never use double quotes, use single quotes"),
    ("The database is Postgres.", "We moved the database to MySQL"),
    ("We decided to use Postgres 16 as the production database.",
     "We moved the database to MySQL"),
    ("Always use pnpm, never npm or yarn, in this repo.", "We switched to yarn"),
    ("We deploy to Heroku.", "We migrated the deployment to Fly.io."),
    ("The database is MySQL.", "We've moved off MySQL onto Postgres."),
    ("We use yarn.", "Please stop using yarn, it's pnpm from here on."),
    ("We use yarn.", "Use pnpm, not yarn."),
    ("The frontend uses React.", "The frontend now uses Vue instead of React."),
    ("We format Python code with black.", "We replaced black with ruff format."),
    ("We use black for formatting in this project.",
     "Actually we switched from black to ruff format."),  # format, formatting: one topic
])
def test_a_later_fact_that_takes_back_a_choice_replaces_it(earlier: str, later: str) -> None:
    assert replaces(later, earlier)


@pytest.mark.parametrize(("earlier", "later"), [
    ("We use yarn.", "We switched to pnpm for the docs site."),
    ("We use pytest.", "We use jest."),  # a Python backend and a JavaScript frontend
    ("The main branch is protected and needs one approving review.",
     "The default branch is now develop"),
    ("The project uses FastAPI with SQLAlchemy 2.0 for the backend.",
     "We moved the backend to Django"),  # the earlier fact holds more than the framework
    ("I prefer short commit messages.", "We use long variable names now"),
    ("We keep the wrapper light.", "From now on we use the dark theme"),
    ("The dashboard is deployed to Vercel from the main branch.", "We switched to trunk"),
    ("We use Postgres for the database.", "We moved the analytics database to MySQL"),
    ("We use Postgres 16 for the database.", "We moved the cache to Redis"),
    ("We use tabs for indentation.", "Never use spaces in file names."),
    ("We use black for formatting in this project.", "We switched the theme from black to white."),
])
def test_a_later_fact_about_something_else_does_not(earlier: str, later: str) -> None:
    assert not replaces(later, earlier)


def test_choices_are_read_as_chosen_or_dropped() -> None:
    read = read_choices("We don't use yarn anymore, we use pnpm now.")
    assert read.chosen == {"js-packages": {"pnpm"}}
    assert read.dropped == {"js-packages": {"yarn"}}
    assert read.is_change and not read.scope
    assert read_choices("Always use pnpm, never npm or yarn.").dropped == {
        "js-packages": {"npm", "yarn"}}
    assert read_choices("I prefer pytest over unittest.").chosen == {"py-tests": {"pytest"}}
    assert read_choices("We replaced MySQL with PostgreSQL.").chosen == {
        "database": {"postgres"}}


# Groups whose values are not common words, each value spelled one way (tabs, not tab).
UNAMBIGUOUS = {group: [v for v in values if v not in ("render", "railway", "black",
                                                      "express", "react", "solid", "oracle",
                                                      "nose", "hatch", "ava", "requests",
                                                      "tab", "space", "postgresql", "mongo")]
               for group, values in CHOICES.items()
               if group not in ("quotes", "length", "theme", "branch")}
GROUP_VALUES = st.sampled_from(sorted(UNAMBIGUOUS)).flatmap(lambda g: st.tuples(
    st.just(g), st.permutations(UNAMBIGUOUS[g]).map(lambda v: v[:2])))
EARLIER = st.sampled_from(["We use {}.", "We use {} for this project.", "I prefer {}.",
                           "We decided to use {}.", "Always use {}."])
LATER = st.sampled_from(["We switched to {new}.", "We use {new} now.",
                         "Let's use {new} instead of {old}.", "We moved to {new}.",
                         "We don't use {old} anymore, we use {new}.",
                         "From now on we use {new}.", "We replaced {old} with {new}."])
QUALIFIER = st.sampled_from(["for the docs site", "in the mobile app", "on the legacy service",
                             "for scripts only", "in the e2e suite"])


@given(GROUP_VALUES, EARLIER, LATER)
def test_every_common_change_phrasing_retires_the_earlier_choice(
        group_values: tuple[str, list[str]], earlier: str, later: str) -> None:
    _, (old, new) = group_values
    assert replaces(later.format(old=old, new=new), earlier.format(old))


@given(GROUP_VALUES, EARLIER, LATER, QUALIFIER)
def test_a_change_limited_to_a_part_of_the_project_retires_nothing(
        group_values: tuple[str, list[str]], earlier: str, later: str, qualifier: str) -> None:
    _, (old, new) = group_values
    narrowed = later.format(old=old, new=new).rstrip(".") + f" {qualifier}."
    assert not replaces(narrowed, earlier.format(old))


@given(GROUP_VALUES, GROUP_VALUES, EARLIER, LATER)
def test_a_change_in_one_group_never_retires_a_choice_in_another(
        first: tuple[str, list[str]], second: tuple[str, list[str]], earlier: str,
        later: str) -> None:
    (group_a, (old, _)), (group_b, (other, new)) = first, second
    if group_a == group_b or "packages" in group_a and "packages" in group_b:
        return
    assert not takes_back(later.format(old=other, new=new), earlier.format(old))
