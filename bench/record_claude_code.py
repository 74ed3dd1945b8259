"""Record the first request the real Claude Code CLI sends, for bench/compression.py.

Claude Code's system prompt and tool descriptions are Anthropic's text, so they are recorded
on the machine that runs the benchmark instead of being committed (the output files are
gitignored). This script installs nothing: it uses the ``claude`` binary given by
``--claude``, else the one on PATH, else ``../tools/node_modules/.bin/claude``, and skips
with a message when there is none.

For each case it makes a temporary project (and a temporary HOME), starts a fake Anthropic
upstream on loopback that records every request and answers with a short text, and runs
``claude -p PROMPT`` against it offline. The first ``/v1/messages`` body that carries tools is
written to bench/data/compression/claude_code_first_turn_<case>.json.

Cases
  readonly  "What does the README say about installation?" in a project with a README.md
  edit      "Edit the config file to set DEBUG=true" in a project with a config.ini

Run: ``uv run python bench/record_claude_code.py [--claude PATH]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from lynkr.tokens import count_tokens  # noqa: E402
from tests.fakes.server import serve  # noqa: E402
from tests.fakes.upstream import FakeUpstream, Reply  # noqa: E402

DATA = HERE / "data" / "compression"
TIMEOUT_S = 90


@dataclass(frozen=True)
class Case:
    name: str
    prompt: str
    files: dict[str, str]


CASES = (
    Case("readonly", "What does the README say about installation?", {
        "README.md": "# demo\n\n## Installation\n\nRun `pip install demo`, then `demo init`.\n",
        "demo.py": "def main() -> None:\n    print('demo')\n",
    }),
    Case("edit", "Edit the config file to set DEBUG=true", {
        "config.ini": "[app]\nDEBUG=false\nWORKERS=4\n",
        "app.py": "import configparser\n\nCONFIG = configparser.ConfigParser()\n",
    }),
)


def find_claude(explicit: str | None) -> Path | None:
    """The Claude Code binary: ``--claude``, else PATH, else the tools folder beside the repo."""
    candidates = [explicit] if explicit else [
        shutil.which("claude"), str(REPO.parent / "tools" / "node_modules" / ".bin" / "claude")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return Path(candidate)
    return None


def record(claude: Path, case: Case) -> dict[str, Any] | None:
    """Run Claude Code once for ``case``; return the first request body that has tools."""
    fake = FakeUpstream(default=Reply(text="The README says to install with pip."))
    with serve(fake.app) as url, tempfile.TemporaryDirectory() as project, \
            tempfile.TemporaryDirectory() as home:
        for name, text in case.files.items():
            Path(project, name).write_text(text)
        env = {"PATH": os.environ.get("PATH", ""), "HOME": home, "ANTHROPIC_BASE_URL": url,
               "ANTHROPIC_API_KEY": "sk-ant-fake",
               "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1"}
        try:
            done = subprocess.run([str(claude), "-p", case.prompt], cwd=project, env=env,
                                  capture_output=True, text=True, timeout=TIMEOUT_S,
                                  check=False)
            if done.returncode != 0:
                print(f"  claude exited {done.returncode}: {done.stderr.strip()[:300]}")
        except subprocess.TimeoutExpired:
            print(f"  claude did not finish within {TIMEOUT_S} s; using what it sent")
    for received in fake.received:
        if received.path == "/v1/messages" and received.body.get("tools"):
            return received.body
    return None


def describe(body: dict[str, Any]) -> str:
    def tokens(key: str) -> int:
        return count_tokens(json.dumps(body.get(key, []), ensure_ascii=False,
                                       separators=(",", ":")))

    names = [t.get("name", "?") for t in body["tools"]]
    return (f"{len(json.dumps(body)):,} bytes, model {body.get('model')}, "
            f"{len(body.get('messages', []))} messages; o200k tokens: system {tokens('system')}, "
            f"messages {tokens('messages')}, tools {tokens('tools')}\n"
            f"  {len(names)} tools: {', '.join(names)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claude", help="path to the Claude Code binary")
    args = parser.parse_args()
    claude = find_claude(args.claude)
    if claude is None:
        print("skipped: no Claude Code binary found (give --claude PATH, put `claude` on PATH, "
              "or `npm install @anthropic-ai/claude-code` into ../tools)")
        return 0
    version = subprocess.run([str(claude), "--version"], capture_output=True, text=True,
                             timeout=30, check=False).stdout.strip()
    print(f"recording with {claude} ({version or 'version unknown'})")
    DATA.mkdir(parents=True, exist_ok=True)
    failed = 0
    for case in CASES:
        print(f"{case.name}: {case.prompt!r}")
        body = record(claude, case)
        if body is None:
            print("  no request with tools was received")
            failed += 1
            continue
        out = DATA / f"claude_code_first_turn_{case.name}.json"
        out.write_text(json.dumps(body, indent=1, ensure_ascii=False) + "\n")
        print(f"  wrote {out.relative_to(REPO)}: {describe(body)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
