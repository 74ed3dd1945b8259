"""The paths an agent's file-editing tool call writes to (pure), for the safe-commands policy.

A shell command that writes outside the workspace is refused; the same write through the
agent's own editing tool went through (Codex's ``apply_patch`` with ``*** Add File: /var/x``,
Claude Code's ``Write`` to ``/etc/...``). The tools, from their definitions (matched
lower-cased), and where each carries its paths:

* Claude Code ``Write`` / ``Edit`` / ``MultiEdit`` (``file_path``), ``NotebookEdit``
  (``notebook_path``); Gemini CLI ``write_file`` / ``replace`` (``file_path``); opencode
  ``write`` / ``edit`` (``filePath``); Cursor ``edit_file`` (``target_file``); Cline and Roo
  Code ``write_to_file`` / ``replace_in_file`` (``path``).
* Codex ``apply_patch``: a patch whose ``*** Add File:``, ``*** Update File:``,
  ``*** Delete File:`` and ``*** Move to:`` lines name the files (the patch is the custom
  tool's raw input, which reaches lynkr as ``input``, or the function form's ``input`` /
  ``patch``).
"""

from __future__ import annotations

import re

PATCH_TOOL = "apply_patch"
_PATH_ARGUMENTS = {
    "write": ("file_path", "filePath"), "edit": ("file_path", "filePath"),
    "multiedit": ("file_path",), "notebookedit": ("notebook_path",),
    "write_file": ("file_path", "path"), "replace": ("file_path",),
    "edit_file": ("target_file",), "write_to_file": ("path",), "replace_in_file": ("path",),
}
FILE_WRITE_TOOLS = frozenset({*_PATH_ARGUMENTS, PATCH_TOOL})
_PATCH_PATH = re.compile(r"^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+?)\s*$",
                         re.MULTILINE)


def is_file_write_tool(name: str) -> bool:
    return name.lower() in FILE_WRITE_TOOLS


def written_paths(name: str, arguments: dict[str, object]) -> list[str]:
    """The paths the call of tool ``name`` with ``arguments`` writes, as the model wrote
    them; empty when the tool is not an editing tool or names none."""
    tool = name.lower()
    if tool == PATCH_TOOL:
        patch = next((v for k in ("input", "patch") if isinstance(v := arguments.get(k), str)),
                     "")
        return _PATCH_PATH.findall(patch)
    for key in _PATH_ARGUMENTS.get(tool, ()):
        if isinstance(path := arguments.get(key), str) and path:
            return [path]
    return []
