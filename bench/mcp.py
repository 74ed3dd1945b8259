"""Benchmark: lynkr mcp's token savings, and Code Mode's schema savings, on real servers.

1. Schemas: every tool of npm's server-filesystem, server-memory, server-everything and of
   lynkr mcp itself, as a client sends them to the model (JSON tool list), against Code
   Mode's four meta-tools. Target: >= 90% fewer schema tokens. Plus a scripted task through
   Code Mode (find a tool, call it, select a field).
2. Tools on the Python standard library (read-only): grep of a common identifier vs
   ``grep -rn``, read of a large module vs ``cat``, and a failing run_tests vs the raw pytest
   output of a temp project. Target: >= 50% fewer tokens each.

Run: ``uv run python bench/mcp.py``. Prints a table and writes bench/results/mcp.json.
npm packages go to ~/.cache/lynkr/mcp-bench (the Code Mode tests look there too); when npm
fails, the npm servers are skipped with a note.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder is sys.path[0] and "mcp.py" would shadow the mcp SDK.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

import json  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import sysconfig  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
from typing import Any  # noqa: E402

import anyio  # noqa: E402
from mcp import Client, StdioServerParameters  # noqa: E402

from lynkr.optimize.toon import decode  # noqa: E402
from lynkr.tokens import count_tokens  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
NPM_CACHE = Path.home() / ".cache" / "lynkr" / "mcp-bench"
NPM_PACKAGES = ("server-filesystem", "server-memory", "server-everything")
META_TOOLS = ("search_tools", "describe_tool", "call_tool", "list_servers")
LYNKR = [sys.executable, "-m", "mcp_servers", "mcp"]


def install_npm_servers() -> tuple[dict[str, Path], str]:
    """The npm servers' entry scripts, installing them into the cache dir when missing."""
    base = NPM_CACHE / "node_modules" / "@modelcontextprotocol"
    missing = [p for p in NPM_PACKAGES if not (base / p / "dist" / "index.js").is_file()]
    note = ""
    if missing and shutil.which("npm"):
        NPM_CACHE.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            ["npm", "install", "--prefix", str(NPM_CACHE), "--no-audit", "--no-fund",
             *(f"@modelcontextprotocol/{p}" for p in missing)],
            capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            note = f"npm install failed: {proc.stderr.strip()[-300:]}"
    elif missing:
        note = "npm not installed"
    found = {p: base / p / "dist" / "index.js" for p in NPM_PACKAGES
             if (base / p / "dist" / "index.js").is_file()}
    if len(found) < len(NPM_PACKAGES) and not note:
        note = "some npm servers missing"
    return found, note


def server_entries(npm: dict[str, Path], scratch: Path, root: Path) -> dict[str, dict[str, Any]]:
    """``mcpServers`` entries for every server measured."""
    entries: dict[str, dict[str, Any]] = {}
    if "server-filesystem" in npm:
        entries["filesystem"] = {"command": "node",
                                 "args": [str(npm["server-filesystem"]), str(scratch)]}
    if "server-memory" in npm:
        entries["memory"] = {"command": "node", "args": [str(npm["server-memory"])],
                             "env": {"MEMORY_FILE_PATH": str(scratch / "memory.jsonl")}}
    if "server-everything" in npm:
        entries["everything"] = {"command": "node",
                                 "args": [str(npm["server-everything"]), "stdio"]}
    entries["lynkr"] = {"command": LYNKR[0], "args": [*LYNKR[1:], "--root", str(root)],
                        "cwd": str(REPO)}
    return entries


def params(entry: dict[str, Any]) -> StdioServerParameters:
    return StdioServerParameters(command=entry["command"], args=entry["args"],
                                 env=entry.get("env"), cwd=entry.get("cwd"))


def schema_json(tools: list[Any]) -> str:
    """The tool list as a client sends it to the model (Anthropic ``tools`` shape)."""
    return json.dumps([{"name": t.name, "description": t.description or "",
                        "input_schema": t.input_schema} for t in tools])


