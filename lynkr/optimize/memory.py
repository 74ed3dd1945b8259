"""Long-term memory: durable facts from past conversations, recalled into later ones.

Facts are picked out of what the *user* writes by plain heuristics
(:mod:`lynkr.optimize.memory_facts`): preferences, decisions and project facts, never pasted
errors, questions or a task's payload. Only the user's own newest words are read
(:func:`lynkr.optimize.memory_origin.users_new_words`): not the assistant's text, which mostly
acknowledges what the user just said ("Got it: from now on you use tabs") and asserts what
the user has not confirmed, and not a Claude Code subagent's prompt, which the main model
wrote.

Facts are stored per project (the agent's working directory, see
:func:`lynkr.optimize.memory_origin.project_of`) in a namespaced Chroma collection (kind
``memory``). A fact that is a near-duplicate of a memory of the project (similarity above 0.9
*and* the same salient tokens, see :func:`lynkr.optimize.cache_keys.salient_tokens`) is not
added next to it: the same words again are skipped, other words replace the earlier wording,
since the user's latest statement is the one that holds ("I prefer short commit messages"
then "...long..."). Similar facts about different values ("service 1 runs on port 8001" /
"service 2 ... 8002") are both kept. A fact that changes or takes back an earlier choice ("We
switched to pnpm" after "We use yarn") replaces it too, found by reading the facts' choices
rather than by similarity (see :mod:`lynkr.optimize.memory_slots`). :meth:`MemoryStore.version`
names the set of memories a project has, so the semantic cache can tell an answer written
before the project learned something new.

:meth:`MemoryStore.block` renders recalled facts as one system block, which
:meth:`MemoryStore.attach` places *after* every existing system block, so the provider's
prompt-cache prefix (which ends at the last ``cache_control`` breakpoint) is unchanged; one
conversation keeps the same block turn after turn (see :mod:`lynkr.optimize.memory_pins`).
"""

from __future__ import annotations

import builtins
import dataclasses
import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lynkr.config import Settings
from lynkr.embeddings import Embedder
from lynkr.model import Request, Response, TextBlock
from lynkr.optimize.cache_keys import normalize_question, salient_tokens
from lynkr.optimize.memory_facts import Kind, classify_fact, extract_facts
from lynkr.optimize.memory_origin import project_of, users_new_words
from lynkr.optimize.memory_slots import replaces
from lynkr.stores import Store, as_vectors, cosine_similarity
from lynkr.tokens import count_tokens

DUPLICATE_SIMILARITY = 0.9
_DUPLICATE_CANDIDATES = 3
MEMORY_HEADER = "Things to remember from earlier sessions with this user and project:"

__all__ = ["DUPLICATE_SIMILARITY", "MEMORY_HEADER", "Kind", "Memory", "MemoryStore",
           "classify_fact", "extract_facts", "project_of"]


@dataclass(slots=True)
class Memory:
    id: str
    text: str
    project: str
    kind: str
    created: float
    similarity: float = 0.0


