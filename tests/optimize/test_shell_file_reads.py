"""A file printed through the shell (Claude Code's Bash, Codex's exec_command and shell) is a
file read: whole up to the read limits, cut at definitions past them, and every cut names a
command that prints exactly its lines. The commands run for real here."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from lynkr.model import Message, Request, TextBlock, Tool, ToolResultBlock, ToolUseBlock
from lynkr.optimize.compressors.shell_read import ShellRead, parse_read_command, shell_read
from lynkr.optimize.expand_store import ExpandStore
from lynkr.optimize.tool_results import (
    FILE_READ_BUDGET_TOKENS,
    FILE_READ_LIMIT_TOKENS,
    BlockCache,
    compress_tool_results,
)
from lynkr.tokens import count_tokens
from tests.optimize.expanded import POINTER, expanded
from tests.optimize.test_file_read_cut import python_source

HINT = re.compile(r"read them again with (.+?)\) — lynkr_expand id=\w+ offset=\d+ limit=(\d+)\]$")
STATUS = "Chunk ID: 1f2e3d\nWall time: 0.0100 seconds\nProcess exited with code 0\nOutput:\n"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("project")
    (root / "src").mkdir()
    (root / "src" / "handlers.py").write_text(python_source(900))
    return root


def run(command: str, cwd: Path) -> str:
    """What the agent's shell tool hands back: stdout, without its last newline."""
    done = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                          check=True)
    return done.stdout.removesuffix("\n")


def through(tool: str, arguments: dict[str, Any], output: str, mode: str = "full",
            prompt: str = "Look at the handlers",
            store: ExpandStore | None = None) -> str:
    request = Request(model="m", tools=[Tool(tool, "Runs a command.")], messages=[
        Message("user", [TextBlock(prompt)]),
        Message("assistant", [ToolUseBlock("c1", tool, arguments)]),
        Message("user", [ToolResultBlock("c1", [TextBlock(output)])])])
    report = compress_tool_results(request, mode, 500, store or ExpandStore(),
                                   cache=BlockCache())
    block = report.request.messages[2].content[0]
    assert isinstance(block, ToolResultBlock)
    return block.text


def test_a_file_printed_by_cat_goes_whole_up_to_the_read_budget_where_output_was_cut() -> None:
    text = python_source(260)
    assert FILE_READ_LIMIT_TOKENS < count_tokens(text) <= FILE_READ_BUDGET_TOKENS
    assert through("Bash", {"command": "cat src/handlers.py"}, text) == text
    assert through("Bash", {"command": "python make_handlers.py"}, text) != text


def test_in_lossless_mode_a_printed_file_is_kept_as_it_is_like_a_read() -> None:
    text = python_source(100)
    assert count_tokens(text) <= FILE_READ_LIMIT_TOKENS
    assert through("Bash", {"command": "sed -n '1,900p' src/handlers.py"}, text,
                   "lossless") == text


@pytest.mark.parametrize("command", [
    "cat src/handlers.py",
    "cat -n src/handlers.py",
    "nl -ba src/handlers.py",
    "sed -n '1001,$p' src/handlers.py",
    "nl -ba src/handlers.py | sed -n '801,7000p'",
    "head -n 6500 src/handlers.py",
    "tail -n +400 src/handlers.py 2>/dev/null",
    "tail -n 6000 src/handlers.py",
])
def test_past_the_budget_every_cut_names_a_command_printing_exactly_its_lines(
        command: str, project: Path) -> None:
    output = run(command, project)
    store = ExpandStore()
    sent = through("Bash", {"command": command}, output, store=store)
    assert count_tokens(sent) <= FILE_READ_BUDGET_TOKENS + 300
    assert expanded(sent, store) == output
    hints = [found for line in sent.split("\n") if (found := HINT.search(line))]
    assert hints and len(hints) == len([line for line in sent.split("\n")
                                        if POINTER.search(line)])
    for line in sent.split("\n"):
        if (found := HINT.search(line)) is not None:
            again, count = found.group(1), int(found.group(2))
            assert expanded(line, store) == run(again, project)
            assert len(run(again, project).split("\n")) == count


def test_a_cut_of_a_plain_read_names_file_lines_and_sed_and_a_numbered_read_keeps_nl(
        project: Path) -> None:
    plain = through("Bash", {"command": "sed -n '1001,$p' src/handlers.py"},
                    run("sed -n '1001,$p' src/handlers.py", project))
    first = next(line for line in plain.split("\n") if line.startswith("[…"))
    assert re.search(r"\(file lines (\d+)-(\d+): def handler_\d+, .*; read them again with "
                     r"sed -n '\1,\2p' src/handlers.py\)", first)
    numbered = through("Bash", {"command": "nl -ba src/handlers.py"},
                       run("nl -ba src/handlers.py", project))
    assert "read them again with nl -ba src/handlers.py | sed -n '" in numbered


def test_a_read_of_unknown_start_is_read_again_by_repeating_it() -> None:
    text = python_source(900)
    sent = through("Bash", {"command": "tail -n 7000 src/handlers.py"}, text)
    assert re.search(r"\(lines (\d+)-(\d+) of this read: .*; read them again with "
                     r"tail -n 7000 src/handlers\.py \| sed -n '\1,\2p'\)", sent)