async def measure_schemas(entries: dict[str, dict[str, Any]], config: Path,
                          root: Path) -> dict[str, Any]:
    per_server: dict[str, dict[str, int]] = {}
    direct_tools: list[Any] = []
    for name, entry in entries.items():
        async with Client(params(entry), mode="legacy") as client:
            tools = (await client.list_tools()).tools
        direct_tools += tools
        per_server[name] = {"tools": len(tools), "tokens": count_tokens(schema_json(tools))}
    direct = count_tokens(schema_json(direct_tools))
    code_mode = params({"command": LYNKR[0], "cwd": str(REPO),
                        "args": [*LYNKR[1:], "--root", str(root), "--code-mode",
                                 "--config", str(config)]})
    async with Client(code_mode) as client:
        served = (await client.list_tools()).tools
        task = await scripted_task(client)
    meta = [t for t in served if t.name in META_TOOLS]
    meta_tokens = count_tokens(schema_json(meta))
    served_tokens = count_tokens(schema_json(served))
    return {
        "servers": per_server, "direct_tools": len(direct_tools), "direct_tokens": direct,
        "meta_tools_tokens": meta_tokens,
        "saving_meta_only": round(1 - meta_tokens / direct, 4),
        "meta_plus_lynkr_direct_tokens": served_tokens,
        "saving_meta_plus_lynkr": round(1 - served_tokens / direct, 4),
        "task": task,
    }


async def scripted_task(client: Client) -> dict[str, Any]:
    """Find a tool by words, call it, keep one field: the Code Mode loop an agent runs."""
    def text(result: Any) -> str:
        return "".join(getattr(b, "text", "") for b in result.content)

    steps: list[dict[str, Any]] = []
    found = await client.call_tool("search_tools", {"query": "add two numbers"})
    best = decode(text(found))["tools"][0]["name"] if not found.is_error else ""
    steps.append({"step": "search_tools", "top": best})
    described = await client.call_tool("describe_tool", {"name": best})
    steps.append({"step": "describe_tool", "ok": not described.is_error})
    summed = await client.call_tool("call_tool", {"name": best, "arguments": {"a": 19, "b": 23}})
    steps.append({"step": "call_tool", "answer": text(summed)})
    memory = await client.call_tool("search_tools", {"query": "create entities knowledge graph"})
    create = decode(text(memory))["tools"][0]["name"] if not memory.is_error else ""
    await client.call_tool("call_tool", {"name": create, "arguments": {"entities": [
        {"name": "lynkr", "entityType": "project", "observations": ["saves tokens"]}]}})
    selected = await client.call_tool("call_tool", {"name": "memory.read_graph",
                                                    "select": "entities[].name"})
    steps.append({"step": "call_tool+select", "tool": "memory.read_graph",
                  "select": "entities[].name", "answer": text(selected),
                  "raw_tokens": (selected.structured_content or {}).get("raw_tokens"),
                  "sent_tokens": (selected.structured_content or {}).get("sent_tokens")})
    ok = "42" in steps[2]["answer"] and "lynkr" in text(selected)
    return {"ok": ok, "steps": steps}


def failing_project(base: Path) -> Path:
    """A temp project with 60 passing and 3 failing pytest tests."""
    project = base / "proj"
    (project / "tests").mkdir(parents=True)
    (project / "pyproject.toml").write_text("[tool.pytest.ini_options]\n")
    (project / "calc.py").write_text(textwrap.dedent('''\
        def mean(values):
            return sum(values) / len(values)


        def parse_ratio(text):
            left, right = text.split(":")
            return int(left) / int(right)
        '''))
    passing = "\n\n".join(f"def test_mean_of_constant_{i}():\n    assert mean([{i}] * 3) == {i}"
                          for i in range(60))
    failing = textwrap.dedent('''\


        def test_mean_of_empty_list_is_zero():
            assert mean([]) == 0


        def test_ratio_accepts_a_slash():
            assert parse_ratio("1/2") == 0.5


        def test_mean_rounds():
            assert mean([1, 2]) == 2
        ''')
    (project / "tests" / "test_calc.py").write_text(
        "import sys\nsys.path.insert(0, '.')\nfrom calc import mean, parse_ratio\n\n\n"
        + passing + failing)
    return project


