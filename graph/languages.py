"""The languages the code graph understands, as data.

Adding a language means one row in ``LANGUAGES`` plus a ``queries/<name>.scm`` file: the
extractor has no per-language branches, only the query captures described in
``queries/README.md``. ``import_style`` names how import strings map to repository files
(see ``resolve.py``); it is the one place where languages differ in code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

QUERY_DIR = Path(__file__).with_name("queries")


@dataclass(frozen=True, slots=True)
class LanguageSpec:
    """How to recognise and read one language.

    ``grammar`` is the tree-sitter-language-pack name; ``import_style`` selects the import
    resolver: ``python`` (dotted, package-relative), ``path`` (relative file paths such as JS
    ``./x``), ``dotted`` (``a.b.C`` -> ``a/b/C.ext``), ``include`` (C/C++ headers), ``none``.
    """

    name: str
    grammar: str
    extensions: tuple[str, ...]
    import_style: str
    filenames: tuple[str, ...] = ()


LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", "python", (".py", ".pyi"), "python"),
    LanguageSpec("javascript", "javascript", (".js", ".jsx", ".mjs", ".cjs"), "path"),
    LanguageSpec("typescript", "typescript", (".ts", ".mts", ".cts"), "path"),
    LanguageSpec("tsx", "tsx", (".tsx",), "path"),
    LanguageSpec("go", "go", (".go",), "dotted"),
    LanguageSpec("rust", "rust", (".rs",), "dotted"),
    LanguageSpec("java", "java", (".java",), "dotted"),
    LanguageSpec("c", "c", (".c", ".h"), "include"),
    LanguageSpec("cpp", "cpp", (".cc", ".cpp", ".cxx", ".hpp", ".hh", ".hxx", ".ipp"), "include"),
    LanguageSpec("csharp", "csharp", (".cs",), "dotted"),
    LanguageSpec("ruby", "ruby", (".rb", ".rake"), "path", ("Rakefile", "Gemfile")),
    LanguageSpec("php", "php", (".php",), "path"),
    LanguageSpec("kotlin", "kotlin", (".kt", ".kts"), "dotted"),
    LanguageSpec("swift", "swift", (".swift",), "none"),
    LanguageSpec("scala", "scala", (".scala", ".sc"), "dotted"),
    LanguageSpec("bash", "bash", (".sh", ".bash"), "path"),
    LanguageSpec("lua", "lua", (".lua",), "dotted"),
    LanguageSpec("elixir", "elixir", (".ex", ".exs"), "dotted"),
)

BY_NAME: dict[str, LanguageSpec] = {spec.name: spec for spec in LANGUAGES}
_BY_EXTENSION: dict[str, str] = {
    ext: spec.name for spec in LANGUAGES for ext in spec.extensions
}
_BY_FILENAME: dict[str, str] = {
    fname: spec.name for spec in LANGUAGES for fname in spec.filenames
}

# Conventional test locations; a flag only, tests are indexed like any other file.
_TEST_DIRS = frozenset({"test", "tests", "__tests__", "spec", "specs", "testing"})
_TEST_SUFFIXES = (
    "_test", "_tests", "_spec", ".test", ".spec", "Test", "Tests", "Spec", "_test_",
)


def language_for_path(path: str | Path) -> str | None:
    """Name of the language a file is written in, judged by its name; None if unsupported."""
    text = str(path).replace("\\", "/")
    name = text[text.rfind("/") + 1 :]
    if name in _BY_FILENAME:
        return _BY_FILENAME[name]
    dot = name.rfind(".")
    if dot <= 0:
        return None
    return _BY_EXTENSION.get(name[dot:].lower())


def is_test_path(path: str) -> bool:
    """True for files that by naming convention hold tests rather than product code."""
    parts = path.split("/")
    if any(part in _TEST_DIRS for part in parts[:-1]):
        return True
    stem = parts[-1].split(".", 1)[0] if not parts[-1].startswith(".") else parts[-1]
    full_stem = parts[-1].rsplit(".", 1)[0]
    return (
        stem.startswith(("test_", "Test"))
        and stem not in ("Test", "test_")
        or stem == "conftest"
        or full_stem.endswith(_TEST_SUFFIXES)
    )


# C++ constructs that a C header cannot contain: ``.h`` files holding them are C++.
_CPP_HEADER = re.compile(rb"^\s*(?:class|namespace|template\s*<)|\bstd::|^\s*public:",
                         re.MULTILINE)


def refine_language(language: str, source: bytes) -> str:
    """The language judged by content where the file name is ambiguous (``.h``: C or C++)."""
    if language == "c" and _CPP_HEADER.search(source, 0, 65536):
        return "cpp"
    return language


def same_language(stored: str, named: str) -> bool:
    """Whether a stored file's language fits the one its name suggests (a ``.h`` named C may
    have been read as C++)."""
    return stored == named or (named == "c" and stored == "cpp")


@cache
def query_source(language: str) -> str:
    """The tree-sitter query text for a language, read from ``queries/<language>.scm``.

    A first line ``; inherits: other`` prepends ``other``'s query (TypeScript extends
    JavaScript), as nvim-treesitter does.
    """
    text = (QUERY_DIR / f"{language}.scm").read_text(encoding="utf-8")
    first = text.split("\n", 1)[0]
    if first.startswith("; inherits:"):
        bases = [b.strip() for b in first.removeprefix("; inherits:").split(",")]
        text = "\n".join([*(query_source(b) for b in bases if b), text])
    return text
