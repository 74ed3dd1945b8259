"""Facts of one file + tables of the whole repository -> edges: pure functions.

Imports are resolved to repository files through a ``ModuleIndex`` of paths; calls are
resolved in this order, stopping at the first answer:

1. ``self.x()`` / ``this.x()``: a method of the enclosing class;
2. a module alias receiver (``mod.f()`` after ``import mod``): ``f`` in that module;
3. a name imported from a module (``from m import f``; ``import {f} from './m'``);
4. a symbol of the same file with that name;
5. a unique symbol with that name among the files this file imports;
6. the one symbol of the repository with that name, if there is exactly one.

Anything else stays an unresolved call (kept in the facts, counted, never guessed).
"""

from __future__ import annotations

import posixpath
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from graph.facts import CLASS_KINDS, FileFacts, Import, Symbol

_FAMILY = {"typescript": "js", "tsx": "js", "javascript": "js", "cpp": "c"}
_INDEX_STEMS = frozenset({"__init__", "index", "mod", "init", "main"})
_SELF = frozenset({"self", "this", "cls", "@", "$this", "super"})
_EXTENSIONLESS_DEFAULT = ("index",)


class Edge(NamedTuple):
    """A resolved edge leaving one file: ``source`` is a symbol index or -1 (the file)."""

    source: int
    target: str  # node id of a symbol
    kind: str  # "calls" | "inherits"
    line: int


class Linked(NamedTuple):
    """The repository-dependent part of one file: what it imports and its resolved edges."""

    imports: tuple[str, ...]
    unresolved_imports: tuple[tuple[str, str], ...]  # (spec, name)
    edges: tuple[Edge, ...]
    unresolved: tuple[int, ...]  # indices of calls that resolved to nothing


def family(language: str) -> str:
    """Languages that import each other's files (TypeScript imports JavaScript)."""
    return _FAMILY.get(language, language)


def symbol_ids(path: str, symbols: Sequence[Symbol]) -> list[str]:
    """Stable node ids ``path::Qual.name``; repeated definitions get ``#2``, ``#3``."""
    seen: dict[str, int] = {}
    ids: list[str] = []
    for s in symbols:
        n = seen.get(s.qualname, 0) + 1
        seen[s.qualname] = n
        ids.append(f"{path}::{s.qualname}" if n == 1 else f"{path}::{s.qualname}#{n}")
    return ids


@dataclass(slots=True)
class ModuleIndex:
    """Repository paths indexed by every path suffix, with and without extension."""

    languages: dict[str, str] = field(default_factory=dict)
    stems: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    names: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    dirs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def from_paths(cls, languages: Mapping[str, str]) -> ModuleIndex:
        """Index ``path -> language`` pairs."""
        index = cls()
        for path, language in languages.items():
            index.add(path, language)
        return index

    def add(self, path: str, language: str) -> None:
        self.languages[path] = language
        stem = path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path
        parts = stem.split("/")
        for i in range(len(parts)):
            self.stems["/".join(parts[i:])].append(path)
            self.names["/".join(path.split("/")[i:])].append(path)
        if parts[-1] in _INDEX_STEMS and len(parts) > 1:
            for i in range(len(parts) - 1):
                self.stems["/".join(parts[i:-1])].append(path)
        folder = parts[:-1]
        for i in range(len(folder)):
            self.dirs["/".join(folder[i:])].append(path)

    def pick(self, candidates: Iterable[str], importer: str, exact_root: str = "") -> str | None:
        """Best candidate: same language family, then root-exact, then nearest to importer."""
        lang = family(self.languages.get(importer, ""))
        same = [c for c in candidates if family(self.languages[c]) == lang and c != importer]
        if not same:
            return None
        if exact_root:
            exact = [c for c in same if c.startswith(exact_root)]
            if exact:
                same = exact
        return max(same, key=lambda c: (_common_prefix(c, importer), -len(c), c))


def _common_prefix(a: str, b: str) -> int:
    return len(posixpath.commonprefix([a.split("/"), b.split("/")]))


def resolve_import(index: ModuleIndex, importer: str, style: str, imp: Import) -> list[str]:
    """Repository files an import refers to (empty when external or unknown)."""
    spec = imp.spec.strip()
    if not spec or style == "none":
        return []
    here = posixpath.dirname(importer)
    if style == "python":
        return _python_import(index, importer, here, spec, imp.name)
    if style == "include":
        direct = posixpath.normpath(posixpath.join(here, spec))
        if direct in index.languages:
            return [direct]
        found = index.pick(index.names.get(spec, ()), importer)
        return [found] if found else []
    if style == "path":
        relative = spec.startswith((".", "/"))
        for base in (here,) if relative else (here, ""):
            target = posixpath.normpath(posixpath.join(base, spec)).lstrip("/")
            found = _by_stem(index, importer, target, exact=True)
            if found:
                return [found]
        if relative:
            return []
    return _dotted_import(index, importer, spec)


