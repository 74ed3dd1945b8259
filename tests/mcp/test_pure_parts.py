"""The pure core of lynkr mcp and Code Mode: path rules, ranking, selection, compression,
config parsing and install merging."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent

from code_mode.bm25 import BM25, tokenize
from code_mode.config import ConfigError, parse_config
from code_mode.results import SelectError, apply_select, render, result_value
from lynkr.optimize.compressors.tables import unfactor
from lynkr.optimize.toon import decode
from mcp_servers.grep_worker import split_lines
from mcp_servers.install import merge_codex_toml, merge_mcp_json, server_entry
from mcp_servers.search import Match, format_page
from mcp_servers.test_output import cap_line, compress_pytest, compress_test_output
from mcp_servers.workspace import Workspace


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["..", ".", "a", "b", "/", "//", "~", "a/../.."]), max_size=6))
def test_no_path_argument_resolves_outside_the_root(tmp_path_factory, parts: list[str]) -> None:
    root = tmp_path_factory.mktemp("root")
    ws = Workspace(root)
    try:
        real = ws.resolve("/".join(parts), must_exist=False)
    except ToolError:
        return
    assert real == ws.root or ws.root in real.parents


def test_identifiers_are_split_into_words_for_search() -> None:
    assert tokenize("readMultipleFiles") == ["read", "multiple", "file"]
    assert tokenize("get_user_by_id") == ["user", "id"]


def test_bm25_ranks_the_document_naming_the_query_first() -> None:
    docs = [tokenize(t) for t in ("list weather stations", "get user profile by id",
                                  "echo text back")]
    assert BM25(docs).rank(tokenize("user profile"), 2)[0][0] == 1


def test_select_narrows_structured_results_and_rejects_bad_expressions() -> None:
    result = CallToolResult(content=[TextContent(type="text", text="{}")],
                            structured_content={"result": [{"n": 1}, {"n": 2}]})
    assert apply_select(result_value(result), "[].n") == [1, 2]
    with pytest.raises(SelectError):
        apply_select({}, "[[[")


def test_rendered_results_state_a_shared_url_prefix_once_and_unfactor_to_the_data() -> None:
    base = "https://api.github.com/repos/acme/widgets/pulls/"
    pulls = [{"number": n, "url": f"{base}{n}"} for n in range(10, 30)]
    text = render({"pulls": pulls})
    assert text.startswith(f'(every pulls[].url below is "{base}" + the value shown)')
    assert unfactor(text) == {"pulls": pulls}
    assert render({"n": 1}) == "n: 1"


def test_text_results_that_are_json_become_data() -> None:
    result = CallToolResult(content=[TextContent(type="text", text='{"a": [1, 2]}')])
    assert apply_select(result_value(result), "a[1]") == 2


def test_config_needs_exactly_one_of_command_or_url() -> None:
    specs = parse_config({"mcpServers": {"a": {"command": "x", "args": ["1"]},
                                         "b": {"url": "http://h/mcp"},
                                         "c": {"command": "y", "disabled": True}}})
    assert [(s.name, s.transport) for s in specs] == [("a", "stdio"), ("b", "http")]
    with pytest.raises(ConfigError):
        parse_config({"mcpServers": {"a": {"command": "x", "url": "http://h"}}})


PYTEST_OUTPUT = """\
============================= test session starts ==============================
collected 3 items

tests/test_a.py .F.                                                       [100%]

=================================== FAILURES ===================================
__________________________________ test_two ___________________________________

    def test_two():
>       assert 1 == 2
E       assert 1 == 2

