"""``graph`` commands through ``python -m graph`` and through add_graph_commands."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from graph.__main__ import main
from graph.cli import add_graph_commands, render_progress
from tests.graph.conftest import RepoFactory

REPO = {
    "app.py": "from util import helper\n\ndef run():\n    return helper(1)\n",
    "util.py": "def helper(x):\n    if x:\n        return x\n    return 0\n",
}


def test_build_prints_a_summary_with_languages_symbols_and_edges(make_repo: RepoFactory, capsys):
    root = make_repo(REPO)
    assert main(["build", str(root), "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "Indexed 2 files" in out
    assert "python" in out
    assert "Symbols: 2" in out
    assert "calls 1" in out


def test_build_json_summary_is_machine_readable(make_repo: RepoFactory, capsys):
    root = make_repo(REPO)
    main(["build", str(root), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert summary["files"] == 2 and summary["languages"] == {"python": 2}


def test_build_of_a_missing_or_non_directory_path_fails_clearly(tmp_path: Path, capsys):
    assert main(["build", str(tmp_path / "nope")]) == 2
    assert "no such directory" in capsys.readouterr().err
    file = tmp_path / "file.py"
    file.write_text("x = 1\n")
    assert main(["build", str(file)]) == 2
    assert "is not a directory" in capsys.readouterr().err


def test_query_subcommands_answer_in_text_and_json(make_repo: RepoFactory, capsys):
    root = make_repo(REPO)
    main(["build", str(root)])
    capsys.readouterr()
    assert main(["query", "callers", "helper", "--root", str(root)]) == 0
    assert "app.py::run" in capsys.readouterr().out
    main(["query", "callees", "run", "--root", str(root), "--json"])
    assert json.loads(capsys.readouterr().out)[0]["id"] == "util.py::helper"
    main(["query", "blast-radius", "util.py", "--root", str(root), "--json"])
    assert json.loads(capsys.readouterr().out) == ["app.py"]
    main(["query", "neighbors", "app.py", "--root", str(root), "--json"])
    assert json.loads(capsys.readouterr().out)["imports"] == ["util.py"]
    main(["query", "hotspots", "--limit", "1", "--root", str(root), "--json"])
    assert json.loads(capsys.readouterr().out)[0]["id"] == "util.py::helper"
    main(["query", "symbol", "helper", "--root", str(root)])
    assert "util.py::helper" in capsys.readouterr().out


def test_query_for_an_unknown_name_exits_1(make_repo: RepoFactory, capsys):
    root = make_repo(REPO)
    main(["build", str(root)])
    assert main(["query", "symbol", "nothing_like_this", "--root", str(root)]) == 1
    assert "nothing found" in capsys.readouterr().out


def test_stats_builds_the_graph_first_when_none_is_stored(make_repo: RepoFactory, capsys):
    root = make_repo(REPO)
    assert main(["stats", "--root", str(root), "--json"]) == 0
    captured = capsys.readouterr()
    assert "building it now" in captured.err
    assert json.loads(captured.out)["files"] == 2


def test_add_graph_commands_registers_on_any_argparse_subparsers(make_repo: RepoFactory):
    parser = argparse.ArgumentParser(prog="lynkr")
    add_graph_commands(parser.add_subparsers(dest="command"))
    root = make_repo(REPO)
    args = parser.parse_args(["graph", "build", str(root)])
    assert args.func(args) == 0
    args = parser.parse_args(["graph", "query", "callers", "helper", "--root", str(root)])
    assert args.func(args) == 0
    assert parser.parse_args(["graph", "build"]).path == "."


def test_progress_line_shows_rate_and_eta():
    line = render_progress(50, 200, 2.0, width=10)
    assert line.startswith("[##--------] 50/200 files")
    assert "25 files/s" in line and "ETA 6.0s" in line


@pytest.mark.timeout(60)
def test_python_dash_m_graph_runs_as_a_program(make_repo: RepoFactory):
    root = make_repo(REPO)
    done = subprocess.run([sys.executable, "-m", "graph", "build", str(root)],
                          capture_output=True, text=True, check=False,
                          cwd=Path(__file__).resolve().parents[2])
    assert done.returncode == 0, done.stderr
    assert "Indexed 2 files" in done.stdout
