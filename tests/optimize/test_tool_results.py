"""Tool-result compression over requests, and lynkr_expand answers."""

from __future__ import annotations

import copy
import json

import pytest

from lynkr.model import Message, Request, TextBlock, Tool, ToolResultBlock, ToolUseBlock
from lynkr.optimize.compressors.tables import unfactor
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.text_compressors import Compressed, compress_json, splice
from lynkr.optimize.tool_results import (
    EXPAND_TOOL,
    BlockCache,
    CompressionReport,
    answer_expand,
    compress_tool_results,
)

THRESHOLD = 200


def grep_records(n: int = 60) -> str:
    rows = [{"file": f"src/pkg/module{i % 7}.py", "line": 10 + i, "match": f"value_{i} = compute()",
             "context": f"def f{i}():\n    value_{i} = compute()"} for i in range(n)]
    return json.dumps(rows, indent=2)


def pytest_output(passing: int = 120) -> str:
    lines = ["============================= test session starts ==============================",
             "platform linux -- Python 3.11.7, pytest-8.3.3, pluggy-1.5.0",
             "rootdir: /work/app", f"collected {passing + 1} items", ""]
    lines += [f"tests/test_mod.py::test_case_{i} PASSED" for i in range(passing)]
    lines += ["tests/test_mod.py::test_broken FAILED", "",
              "=================================== FAILURES ===================================",
              "_________________________________ test_broken __________________________________",
              "", "    def test_broken():", ">       assert add(2, 2) == 5",
              "E       assert 4 == 5", "", "tests/test_mod.py:12: AssertionError",
              "=========================== short test summary info ============================",
              "FAILED tests/test_mod.py::test_broken - assert 4 == 5",
              f"==================== 1 failed, {passing} passed in 0.52s ===================="]
    return "\n".join(lines)


def request_with(text: str, tool: str = "Bash", *, is_error: bool = False) -> Request:
    return Request(
        model="m",
        tools=[Tool("Bash", "Run a command."), Tool("Read", "Read a file.")],
        messages=[
            Message("user", [TextBlock("look into it")]),
            Message("assistant", [ToolUseBlock("call_1", tool, {"command": "x"})]),
            Message("user", [ToolResultBlock("call_1", [TextBlock(text)], is_error=is_error)]),
        ],
    )


def result_text(report_request: Request) -> str:
    block = report_request.messages[2].content[0]
    assert isinstance(block, ToolResultBlock)
    return block.text


def compress(request: Request, mode: str, store: ExpandStore | None = None) -> CompressionReport:
    store = store if store is not None else ExpandStore()
    return compress_tool_results(request, mode, THRESHOLD, store, cache=BlockCache())


def test_json_results_over_the_threshold_are_sent_as_toon_in_lossless_mode() -> None:
    report = compress(request_with(grep_records()), "lossless")
    text = result_text(report.request)
    assert text.startswith("[60]{file,line,match,context}:")  # no affix here is worth stating
    assert report.stats["json"].lossless_blocks == 1 and report.tokens_saved > 0
    assert report.expand_ids == () and not report.expand_offered


def test_results_under_the_threshold_are_left_alone() -> None:
    request = request_with('{"ok": true}')
    report = compress(request, "full")
    assert report.request.messages[2] is request.messages[2] and report.stats == {}


def test_full_mode_keeps_the_head_of_large_json_and_says_how_to_expand_the_rest() -> None:
    store = ExpandStore()
    report = compress(request_with(grep_records()), "full", store)
    text = result_text(report.request)
    [key] = report.expand_ids
    assert text.splitlines()[-1].endswith(f"lynkr_expand id={key} offset=0 limit="
                                          f"{len(store.get(key).splitlines())}]")
    assert report.stats["json"].lossy_blocks == 1
    assert report.tokens_after <= THRESHOLD
    kept = text.splitlines()[:-1]
    answer = answer_expand(ToolUseBlock("x", "lynkr_expand", {"id": key}), store)
    plain = compress_json(grep_records(), factored=False)  # a few rows read best unfactored
    assert plain is not None and "\n".join(kept) + "\n" + answer.text == plain.text


def test_test_output_markers_point_at_exactly_their_lines() -> None:
    store = ExpandStore()
    original = pytest_output()
    report = compress(request_with(original), "full", store)
    text = result_text(report.request)
    assert "FAILED tests/test_mod.py::test_broken" in text and "assert 4 == 5" in text
    [key] = report.expand_ids
    rebuilt = splice(Compressed(text, "pytest", False, store.get(key)))
    assert rebuilt == original