async def call(root: Path, tool: str, arguments: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    async with Client(params({"command": LYNKR[0], "cwd": str(REPO),
                              "args": [*LYNKR[1:], "--root", str(root)]})) as client:
        result = await client.call_tool(tool, arguments)
    text = "".join(getattr(b, "text", "") for b in result.content)
    if result.is_error:
        raise RuntimeError(f"{tool} failed: {text}")
    return text, result.structured_content or {}


def matched_lines_floor(raw: str) -> int:
    """Tokens of each file's distinct matched lines (indentation stripped) and of their line
    numbers, comma-joined: a lower bound for any per-file listing that shows every match of
    ``raw`` (``grep -rn`` output); only merging lines across files could go below it."""
    per_file: dict[str, dict[str, list[str]]] = {}
    for line in raw.splitlines():
        path, number, text = line.split(":", 2)
        per_file.setdefault(path, {}).setdefault(text.strip(), []).append(number)
    return sum(count_tokens(text) + count_tokens(",".join(numbers))
               for rows in per_file.values() for text, numbers in rows.items())


async def measure_tools(scratch: Path) -> list[dict[str, Any]]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    rows: list[dict[str, Any]] = []
    # grep: the raw equivalent is grep -rn over the same .py files.
    pattern, where = "loop", "asyncio"
    raw = subprocess.run(["grep", "-rn", "--include=*.py", pattern, where], cwd=stdlib,
                         capture_output=True, text=True).stdout
    # A per-file listing of every match costs at least each file's distinct lines plus their
    # line numbers (what is left to cut is newlines, separators and file names).
    floor = matched_lines_floor(raw)
    for label, limit in (("grep (first page)", 100), ("grep (all matches)", 10_000)):
        text, meta = await call(stdlib, "grep", {"pattern": pattern, "path": where,
                                                 "limit": limit})
        rows.append({"case": label, "detail": f"{pattern} in stdlib/{where}: "
                     f"{meta.get('matches')} matches, {meta.get('shown')} shown",
                     "raw": count_tokens(raw), "sent": count_tokens(text)})
    files = len({line.split(":", 1)[0] for line in raw.splitlines()})
    rows[-1]["detail"] += (f"; each file's distinct lines and their numbers alone are {floor} "
                           f"tokens (at most {1 - floor / count_tokens(raw):.1%} saved showing "
                           f"every match); {rows[-1]['sent'] - floor} tokens above that go to "
                           f"newlines and {files} file headers")
    module = "typing.py"
    raw = subprocess.run(["cat", module], cwd=stdlib, capture_output=True, text=True).stdout
    text, meta = await call(stdlib, "read", {"path": module})
    rows.append({"case": "read (large module)", "detail": f"stdlib/{module}, "
                 f"{meta.get('lines')} lines -> outline + head", "raw": count_tokens(raw),
                 "sent": count_tokens(text)})
    text, _ = await call(stdlib, "read", {"path": module, "symbol": "NewType"})
    rows.append({"case": "read (one symbol)", "detail": f"stdlib/{module} symbol=NewType",
                 "raw": count_tokens(raw), "sent": count_tokens(text)})
    project = failing_project(scratch)
    raw = subprocess.run([sys.executable, "-m", "pytest"], cwd=project, capture_output=True,
                         text=True).stdout
    text, meta = await call(project, "run_tests", {"timeout": 120})
    rows.append({"case": "run_tests (3 of 63 fail)", "detail": "pytest, temp project",
                 "raw": count_tokens(raw), "sent": count_tokens(text)})
    for row in rows:
        row["saving"] = round(1 - row["sent"] / row["raw"], 4) if row["raw"] else 0.0
    return rows


def main() -> int:
    npm, note = install_npm_servers()
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp)
        (scratch / "files").mkdir()
        (scratch / "files" / "hello.txt").write_text("hello\n")
        root = REPO
        entries = server_entries(npm, scratch / "files", root)
        config = scratch / "servers.json"
        config.write_text(json.dumps({"mcpServers": entries}))
        schemas = anyio.run(measure_schemas, entries, config, root) if len(entries) > 1 else {}
        tools = anyio.run(measure_tools, scratch)
    print("\nSchema tokens (o200k) of every tool, loaded directly vs Code Mode")
    print(f"{'server':<14}{'tools':>7}{'tokens':>9}")
    for name, row in schemas.get("servers", {}).items():
        print(f"{name:<14}{row['tools']:>7}{row['tokens']:>9}")
    if schemas:
        print(f"{'all direct':<14}{schemas['direct_tools']:>7}{schemas['direct_tokens']:>9}")
        print(f"{'code mode (4)':<14}{4:>7}{schemas['meta_tools_tokens']:>9}"
              f"   saving {schemas['saving_meta_only']:.1%} (target >= 90%)")
        print(f"{'4 + lynkr':<14}{'':>7}{schemas['meta_plus_lynkr_direct_tokens']:>9}"
              f"   saving {schemas['saving_meta_plus_lynkr']:.1%} (lynkr tools served too)")
        print(f"scripted task through Code Mode: {'ok' if schemas['task']['ok'] else 'FAILED'}")
    if note:
        print(f"note: {note}")
    print("\nTool output tokens vs the raw equivalent (target >= 50% fewer)")
    print(f"{'case':<26}{'raw':>8}{'sent':>8}{'saving':>9}  detail")
    for row in tools:
        print(f"{row['case']:<26}{row['raw']:>8}{row['sent']:>8}{row['saving']:>9.1%}  "
              f"{row['detail']}")
    out = REPO / "bench" / "results" / "mcp.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"schemas": schemas, "tools": tools, "note": note}, indent=2))
    print(f"\nwrote {out.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
