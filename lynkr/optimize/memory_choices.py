"""What a fact chooses and what it takes back: "We don't use yarn anymore, we use pnpm now."

A *choice group* is a small set of settings of which a project or a person keeps one at a
time (indentation, quotes, package managers, test runners, databases, hosts...). Reading a
fact as words, each member of a group it names is either *chosen* or *dropped*: dropped after
a negation ("don't use yarn", "never npm or yarn", "not yarn"), after "instead of", "rather
than", "over" ("pytest over unittest"), "replaced ... (with)", "from" once a change verb
came first ("switched from yarn to pnpm", "moved away from MySQL"), or before "is no longer
used" / "is deprecated". A comma, "but", "to", "onto", "with" or "by" ends a negation's
reach.

:func:`takes_back` says when a new fact retires an earlier one about the same group:

- the new fact drops what the earlier one chose ("Let's use pnpm instead of yarn" after "We
  use yarn"), or it chooses something else *and* says that this is a change ("now",
  "instead", "anymore", "switched", "moved", "migrated", "from now on", "let's", "decided").
  Without a change word two choices may both hold: "We use pytest" and "We use jest" in a
  repository with a Python backend and a JavaScript frontend;
- the earlier fact is about that group alone (it chooses nothing in another group), so "We
  use FastAPI with SQLAlchemy and Postgres" keeps its other news when the database moves;
- the new fact's *scope* (its words other than values, numbers, topic nouns and filler) is
  within the earlier one's, with at most one word more there: "We switched to pnpm for the
  docs site" does not retire "We use yarn", "We moved the database to MySQL" retires "We
  decided to use Postgres 16 as the production database";
- a value that is also a common word (single, double, long, main, light, requests...) counts
  only when both facts name a topic noun of its group ("quotes", "branch", "theme").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Each group holds settings of which a project or a person keeps one at a time.
CHOICES: dict[str, tuple[str, ...]] = {
    "indent": ("tab", "tabs", "space", "spaces"),
    "quotes": ("single", "double"),
    "length": ("short", "shorter", "long", "longer", "brief", "concise", "detailed", "verbose"),
    "theme": ("light", "dark"),
    "naming": ("camelcase", "snake_case", "kebab-case", "pascalcase"),
    "js-packages": ("npm", "yarn", "pnpm", "bun"),
    "py-packages": ("pip", "poetry", "uv", "pipenv", "conda", "pdm", "hatch", "rye"),
    # Python's and JavaScript's tools apart: a repository may well hold both.
    "py-tests": ("pytest", "unittest", "nose"),
    "js-tests": ("jest", "vitest", "mocha", "jasmine", "ava"),
    "py-format": ("black", "ruff", "yapf", "autopep8"),
    "js-format": ("prettier", "biome"),
    "database": ("postgres", "postgresql", "mysql", "mariadb", "sqlite", "mongodb", "mongo",
                 "dynamodb", "cockroachdb", "oracle", "mssql"),
    "py-web": ("django", "flask", "fastapi", "starlette", "litestar"),
    "frontend": ("react", "vue", "svelte", "angular", "solid", "preact"),
    "node-web": ("express", "fastify", "koa", "nestjs", "hono"),
    "http-client": ("requests", "httpx", "aiohttp", "axios"),
    "orm": ("sqlalchemy", "prisma", "drizzle", "typeorm", "sequelize"),
    "host": ("aws", "gcp", "azure", "fly.io", "heroku", "vercel", "netlify", "render",
             "railway", "cloudflare"),
    "branch": ("main", "master", "develop", "trunk"),
}
GROUP_OF = {word: group for group, words in CHOICES.items() for word in words}
# The nouns a fact uses to say what a group's choice is about.
_TOPICS: dict[str, frozenset[str]] = {group: frozenset(words.split()) for group, words in {
    "indent": "indentation indent indents indenting indented",
    "quotes": "quote quotes quoted quoting string strings",
    "length": "",
    "theme": "theme themes mode colors colours",
    "naming": "naming names name case",
    "js-packages": "package packages manager dependencies deps install installs",
    "py-packages": "package packages manager dependencies deps install installs lockfile",
    "py-tests": "test tests testing runner suite specs",
    "js-tests": "test tests testing runner suite specs",
    "py-format": "format formatter formatting formatted linter lint linting",
    "js-format": "format formatter formatting formatted linter lint linting",
    "database": "database databases db storage",
    "py-web": "framework backend web api server",
    "frontend": "framework frontend ui components",
    "node-web": "framework backend server api",
    "http-client": "client http calls",
    "orm": "orm",
    "host": "host hosted hosting deploy deployed deploys deployment deploying cloud",
    "branch": "branch branches",
}.items()}
_ALL_TOPICS = frozenset().union(*_TOPICS.values())
_COMMON_WORDS = frozenset({"single", "double", "short", "shorter", "long", "longer", "brief",
                           "concise", "detailed", "verbose", "light", "dark", "main", "master",
                           "develop", "trunk", "requests", "render", "railway", "solid",
                           "react", "express", "black", "oracle", "nose", "hatch", "ava"})
_CANONICAL = {"tab": "tabs", "space": "spaces", "postgresql": "postgres", "mongo": "mongodb",
              "shorter": "short", "longer": "long"}

_PHRASES = re.compile(r"\b(?:instead\s+of|rather\s+than|no\s+longer|away\s+from|do\s+not"
                      r"|does\s+not|did\s+not|from\s+(?:now|here)\s+on|going\s+forward"
                      r"|any\s+more|stop\s+using)\b")
_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_TOKEN = re.compile(r"[\w#+]+(?:['’.\-][\w#+]+)*|[,;:!?()]|\.(?!\w)")
_NEGATORS = frozenset({"not", "no", "never", "don't", "dont", "doesn't", "didn't", "won't",
                       "stop_using",
                       "do_not", "does_not", "did_not", "stop", "stopped", "drop", "dropped",
                       "ditch", "ditched", "off", "without", "over", "replace", "replaced",
                       "replacing", "avoid", "instead_of", "rather_than", "no_longer",
                       "away_from"})
_RESETS = frozenset({",", ";", ":", ".", "!", "?", "(", ")", "but", "to", "onto", "into",
                     "with", "by"})
_CHANGE_VERBS = frozenset({"switched", "switch", "switching", "moved", "move", "moving",
                           "migrated", "migrate", "migrating", "changed", "change", "changing",
                           "replaced", "replacing", "swapped", "converted", "ported"})
_CHANGE_WORDS = _CHANGE_VERBS | {"now", "instead", "instead_of", "anymore", "any_more",
                                 "no_longer", "from_now_on", "from_here_on", "going_forward",
                                 "henceforth",
                                 "let's", "lets", "decided", "agreed", "stopped"}
_AUXILIARIES = frozenset({"is", "are", "was", "were", "has", "have", "had", "been", "being",
                          "'s"})
_AFTER_NEGATORS = frozenset({"no_longer", "not", "deprecated", "gone", "dropped", "removed",
                             "retired", "replaced", "banned", "isn't", "aren't", "wasn't"})
_FILLER = frozenset("""
a an the this that these those it its we i our my us you your they their he she me
is are was were be been being am do does did has have had will would shall should can could
may might must use uses used using run runs ran running prefer prefers preferred like likes
want wants go goes going went stick sticks keep keeps kept make made let let's lets s ll ve
and or but also both either every each any all only just really strongly actually rather
for in on of at by as to from with into onto over under via per than then so
project projects repo repository codebase code here there app team everywhere everything
please decided agreed new instead anymore longer now always never usually not no don't dont
doesn't didn't won't do_not does_not did_not instead_of rather_than no_longer away_from
from_now_on from_here_on going_forward any_more henceforth forward stop stop_using stopped
drop dropped ditch
ditched off without replace replaced replacing avoid today yesterday recently finally
officially completely fully entirely week month year last one ok okay
it's that's there's we're we've we'll we'd i'm i've i'll i'd you're let's
""".split()) | _CHANGE_VERBS


@dataclass(frozen=True, slots=True)
class Choices:
    """What one fact says about the choice groups it names."""

    chosen: dict[str, frozenset[str]]
    dropped: dict[str, frozenset[str]]
    topics: frozenset[str]
    scope: frozenset[str]
    is_change: bool

    def groups(self) -> set[str]:
        return set(self.chosen) | set(self.dropped)


def read_choices(fact: str) -> Choices:
    """Read ``fact`` (pure; case ignored): the values it chooses and drops per group, the
    topic nouns it names, its scope words and whether it says it is a change."""
    text = _PHRASES.sub(lambda m: "_".join(m.group().split()), fact.lower())
    tokens = _TOKEN.findall(text)
    negating, change_verb_seen = False, False
    states: list[tuple[int, str, bool]] = []
    for index, token in enumerate(tokens):
        if token in _CHANGE_VERBS:
            change_verb_seen = True
        if token in _RESETS:
            negating = False
        elif token in _NEGATORS or token == "from" and change_verb_seen:
            negating = True
        elif token in GROUP_OF:
            states.append((index, token, negating or _negated_after(tokens, index)))
    chosen: dict[str, set[str]] = {}
    dropped: dict[str, set[str]] = {}
    for _, token, is_dropped in states:
        side = dropped if is_dropped else chosen
        side.setdefault(GROUP_OF[token], set()).add(_CANONICAL.get(token, token))
    for group, values in dropped.items():
        chosen.get(group, set()).difference_update(values)
    words = {t for t in tokens if t[0].isalnum() or t[0] in "#+_"}
    return Choices(
        chosen={g: frozenset(v) for g, v in chosen.items() if v},
        dropped={g: frozenset(v) for g, v in dropped.items()},
        topics=frozenset(words & _ALL_TOPICS),
        scope=frozenset(w for w in words - _FILLER - _ALL_TOPICS - set(GROUP_OF)
                        if not _NUMBER.fullmatch(w)),
        is_change=bool(words & _CHANGE_WORDS))


def takes_back(new: str, old: str) -> bool:
    """Whether fact ``new`` retires fact ``old``: it drops what ``old`` chose or announces a
    different choice in a group ``old`` is only about, within ``old``'s scope (see the module
    docstring)."""
    a, b = read_choices(new), read_choices(old)
    for group in a.groups():
        before = b.chosen.get(group, frozenset())
        if not before or any(other != group for other in b.chosen):
            continue
        chosen = a.chosen.get(group, frozenset())
        explicit = bool(before & a.dropped.get(group, frozenset()))
        changed = bool(chosen) and not chosen & before and a.is_change
        if not (explicit or changed):
            continue
        named = before | chosen | a.dropped.get(group, frozenset())
        # "black" may be a colour: both facts must say what the choice is about, in any of
        # the group's words ("ruff format" then "black for formatting").
        if named & _COMMON_WORDS and not (a.topics & _TOPICS[group]
                                          and b.topics & _TOPICS[group]):
            continue
        if a.scope <= b.scope and len(b.scope - a.scope) <= 1:
            return True
    return False


def _negated_after(tokens: list[str], index: int) -> bool:
    """Whether the value at ``index`` is taken back by what follows it: "yarn is no longer
    used", "yarn has been replaced", "yarn isn't used"."""
    after = tokens[index + 1:index + 4]
    if after and after[0] in _AFTER_NEGATORS:
        return after[0] in ("isn't", "aren't", "wasn't")
    auxiliaries = 0
    for token in after:
        if token in _AUXILIARIES:
            auxiliaries += 1
        elif token in _AFTER_NEGATORS:
            return auxiliaries > 0
        else:
            return False
    return False