@pytest.mark.parametrize(("tool", "arguments"), [
    ("exec_command", {"cmd": "sed -n '1,9000p' src/handlers.py", "workdir": "/repo"}),
    ("shell", {"command": ["bash", "-lc", "nl -ba src/handlers.py"]}),
    ("local_shell", {"type": "exec", "command": ["cat", "src/handlers.py"]}),
])
def test_codex_reads_are_cut_behind_their_status_lines(
        tool: str, arguments: dict[str, Any], project: Path) -> None:
    read = shell_read(tool, arguments)
    assert read is not None
    output = run(read.command, project)
    store = ExpandStore()
    sent = through(tool, arguments, STATUS + output, store=store)
    assert sent.startswith(STATUS) and expanded(sent, store) == STATUS + output
    assert "; read them again with " in sent


def test_data_files_printed_through_the_shell_keep_their_own_compressors() -> None:
    rows = "[\n" + ",\n".join(f'  {{"id": {i}, "name": "pkg{i}", "ok": true}}'
                              for i in range(400)) + "\n]"
    sent = through("Bash", {"command": "cat packages.json"}, rows, "lossless")
    assert len(sent) < len(rows) // 2 and "pkg399" in sent


def test_a_path_holding_brackets_still_points_every_marker_at_its_lines() -> None:
    text = python_source(900)
    store = ExpandStore()
    sent = through("Bash", {"command": "cat 'app/[slug]/handlers.py'"}, text, store=store)
    assert "sed -n '" in sent and "'app/[slug]/handlers.py')" in sent
    assert expanded(sent, store) == text


def test_the_function_the_user_names_in_a_shell_read_is_kept_whole() -> None:
    source = python_source(900)
    sent = through("Bash", {"command": "cat src/handlers.py"}, source,
                   prompt="Why does handler_777 raise?")
    wanted = source[source.index("def handler_777("):source.index("def handler_778(")]
    assert wanted.rstrip("\n") in sent


# --- which commands are file reads -----------------------------------------------------------


@pytest.mark.parametrize(("command", "path", "skip", "numbered"), [
    ("cat src/big.py", "src/big.py", 0, False),
    ("cat -n src/big.py", "src/big.py", 0, True),
    ("nl -ba f.py", "f.py", 0, True),
    ("nl -b a -w 3 f.py", "f.py", 0, True),
    ("sed -n '1,400p' f.ts", "f.ts", 0, False),
    ("sed -n '120,$p' f.ts", "f.ts", 119, False),
    ("sed -n 7p f.ts", "f.ts", 6, False),
    ("head -n 500 x.go", "x.go", 0, False),
    ("head -50 x.go", "x.go", 0, False),
    ("tail -n +30 a.rs", "a.rs", 29, False),
    ("tail -n 30 a.rs", "a.rs", None, False),
    ("bat --plain --paging=never lib.rs", "lib.rs", 0, False),
    ("batcat -r 40:90 lib.rs", "lib.rs", 39, False),
    ("nl -ba src/x.rs | sed -n '120,240p'", "src/x.rs", 119, True),
    ("sed -n '100,400p' f.py | head -n 50", "f.py", 99, False),
    ("cat f.py 2>&1", "f.py", 0, False),
    ('cat "app/(group)/page.tsx"', "app/(group)/page.tsx", 0, False),
    ("bash -lc \"sed -n '10,20p' f.py\"", "f.py", 9, False),
])
def test_commands_printing_one_file_are_file_reads(
        command: str, path: str, skip: int | None, numbered: bool) -> None:
    read = parse_read_command(command)
    assert read is not None and (read.path, read.skip, read.numbered) == (path, skip, numbered)


@pytest.mark.parametrize("command", [
    "cat a.py b.py", "cat f.py | grep def", "cat src/*.py", "cat $FILE", "cat `which x`",
    "cd src && cat f.py", "cat f.py; ls", "cat f.py > copy.py", "cat < f.py", "cat",
    "cat -A f.py", "head -c 100 f.py", "tail -f f.py", "sed 's/a/b/' f.py",
    "sed -n '/def/p' f.py", "sed -i -n '1,5p' f.py", "grep -n def f.py", "nl -s: f.py",
    "cat data.json", "head -n 20 events.jsonl", "tail -n 100 app.log", "cat rows.csv",
    "cat f.py |& head", "less f.py", "cat f.py\ncat g.py", "awk 'NR<10' f.py",
    "cat -n f.py | nl -ba",
])
def test_other_commands_stay_command_output(command: str) -> None:
    assert parse_read_command(command) is None


def test_only_shell_tools_carry_shell_reads() -> None:
    assert shell_read("Bash", {"command": "cat f.py"}) is not None
    assert shell_read("Read", {"command": "cat f.py"}) is None
    assert shell_read("write_stdin", {"chars": "cat f.py\n"}) is None


def test_lines_past_an_agent_s_truncation_notice_get_no_file_numbers() -> None:
    locate = ShellRead("cat f.py", "f.py", 0, False).locator(
        "a\nb\nc …4021 tokens truncated… d\ne\nf")
    assert locate([], 0, 2) == ("file lines 1-2", "read them again with sed -n '1,2p' f.py")
    assert locate([], 1, 4) == ("lines 2-4 of this read", "")
    cut = ShellRead("cat f.py", "f.py", 0, False).locator(
        "a\nb\n\n... [812 lines truncated] ...")
    assert cut([], 0, 2)[0] == "file lines 1-2"
    assert cut([], 0, 3) == ("lines 1-3 of this read", "")