def _by_stem(index: ModuleIndex, importer: str, stem: str, *, exact: bool) -> str | None:
    if stem in index.languages:
        return stem
    base = stem.rsplit(".", 1)[0] if "." in stem.rsplit("/", 1)[-1] else stem
    candidates = index.stems.get(base, ())
    if exact:
        candidates = [c for c in candidates if _strip_ext(c) in (base, base + "/__init__")
                      or posixpath.dirname(c) == base]
    return index.pick(candidates, importer)


def _strip_ext(path: str) -> str:
    return path.rsplit(".", 1)[0] if "." in path.rsplit("/", 1)[-1] else path


def _python_import(index: ModuleIndex, importer: str, here: str, spec: str, name: str
                   ) -> list[str]:
    """``a.b`` from the repository root, or from a source root below it (``src/a/b.py``).

    A source root is a folder that is not itself a package: ``import types`` must not
    resolve to ``pkg/types.py`` when ``pkg/__init__.py`` exists (Python 3 has no implicit
    relative imports), but ``import pkg.mod`` may resolve to ``src/pkg/mod.py``.
    """
    dots = len(spec) - len(spec.lstrip("."))
    module = spec[dots:].replace(".", "/")
    if dots:
        base = here
        for _ in range(dots - 1):
            base = posixpath.dirname(base)
        stem = posixpath.join(base, module) if module else base
    else:
        stem = module
    for candidate in ([f"{stem}/{name}"] if name and name != "*" else []) + [stem]:
        candidate = candidate.strip("/")
        if not candidate:
            continue
        exact = _by_stem(index, importer, candidate, exact=True)
        if exact:
            return [exact]
        if not dots:
            rooted = [p for p in index.stems.get(candidate, ())
                      if _source_root(index, p, candidate) is not None]
            loose = index.pick(rooted, importer)
            if loose:
                return [loose]
    return []


def _source_root(index: ModuleIndex, path: str, module: str) -> str | None:
    """The folder ``path`` is importable from as ``module``, if that folder is no package."""
    stem = _strip_ext(path)
    if stem.endswith("/__init__"):
        stem = stem[: -len("/__init__")]
    if stem != module and not stem.endswith("/" + module):
        return None
    root = stem[: len(stem) - len(module)].rstrip("/")
    if root and f"{root}/__init__.py" in index.languages:
        return None
    return root


def _dotted_import(index: ModuleIndex, importer: str, spec: str) -> list[str]:
    if "/" not in spec:
        spec = spec.replace("::", "/").replace(".", "/").replace("\\", "/")
    parts = [p for p in spec.split("/") if p and p not in ("*", "crate", "self", "super", "{")]
    lang = family(index.languages.get(importer, ""))
    # Longest run of components first; a run may drop leading components (a namespace that
    # is not a folder: PHP ``App\Models\User`` in ``src/Models/User.php``), but a single
    # component only matches a file when it leads (``java.util.List`` is not ``List.java``).
    for length in range(len(parts), 0, -1):
        for start in range(len(parts) - length + 1):
            key = "/".join(parts[start : start + length])
            if length > 1 or start == 0:
                found = index.pick(index.stems.get(key, ()), importer)
                if found:
                    return [found]
            in_dir = [p for p in index.dirs.get(key, ())
                      if posixpath.dirname(p).endswith(key) and p != importer
                      and family(index.languages[p]) == lang]
            if in_dir:
                folder = posixpath.dirname(index.pick(in_dir, importer) or in_dir[0])
                return sorted(p for p in in_dir if posixpath.dirname(p) == folder)
    snake = [_CAMEL.sub("_", p).lower() for p in parts]
    if snake != parts:  # Elixir ``Geo.ShapeUtil`` lives in ``lib/geo/shape_util.ex``
        return _dotted_import(index, importer, "/".join(snake))
    return []


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def pack_defs(pairs: Iterable[tuple[str, str]]) -> str:
    """``(name, node id)`` pairs as one tab-separated string: JSON loads one string fast,
    and ``split`` plus slicing unpacks a whole repository without a Python-level loop."""
    return "\t".join(f"{name}\t{node_id}" for name, node_id in pairs)


def unpack_defs(packed: str) -> list[tuple[str, str]]:
    """Inverse of ``pack_defs``."""
    if not packed:
        return []
    parts = packed.split("\t")
    return list(zip(parts[0::2], parts[1::2], strict=True))


class RepoTables:
    """What linking needs to know about other files: their definitions by name.

    Built from each file's packed definitions; the per-file tables are made on demand, so an
    incremental build pays only for the files it actually links against.
    """

    def __init__(self, packed_defs: Mapping[str, str]) -> None:
        self._packed = packed_defs
        self._defs: dict[str, dict[str, list[str]]] = {}
        joined = "\t".join(p for p in packed_defs.values() if p)
        parts = joined.split("\t") if joined else []
        names, ids = parts[0::2], parts[1::2]
        last = dict(zip(names, ids, strict=True))
        # names defined exactly once in the repository
        self.unique: dict[str, str] = {n: last[n] for n, c in Counter(names).items() if c == 1}

    def defs(self, path: str) -> Mapping[str, list[str]]:
        """Short name -> node ids defined in one file."""
        table = self._defs.get(path)
        if table is None:
            table = defaultdict(list)
            for name, node_id in unpack_defs(self._packed.get(path, "")):
                table[name].append(node_id)
            self._defs[path] = table
        return table


