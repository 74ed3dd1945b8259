"""Properties of shell file reads, checked against the real commands: where a recognised
command's output starts in the file is what the tools really print, a re-read prints exactly
the lines it names, and no text makes the recogniser fail."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lynkr.optimize.compressors.shell_read import parse_read_command

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])
LINES = 120
PREFIX = re.compile(r"^ *\d+\t")


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reads")
    body = [f"line {n}" if n % 7 else "" for n in range(1, LINES + 1)]  # blank lines too
    (root / "mod.py").write_text("\n".join(body) + "\n")
    return root


def run(command: str, cwd: Path) -> list[str]:
    done = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True,
                          check=True)
    return done.stdout.split("\n")[:-1]


numbers = st.integers(1, LINES + 10)
printers = st.one_of(
    st.sampled_from(["cat mod.py", "cat -n mod.py", "nl -ba mod.py"]),
    st.builds("sed -n '{},{}p' mod.py".format, numbers, numbers),
    st.builds("sed -n '{},$p' mod.py".format, numbers),
    st.builds("head -n {} mod.py".format, numbers),
    st.builds("tail -n +{} mod.py".format, numbers),
)
filters = st.lists(st.one_of(
    st.builds("sed -n '{},{}p'".format, numbers, numbers),
    st.builds("head -n {}".format, numbers),
    st.builds("tail -n +{}".format, numbers),
    st.just("cat -n"),
), max_size=2)


@SETTINGS
@given(printers, filters, st.booleans())
def test_each_output_line_is_the_file_line_the_read_says(
        project: Path, printer: str, then: list[str], wrapped: bool) -> None:
    command = " | ".join([printer, *then])
    if sum("-n mod" in c or "nl " in c or c == "cat -n" for c in [printer, *then]) > 1:
        assert parse_read_command(command) is None  # numbered twice
        return
    if wrapped:  # as Codex's shell tool runs it
        command = f"bash -lc {shlex.quote(command)}"
    read = parse_read_command(command)
    assert read is not None and read.path == "mod.py" and read.skip is not None
    file_lines = (project / "mod.py").read_text().split("\n")
    for i, line in enumerate(run(command, project)):
        assert PREFIX.sub("", line, count=1) == file_lines[read.skip + i]


@SETTINGS
@given(st.integers(1, LINES), st.integers(0, 30), st.booleans())
def test_a_re_read_prints_exactly_the_lines_it_names(
        project: Path, first: int, more: int, numbered: bool) -> None:
    read = parse_read_command("nl -ba mod.py" if numbered else "cat mod.py")
    assert read is not None
    last = min(LINES, first + more)
    whole = run("nl -ba mod.py" if numbered else "cat mod.py", project)
    assert run(read.again(first, last), project) == whole[first - 1:last]


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("catsednlhi -|'\"$;&<>()*.pyn0123456789+\\\n")),
               max_size=40))
def test_no_command_line_makes_the_recogniser_fail(command: str) -> None:
    read = parse_read_command(command)
    assert read is None or (read.path and "\n" not in read.command)