tests/test_a.py:5: AssertionError
=========================== short test summary info ============================
FAILED tests/test_a.py::test_two - assert 1 == 2
========================= 1 failed, 2 passed in 0.01s ==========================
"""


def test_grep_lines_of_one_file_with_the_same_text_share_a_row_in_first_seen_order() -> None:
    matches = [Match("a.py", 3, "    loop = get_loop()"), Match("a.py", 9, "loop.run()"),
               Match("a.py", 20, "\tloop = get_loop()"), Match("b.py", 1, "loop = get_loop()")]
    assert format_page(matches, 0, 10).split("\n") == [
        "4 matches in 2 files", "a.py (3):", "3,20 loop = get_loop()", "9 loop.run()",
        "b.py (1):", "1 loop = get_loop()"]


@given(st.lists(st.text(alphabet="ab \f\v\x1c\x85\u2028\r", max_size=8), max_size=8))
def test_lines_are_split_on_newlines_only_as_tree_sitter_counts_them(lines: list[str]) -> None:
    expected = [line.removesuffix("\r") for line in lines]
    if expected and expected[-1] == "" and not lines[-1]:
        expected.pop()  # "a\n" is one line, as for an editor
    assert split_lines("\n".join(lines)) == expected


def test_grep_row_of_a_long_line_is_a_window_centred_on_the_match() -> None:
    line = "x" * 1000 + "needle" + "y" * 1000
    [row] = format_page([Match("a.js", 1, line, column=1000)], 0, 10).split("\n")[2:]
    assert row == "1 …" + "x" * 99 + "needle" + "y" * 93 + "…"  # the match starts mid-row


def test_grep_files_past_the_other_files_table_are_counted() -> None:
    matches = [Match(f"f{i:02}.py", 1, "x") for i in range(40)]
    lines = format_page(matches, 0, 1, max_other_files=30).split("\n")
    assert lines[-1] == "+9 files"
    assert decode("\n".join(lines[3:-1]))["other_files"][-1] == {"file": "f30.py", "count": 1}


def test_failure_flooding_its_captured_stdout_keeps_traceback_and_a_head_and_tail() -> None:
    flood = "\n".join(f"line {i}" for i in range(1000))
    output = PYTEST_OUTPUT.replace(
        "tests/test_a.py:5: AssertionError\n",
        f"tests/test_a.py:5: AssertionError\n----- Captured stdout call -----\n{flood}\n")
    kept = compress_test_output("pytest", output).splitlines()
    assert "E       assert 1 == 2" in kept and kept[-1] == "1 failed, 2 passed in 0.01s"
    assert "line 14" in kept and "line 15" not in kept and "line 975" in kept
    assert "[... 960 captured lines cut ...]" in kept


def test_overlong_output_line_keeps_its_head_and_tail() -> None:
    assert cap_line("a" * 300 + "b" * 300, 400) == "a" * 200 + "[... 200 chars cut ...]" + "b" * 200
    assert cap_line("short", 400) == "short"


def test_pytest_output_keeps_failure_node_id_traceback_and_summary_only() -> None:
    assert compress_pytest(PYTEST_OUTPUT).splitlines() == [
        "FAILED tests/test_a.py::test_two",
        ">       assert 1 == 2",
        "E       assert 1 == 2",
        "tests/test_a.py:5: AssertionError",
        "1 failed, 2 passed in 0.01s",
    ]


def test_install_merges_into_json_without_touching_other_servers() -> None:
    existing = json.dumps({"mcpServers": {"other": {"command": "o"}}, "theme": "dark"})
    merged = json.loads(merge_mcp_json(existing, server_entry()))
    assert merged["mcpServers"] == {"other": {"command": "o"},
                                    "lynkr": {"command": "lynkr", "args": ["mcp"]}}
    assert merged["theme"] == "dark"


def test_install_replaces_only_the_lynkr_table_in_codex_toml() -> None:
    existing = ('model = "o4"\n\n[mcp_servers.lynkr]\ncommand = "old"\n\n'
                '[mcp_servers.lynkr.env]\nX = "1"\n\n[mcp_servers.other]\ncommand = "o"\n')
    merged = tomllib.loads(merge_codex_toml(existing, server_entry(root="/w")))
    assert merged["model"] == "o4"
    assert merged["mcp_servers"]["other"] == {"command": "o"}
    assert merged["mcp_servers"]["lynkr"] == {"command": "lynkr",
                                              "args": ["mcp", "--root", "/w"]}


def test_install_write_creates_the_cursor_config(tmp_path: Path) -> None:
    from mcp_servers.install import install

    message = install("cursor", write=True, root=None, home=tmp_path, cwd=tmp_path)
    written = json.loads((tmp_path / ".cursor" / "mcp.json").read_text())
    assert "lynkr" in written["mcpServers"] and ".cursor" in message


def test_nested_gitignores_apply_below_their_directory_and_the_deepest_decides(
        tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("*.log\n")
    (tmp_path / "app" / "gen").mkdir(parents=True)
    (tmp_path / "app" / ".gitignore").write_text("gen/\n!keep.log\n")
    for rel in ("top.log", "app/keep.log", "app/other.log", "app/main.py", "app/gen/out.py",
                "lib/gen/real.py"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x\n")
    ws = Workspace(tmp_path)
    seen = {ws.relative(p) for p in ws.walk(tmp_path)}
    assert seen == {".gitignore", "app/.gitignore", "app/keep.log", "app/main.py",
                    "lib/gen/real.py"}
