"""File reads: whole up to the agent's own read limit; past it, cut only between definitions,
each cut naming what it held and the lines to read again."""

from __future__ import annotations

import re

from lynkr.model import Message, Request, TextBlock, Tool, ToolResultBlock, ToolUseBlock
from lynkr.optimize.compressors.source import cut_source
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.text_compressors import compress_text
from lynkr.optimize.tool_results import (
    FILE_READ_BUDGET_TOKENS,
    FILE_READ_LIMIT_TOKENS,
    BlockCache,
    compress_tool_results,
)
from lynkr.tokens import count_tokens
from tests.optimize.expanded import POINTER, expanded

NUMBERED = re.compile(r"^\s*(\d+)→")


def python_source(functions: int) -> str:
    head = ['"""Request handlers."""', "", "import os", "import sys", "", ""]
    body = []
    for i in range(functions):
        body += [f"def handler_{i}(request, context):",
                 f'    """Handle requests of kind {i}."""',
                 f"    value = compute_{i}(request.payload, context.settings)",
                 "    if value is None:",
                 f"        raise LookupError('missing {i}')",
                 f"    return value * {i}", "", ""]
    return "\n".join(head + body)


def numbered(source: str) -> str:
    """As Claude Code's Read shows a file."""
    return "\n".join(f"{n:>6}→{line}" for n, line in enumerate(source.split("\n"), 1))


def read(text: str, prompt: str = "Look at the handlers", **arguments: object) -> Request:
    return Request(model="m", tools=[Tool("Read", "Read a file.")], messages=[
        Message("user", [TextBlock(prompt)]),
        Message("assistant", [ToolUseBlock("r1", "Read",
                                           {"file_path": "/src/handlers.py", **arguments})]),
        Message("user", [ToolResultBlock("r1", [TextBlock(text)])]),
    ])


def sent(request: Request, mode: str = "full", store: ExpandStore | None = None) -> str:
    report = compress_tool_results(request, mode, 500, store or ExpandStore(), cache=BlockCache())
    block = report.request.messages[2].content[0]
    assert isinstance(block, ToolResultBlock)
    return block.text


def test_a_read_within_claude_code_s_own_limit_goes_whole_in_full_mode() -> None:
    text = numbered(python_source(260))
    assert FILE_READ_LIMIT_TOKENS < count_tokens(text) <= FILE_READ_BUDGET_TOKENS
    assert sent(read(text)) == text


def test_a_bigger_read_is_cut_between_definitions_with_an_outline_and_lines_to_reread() -> None:
    text = numbered(python_source(700))
    store = ExpandStore()
    out = sent(read(text), store=store)
    assert count_tokens(out) <= FILE_READ_BUDGET_TOKENS + 200
    markers = [line for line in out.split("\n") if POINTER.search(line)]
    assert markers
    first, last = re.search(r"file lines (\d+)-(\d+)", markers[0]).groups()  # type: ignore[union-attr]
    assert f"read them again with offset={first} limit={int(last) - int(first) + 1}" in (
        markers[0])
    assert re.search(r": def handler_\d+, def handler_\d+", markers[0])
    assert expanded(out, store) == text
    lines = out.split("\n")
    for i, line in enumerate(lines):
        if POINTER.search(line) and i + 1 < len(lines):
            # What follows a cut starts a definition (or is the blank line before one).
            after = lines[i + 1].split("→", 1)[1]
            assert after.startswith("def ") or not after.strip()


def test_the_definition_the_user_names_is_kept_whole() -> None:
    source = python_source(700)
    out = sent(read(numbered(source), "Why does handler_555 raise LookupError?"))
    wanted = source[source.index("def handler_555("):source.index("def handler_556(")]
    kept = "\n".join(line.split("→", 1)[1] for line in out.split("\n") if NUMBERED.match(line))
    assert wanted.rstrip("\n") in kept


def test_a_read_that_asked_for_the_whole_file_goes_whole() -> None:
    text = numbered(python_source(700))
    assert sent(read(text, allow_large=True)) == text


def test_lossless_mode_reads_are_what_they_were_before() -> None:
    """Preserved thinking runs lossless: a read is kept whole up to FILE_READ_LIMIT_TOKENS
    and only rewritten losslessly above it, with no query and no budget."""
    text = numbered(python_source(700))
    assert sent(read(text, "Why does handler_555 fail?"), "lossless") == compress_text(
        text, lossy=False).text == text