def test_file_reads_are_kept_verbatim_below_the_limit() -> None:
    numbered = "\n".join(f"{i:>6}→line {i} of the file" for i in range(1, 400))
    report = compress(request_with(numbered, tool="Read"), "full")
    assert result_text(report.request) == numbered
    assert report.stats["file"].lossless_blocks == 1


def test_errors_are_only_compressed_losslessly() -> None:
    report = compress(request_with(pytest_output(), is_error=True), "full")
    assert report.expand_ids == () and all(s.lossy_blocks == 0 for s in report.stats.values())


def test_expand_answers_are_never_compressed_again() -> None:
    request = request_with(pytest_output(), tool="lynkr_expand")
    assert result_text(compress(request, "full").request) == pytest_output()


def test_the_input_request_is_never_mutated() -> None:
    request = request_with(grep_records())
    before = copy.deepcopy(request)
    compress(request, "full")
    assert request == before


def test_full_mode_offers_the_expand_tool_on_every_request_with_tools() -> None:
    small = compress(request_with("short"), "full")
    assert small.request.tools[-1] == EXPAND_TOOL and small.expand_offered
    again = compress(small.request, "full")
    assert [t.name for t in again.request.tools].count("lynkr_expand") == 1
    assert compress(request_with("short"), "lossless").request.tools[-1].name == "Read"


def test_resent_results_come_from_the_cache_and_stay_expandable() -> None:
    cache = BlockCache()
    request = request_with(pytest_output())
    first = compress_tool_results(request, "full", THRESHOLD, ExpandStore(), cache=cache)
    fresh_store = ExpandStore()
    second = compress_tool_results(request, "full", THRESHOLD, fresh_store, cache=cache)
    assert cache.hits == 1 and first.request == second.request
    assert fresh_store.get(second.expand_ids[0]) is not None


def test_off_mode_changes_nothing() -> None:
    request = request_with(grep_records())
    assert compress(request, "off").request is request


@pytest.mark.parametrize(("args", "message"), [
    ({"id": "nope00000000"}, "unknown or has expired"),
    ({"id": 7}, "needs a string id"),
    ({"id": "x", "offset": -1}, "needs a string id"),
    ({"id": "x", "limit": 0}, "needs a string id"),
])
def test_bad_expand_calls_answer_with_an_error(args: dict, message: str) -> None:
    answer = answer_expand(ToolUseBlock("call_9", "lynkr_expand", args), ExpandStore())
    assert answer.is_error and message in answer.text and answer.tool_use_id == "call_9"


def test_expand_pages_by_lines_and_rejects_offsets_past_the_end() -> None:
    store = ExpandStore()
    key = store.put("a\nb\nc")
    page = answer_expand(ToolUseBlock("c", "lynkr_expand", {"id": key, "offset": 1, "limit": 1}),
                         store)
    assert page.text == "b\n"
    past = answer_expand(ToolUseBlock("c", "lynkr_expand", {"id": key, "offset": 3}), store)
    assert past.is_error


def test_unknown_mode_is_rejected() -> None:
    with pytest.raises(ValueError, match="mode"):
        compress(request_with("x"), "max")


def test_full_mode_sends_json_whole_when_factoring_brings_it_under_the_threshold() -> None:
    base = "https://api.example.com/v1/repos/acme/widgets/issues/"
    rows = [{"n": i, "url": f"{base}{i}"} for i in range(20)]
    report = compress(request_with(json.dumps(rows, indent=2)), "full")
    text = result_text(report.request)
    assert text.startswith("(every url below is") and unfactor(text) == rows
    assert report.expand_ids == () and report.stats["json"].lossy_blocks == 0


def test_a_short_git_status_goes_whole_when_dropping_its_hints_would_cost_more() -> None:
    """The omission marker is longer than the two hint lines it replaced: -9 tokens "saved"."""
    status = ("On branch main\n\nNo commits yet\n\nUntracked files:\n"
              '  (use "git add <file>..." to include in what will be committed)\n'
              "\tinvoice.pdf\n\tlogo.png\n\tserver.log\n\tuntracked.txt\n\n"
              'nothing added to commit but untracked files present (use "git add" to track)\n')
    store = ExpandStore()
    report = compress_tool_results(request_with(status), "full", 50, store, cache=BlockCache())
    assert report.tokens_saved >= 0
    assert "lynkr_expand" not in result_text(report.request)