class MemoryStore:
    """Per-project memories in Chroma, with novelty-checked writes and TTL-bounded reads."""

    def __init__(self, settings: Settings, store: Store, embedder: Embedder,
                 clock: Callable[[], float] = time.time, inject_budget_tokens: int = 400) -> None:
        self.ttl = settings.memory.ttl_seconds
        self.max_inject = settings.memory.max_inject
        self.inject_budget_tokens = inject_budget_tokens
        self._store = store
        self._embedder = embedder
        self._clock = clock

    def extract(self, request: Request, response: Response | None = None) -> list[str]:
        """Facts the user states in the newest message, when it is the user's own (see
        :func:`~lynkr.optimize.memory_origin.users_new_words`). ``response`` is not read:
        the assistant's echo of a fact is not a second fact."""
        return extract_facts(users_new_words(request))

    def remember(self, facts: list[str], project: str) -> list[Memory]:
        """Store ``facts`` for ``project``: a near-duplicate of a memory replaces it, the same
        words again are skipped, and a fact that changes an earlier setting ("We use pnpm
        now" after "We use yarn", see :mod:`lynkr.optimize.memory_slots`) replaces that one.
        Returns the memories actually written."""
        if not facts:
            return []
        vectors = self._embedder.embed(facts)
        now = self._clock()
        written: dict[str, Memory] = {}
        for i, fact in enumerate(facts):
            duplicate = self._duplicate_of(fact, vectors[i], project)
            if duplicate is not None and _same_words(duplicate.text, fact):
                continue
            replaced = [m.id for m in self._changed_by(fact, project)]
            if duplicate is not None:
                replaced.append(duplicate.id)
            for memory_id in replaced:
                self._delete(memory_id, "update")
                written.pop(memory_id, None)
            memory = Memory(id=_memory_id(project, fact), text=fact, project=project,
                            kind=classify_fact(fact) or "fact", created=now)
            self._write(memory, vectors[i:i + 1])
            written[memory.id] = memory
        return list(written.values())

    def version(self, project: str) -> str:
        """A name for the set of (unexpired) memories ``project`` has now: it changes when a
        fact is added, reworded, forgotten or expires, and only then. Memory ids derive from
        the project and the text, so every replica computes the same version, and a set
        that returns to what it was gets its old version back."""
        found = self._store.call("memory", "version", lambda c: c.get(
            where=self._where(project), include=[]))
        ids = sorted(found.get("ids") or [])
        return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]

    def recall(self, query: str, project: str, k: int | None = None,
               min_similarity: float = 0.2) -> list[Memory]:
        """The ``k`` memories of ``project`` nearest to ``query`` (unexpired, above a floor)."""
        k = self.max_inject if k is None else k
        if k <= 0 or not query.strip():
            return []
        vector = self._embedder.embed([query])
        found = self._query(vector, project, k, "recall")
        return [m for m in _memories(found, nested=True) if m.similarity >= min_similarity]

    def inject(self, request: Request, memories: list[Memory]) -> Request:
        """A copy of ``request`` with ``memories`` as one system block after all others, cut
        to the token budget; the original system blocks are kept unchanged and in place."""
        return self.attach(request, self.block(memories))

    def fitting(self, memories: list[Memory]) -> list[Memory]:
        """The first of ``memories`` whose lines fit the injection token budget."""
        fitted: list[Memory] = []
        used = count_tokens(MEMORY_HEADER)
        for memory in memories:
            cost = count_tokens(f"- {memory.text}") + 1
            if used + cost > self.inject_budget_tokens:
                break
            fitted.append(memory)
            used += cost
        return fitted

    def block(self, memories: list[Memory]) -> TextBlock | None:
        """``memories`` as the system block to inject, cut to the token budget; None when
        none fits."""
        lines = [f"- {memory.text}" for memory in self.fitting(memories)]
        return TextBlock("\n".join([MEMORY_HEADER, *lines])) if lines else None

    @staticmethod
    def attach(request: Request, block: TextBlock | None) -> Request:
        """A copy of ``request`` with ``block`` after all its system blocks (``request``
        itself when there is none)."""
        if block is None:
            return request
        return dataclasses.replace(request, system=[*request.system, block])

    def all_exist(self, memory_ids: tuple[str, ...]) -> bool:
        """Whether every memory of ``memory_ids`` is still stored: none was replaced by a
        changed fact or a rewording, forgotten or cleared. Expiry is not checked (a fact that
        turns 30 days old mid-conversation is no less true)."""
        if not memory_ids:
            return True
        found = self._store.call("memory", "pin check", lambda c: c.get(
            ids=list(memory_ids), include=[]))
        return len(set(found.get("ids") or [])) == len(set(memory_ids))

    # --- admin (CLI) ----------------------------------------------------------------------

    def list(self, project: str | None = None, limit: int = 100) -> builtins.list[Memory]:
        """Unexpired memories, newest first."""
        where = self._where(project)
        found = self._store.call("memory", "list", lambda c: c.get(
            where=where, include=["documents", "metadatas"]))
        memories = sorted(_memories(found, nested=False), key=lambda m: -m.created)
        return memories[:limit]

    def search(self, query: str, project: str | None = None, k: int = 10) -> builtins.list[Memory]:
        """Memories nearest to ``query``, across projects unless one is given."""
        vector = self._embedder.embed([query])
        return _memories(self._query(vector, project, k, "search"), nested=True)

    def forget(self, memory_id: str) -> bool:
        """Delete one memory by id; False when there was none."""
        def forget(collection: Any) -> bool:
            if not collection.get(ids=[memory_id])["ids"]:
                return False
            collection.delete(ids=[memory_id])
            return True

        return self._store.call("memory", "forget", forget)

    def clear(self, project: str | None = None) -> int:
        """Delete all memories (of one project when given); returns how many."""
        if project is None:
            return self._store.drop("memory")
        def clear(collection: Any) -> int:
            ids = collection.get(where={"project": project})["ids"]
            if ids:
                collection.delete(ids=ids)
            return len(ids)

        return self._store.call("memory", "clear", clear)

    def _delete(self, memory_id: str, action: str) -> None:
        self._store.call("memory", action, lambda c: c.delete(ids=[memory_id]))

    def _write(self, memory: Memory, vector: Any) -> None:
        metadata: dict[str, Any] = {"project": memory.project, "kind": memory.kind,
                                    "created": memory.created}
        self._store.call("memory", "remember", lambda c: c.upsert(
            ids=[memory.id], embeddings=as_vectors(vector), documents=[memory.text],
            metadatas=[metadata]))

    def _query(self, vector: Any, project: str | None, k: int, action: str) -> Any:
        where = self._where(project)
        return self._store.call("memory", action, lambda c: c.query(
            query_embeddings=as_vectors(vector), n_results=k, where=where,
            include=["documents", "metadatas", "distances"]))

    def _duplicate_of(self, fact: str, vector: Any, project: str) -> Memory | None:
        """The memory of ``project`` that ``fact`` restates, if any: as close as a rewording
        and about the same values (numbers, names, tools, one side of a contrast)."""
        wanted = salient_tokens(fact)
        found = self._query(vector[None, :], project, _DUPLICATE_CANDIDATES, "novelty check")
        for memory in _memories(found, nested=True):
            if memory.similarity <= DUPLICATE_SIMILARITY:
                break
            if salient_tokens(memory.text) == wanted:
                return memory
        return None

    def _changed_by(self, fact: str, project: str) -> builtins.list[Memory]:
        """The memories of ``project`` that ``fact`` changes or takes back. Read from all of
        the project's memories, not the nearest: a changed choice is far apart in embedding
        space ("yarn" / "pnpm", 0.36), and memories stored before a phrasing was understood
        are found too. A project holds tens to hundreds of memories; this runs after the
        answer, in the background."""
        found = self._store.call("memory", "change check", lambda c: c.get(
            where={"project": project}, include=["documents", "metadatas"]))
        return [m for m in _memories(found, nested=False) if replaces(fact, m.text)]

    def _where(self, project: str | None) -> dict[str, Any] | None:
        clauses: builtins.list[dict[str, Any]] = []
        if project is not None:
            clauses.append({"project": project})
        if self.ttl > 0:
            clauses.append({"created": {"$gte": self._clock() - self.ttl}})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _same_words(a: str, b: str) -> bool:
    return normalize_question(a).casefold() == normalize_question(b).casefold()


def _memory_id(project: str, fact: str) -> str:
    return "mem_" + hashlib.sha256(f"{project}\x00{fact}".encode()).hexdigest()[:16]


def _memories(found: Any, nested: bool) -> list[Memory]:
    def column(name: str) -> list[Any]:
        values = found.get(name) or ([[]] if nested else [])
        return (values[0] if nested else values) or []

    ids, docs, metas = column("ids"), column("documents"), column("metadatas")
    distances = column("distances") if nested else [None] * len(ids)
    return [Memory(id=i, text=d or "", project=str(m["project"]), kind=str(m["kind"]),
                   created=float(m["created"]),
                   similarity=cosine_similarity(dist) if dist is not None else 0.0)
            for i, d, m, dist in zip(ids, docs, metas, distances, strict=False)]
