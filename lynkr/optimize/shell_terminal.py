"""What a shell's line editor makes of characters typed into it (pure).

Codex's ``write_stdin`` tool writes characters into an interactive session its
``exec_command`` started, most often a shell: ``"rm -rf /\\n"`` written there runs like that
command line, and ``"rmm\\x7f -rf /\\r"`` does too, since the terminal applies the backspace
first. So typed text is replayed through the editing keys that readline and the terminal
share (backspace, Ctrl-U/K/W, Ctrl-A/E/B/F, arrows, Home/End, Delete, Ctrl-C) into the lines
the shell would receive, and those are checked as a command line.

The line still being typed is kept as well: it runs when a later write presses Enter, and a
later write is checked on its own. History recall (up/down) brings back a line that was
checked when it was first typed, so it counts as an empty line here.
"""

from __future__ import annotations

import re

# CSI (ESC [ ... final), SS3 (ESC O x), OSC (ESC ] ... BEL or ESC \), any other ESC x.
_ESCAPE = re.compile(r"\x1b(?:\[([0-9;?]*)([ -/]*[@-~])|O(.)|\][^\x07\x1b]*(?:\x07|\x1b\\)?|.)?",
                     re.DOTALL)
# CSI / SS3 finals that move the cursor or edit: left, right, home, end, up, down.
_MOVES = {"D": "left", "C": "right", "H": "home", "F": "end", "A": "recall", "B": "recall"}
_CONTROLS = {"\x01": "home", "\x05": "end", "\x02": "left", "\x06": "right",
             "\x7f": "backspace", "\x08": "backspace", "\x15": "kill-before",
             "\x0b": "kill-after", "\x17": "kill-word", "\x03": "cancel", "\x04": "delete",
             "\x10": "recall", "\x0e": "recall"}


def typed_lines(chars: str) -> str:
    """The lines a shell receives when ``chars`` are typed at its prompt, one per line."""
    lines: list[str] = []
    line: list[str] = []
    cursor = 0
    for key in _keys(chars):
        if key in ("\n", "\r"):
            lines.append("".join(line))
            line, cursor = [], 0
        elif len(key) == 1 and (key >= " " or key == "\t"):
            line.insert(cursor, key)
            cursor += 1
        else:
            line, cursor = _edit(key, line, cursor)
    lines.append("".join(line))
    return "\n".join(text for text in lines if text.strip())


def _keys(chars: str) -> list[str]:
    """Typed characters with control characters and escape sequences read as the editing
    keys they are (an unknown sequence is a key that does nothing)."""
    keys: list[str] = []
    position = 0
    for match in _ESCAPE.finditer(chars):
        keys += [_CONTROLS.get(c, c) for c in chars[position:match.start()]]
        position = match.end()
        params, final = match.group(1), match.group(2) or match.group(3) or ""
        if final == "~":
            keys.append({"3": "delete", "1": "home", "7": "home", "4": "end",
                         "8": "end"}.get(params, "none"))
        else:
            keys.append(_MOVES.get(final, "none"))
    keys += [_CONTROLS.get(c, c) for c in chars[position:]]
    return keys


def _edit(key: str, line: list[str], cursor: int) -> tuple[list[str], int]:
    """One editing key applied to the line being typed; unknown control keys do nothing."""
    if key == "backspace" and cursor:
        return line[:cursor - 1] + line[cursor:], cursor - 1
    if key == "delete":
        return line[:cursor] + line[cursor + 1:], cursor
    if key == "left":
        return line, max(0, cursor - 1)
    if key == "right":
        return line, min(len(line), cursor + 1)
    if key == "home":
        return line, 0
    if key == "end":
        return line, len(line)
    if key == "kill-before":
        return line[cursor:], 0
    if key == "kill-after":
        return line[:cursor], cursor
    if key == "kill-word":
        start = cursor
        while start and line[start - 1] == " ":
            start -= 1
        while start and line[start - 1] != " ":
            start -= 1
        return line[:start] + line[cursor:], start
    if key in ("cancel", "recall"):
        return [], 0
    return line, cursor