def link_file(path: str, facts: FileFacts, style: str, index: ModuleIndex,
              tables: RepoTables) -> Linked:
    """Resolve one file's imports, calls and base classes against the repository."""
    ids = symbol_ids(path, facts.symbols)
    imported: list[str] = []
    unresolved_imports: list[tuple[str, str]] = []
    modules: dict[str, list[str]] = {}  # local name -> module file(s) (a Go package: many)
    members: dict[str, tuple[str, str]] = {}  # local name -> (file, member)
    for imp in facts.imports:
        targets = resolve_import(index, path, style, imp)
        if not targets:
            unresolved_imports.append((imp.spec, imp.name))
            continue
        for t in targets:
            if t not in imported and t != path:
                imported.append(t)
        first = targets[0]
        is_module = not imp.name or _strip_ext(first).endswith(imp.name)
        if is_module:
            binding = imp.alias or imp.name or (
                imp.spec.strip("./").replace("/", ".").split(".")[-1])
            modules[binding] = targets
        else:
            members[imp.alias or imp.name] = (first, imp.name)

    local: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(facts.symbols):
        local[s.name].append(i)

    def owner_class(index_: int) -> int:
        while index_ >= 0 and facts.symbols[index_].kind not in CLASS_KINDS:
            index_ = facts.symbols[index_].parent
        return index_

    def choose_local(name: str, near: int) -> str | None:
        found = local.get(name, [])
        if not found:
            return None
        if len(found) > 1 and near >= 0:
            cls = owner_class(near)
            same = [i for i in found if facts.symbols[i].parent == cls]
            if same:
                return ids[same[0]]
        top = [i for i in found if facts.symbols[i].parent < 0]
        return ids[(top or found)[0]]

    def in_file(file: str, name: str) -> str | None:
        defined = tables.defs(file).get(name)
        return defined[0] if defined else None

    imported_cache: dict[str, str] = {}

    bases: dict[int, list[str]] = defaultdict(list)  # class index -> base names

    def inherited(cls: int, name: str) -> str | None:
        """``self.name()`` defined in a direct base class, wherever that class lives."""
        for base in bases.get(cls, ()):
            base_id = resolve(base, "", cls)
            if base_id is None:
                continue
            wanted = f"{base_id}.{name}"
            if wanted in tables.defs(base_id.split("::", 1)[0]).get(name, ()):
                return wanted
        return None

    def resolve(name: str, receiver: str, caller: int) -> str | None:
        if receiver in _SELF and caller >= 0:
            cls = owner_class(caller)
            if cls >= 0:
                for i in local.get(name, ()):
                    if owner_class(facts.symbols[i].parent) == cls:
                        return ids[i]
                from_base = inherited(cls, name)
                if from_base:
                    return from_base
        if receiver and receiver in modules:
            return next(filter(None, (in_file(f, name) for f in modules[receiver])), None)
        if not receiver and name in members:
            file, member = members[name]
            return in_file(file, member)
        nearby = choose_local(name, caller)
        if nearby:
            return nearby
        via_imports = imported_cache.get(name)
        if via_imports is None:
            found_ids = {t for f in imported for t in tables.defs(f).get(name, ())}
            via_imports = imported_cache[name] = found_ids.pop() if len(found_ids) == 1 else ""
        if via_imports:
            return via_imports
        return tables.unique.get(name)

    for inherit in facts.inherits:
        if inherit.symbol >= 0:
            bases[inherit.symbol].append(inherit.base)

    edges: list[Edge] = []
    unresolved: list[int] = []
    linked: set[tuple[int, str]] = set()
    for n, call in enumerate(facts.calls):
        target = resolve(call.name, call.receiver, call.caller)
        if target is None:
            unresolved.append(n)
        elif (call.caller < 0 or target != ids[call.caller]) and (
                (call.caller, target) not in linked):
            linked.add((call.caller, target))
            edges.append(Edge(call.caller, target, "calls", call.line))
    for inherit in facts.inherits:
        symbol = inherit.symbol
        if symbol < 0:
            owners = [i for i in local.get(inherit.owner, ())
                      if facts.symbols[i].kind in CLASS_KINDS]
            symbol = owners[0] if owners else -1
        target = resolve(inherit.base, "", symbol)
        if symbol >= 0 and target and target != ids[symbol]:
            edges.append(Edge(symbol, target, "inherits", facts.symbols[symbol].start_line))
    return Linked(tuple(imported), tuple(unresolved_imports), tuple(edges), tuple(unresolved))