def test_brace_languages_are_cut_after_the_closing_brace() -> None:
    body = []
    for i in range(80):
        body += [f"function handler{i}(req) {{", f"  const v = compute{i}(req);",
                 f"  return v * {i};", "}", ""]
    result = cut_source("\n".join(body), 800)
    assert not result.lossless and result.omitted is not None
    assert result.omitted.startswith("function handler")
    assert "(lines " in result.text and "function handler" in result.text.split("[…")[1]


def test_a_file_with_nothing_to_cut_at_goes_whole() -> None:
    minified = "var a=" + ",".join(str(i) for i in range(20_000)) + ";"
    assert cut_source(minified, 1000).text == minified


# --- definitions bigger than a unit's share of the budget -----------------------------------


def big_function(name: str, statements: int) -> list[str]:
    body = [f"    stage_{k} = transform_{k}(request, stage_{max(k - 1, 0)})  # step {k}"
            for k in range(statements)]
    return [f"def {name}(request):", f'    """{name} runs every stage."""', *body,
            f"    return finish_{name}(stage_{statements - 1})", "", ""]


def with_function(before: int, function: list[str], after: int) -> str:
    """Handlers, then ``function``, then more handlers (each a few lines)."""
    head = python_source(before).split("\n")
    tail = python_source(after).split("\n")[6:]  # without a second module head
    return "\n".join([*head, *function, *(line.replace("handler_", "late_") for line in tail)])


def kept_lines(out: str) -> list[str]:
    return [line.split("→", 1)[1] for line in out.split("\n") if NUMBERED.match(line)]


def test_a_5000_token_function_in_a_40000_token_file_is_kept_whole_when_the_fill_reaches_it(
) -> None:
    function = big_function("rebuild_index", 260)
    assert 4_500 < count_tokens("\n".join(function)) < 6_000
    text = numbered(with_function(150, function, 230))
    assert 38_000 < count_tokens(text) < 46_000
    assert "\n".join(function) in "\n".join(kept_lines(sent(read(text))))


def test_the_big_function_the_user_names_is_kept_whole_past_where_the_fill_stops() -> None:
    function = big_function("rebuild_index", 260)
    text = numbered(with_function(400, function, 20))
    out = sent(read(text, "Why does rebuild_index lose the last stage?"))
    assert "\n".join(function) in "\n".join(kept_lines(out))
    assert "def handler_0(" in out


def test_a_function_too_big_for_what_is_left_keeps_its_signature_head_and_tail() -> None:
    function = big_function("rebuild_index", 1600)  # about 32,000 tokens
    text = numbered(with_function(40, function, 200))
    store = ExpandStore()
    out = sent(read(text), store=store)
    kept = kept_lines(out)
    assert function[0] in kept and "    return finish_rebuild_index(stage_1599)" in kept
    assert "    stage_800 = transform_800(request, stage_799)  # step 800" not in kept
    inside = next(line for line in out.split("\n") if line.startswith("[…"))
    first, last = map(int, re.search(r"file lines (\d+)-(\d+)", inside).groups())  # type: ignore[union-attr]
    assert f"offset={first} limit={last - first + 1}" in inside
    assert "def late_0(" in out  # the file goes on after the frame
    assert expanded(out, store) == text


def test_a_method_in_a_brace_language_too_big_to_keep_is_framed_with_its_closing_brace() -> None:
    lines = ["package app;", "", "public class Pipeline {"]
    for m in range(30):
        lines += [f"    public int small{m}(int x) {{", f"        return x + {m};", "    }", ""]
    lines += ["    public Result runAll(Request request) {"]
    lines += [f"        Stage s{k} = stages.get({k}).apply(request);" for k in range(1500)]
    lines += ["        return Result.of(s1499);", "    }", "}"]
    result = cut_source("\n".join(lines), 4000)
    kept = result.text.split("\n")
    assert "    public Result runAll(Request request) {" in kept
    assert kept[-3:] == ["        return Result.of(s1499);", "    }", "}"]
    assert any(line.startswith("[… ") and "(lines " in line for line in kept)


def test_a_class_over_the_budget_is_still_cut_between_its_methods() -> None:
    lines = ["class Handlers:", '    """All of them."""', ""]
    for i in range(300):
        lines += [f"    def handle_{i}(self, request):", f"        return self.run({i}, request)",
                  ""]
    result = cut_source("\n".join(lines), 2000)
    out = result.text.split("\n")
    for i, line in enumerate(out[:-1]):
        if line.startswith("[…"):
            assert out[i + 1].startswith("    def handle_") or not out[i + 1].strip()
