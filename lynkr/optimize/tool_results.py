"""Tool-result compression for whole requests, with ``lynkr_expand`` for what lossy steps drop.

Agents re-send every earlier tool result on every turn, so a 5,000-token grep output costs
5,000 tokens per turn until the conversation ends. ``compress_tool_results`` rewrites the
text of each :class:`ToolResultBlock` above ``threshold_tokens``:

* JSON becomes TOON, or compact JSON when TOON is not smaller (lossless);
* recognised outputs (grep, test runs, git, listings, logs) go to their compressor in
  :mod:`lynkr.optimize.text_compressors`;
* file reads (results of a tool whose capability is reading files, or of a shell command
  that prints one file, such as ``cat f.py`` or ``sed -n '1,400p' f.ts``) are kept as they
  are below :data:`FILE_READ_LIMIT_TOKENS` in every mode, and in ``full`` mode below
  :data:`FILE_READ_BUDGET_TOKENS` (see "File reads" below);
* error results and ``lynkr_expand`` answers are only ever rewritten losslessly.

Mode ``lossless`` applies only lossless rewrites. Mode ``full`` also applies lossy ones: the
compressors' own (failures kept, passing tests dropped; head and tail of long text), and for
JSON still above the threshold after TOON, the head that fits in half the threshold.
Whatever a lossy step drops goes to the :class:`ExpandStore` under a content-hash id; each
``[… N lines omitted]`` marker then says how to fetch exactly its lines, e.g.
``[… 212 middle lines omitted — lynkr_expand id=ab12cd34ef56 offset=0 limit=212]``, and
:func:`answer_expand` (in :mod:`lynkr.optimize.expand_store`) serves them. In ``full`` mode
:data:`EXPAND_TOOL` is appended to a request that has tools, on every turn, so the tool list
(the head of the prompt-cache prefix) does not change the first time something is compressed
lossily.

**What the user asked for survives the lossy cuts.** A cut by position alone lost the one
row the user asked about ("find the secret" in a 120-row JSON). In ``full`` mode each block
gets query terms (:mod:`lynkr.optimize.compressors.query`) from the user's task and from its
own tool call's arguments (a grep pattern, the path read, the shell command), and the lines
holding them are kept in place, at most ``QUERY_LINE_CAP`` beyond what the cut keeps; the
ranges between are still marked and expandable. The task is the last prompt the user typed
*before* the block's tool call (plus any text sent with the block itself), not the newest
prompt of the conversation: for the results of the task in progress that is the same thing,
and an older result then keeps the form it was first sent in, so a new prompt does not
rewrite every earlier result and lose the provider's prompt cache from the first of them on.

**File reads.** An agent reads a file to edit it, and its Edit tool needs the exact text; a
read is also already bounded by the agent: Claude Code's Read refuses a file over 25,000
tokens (``CLAUDE_CODE_FILE_READ_MAX_OUTPUT_TOKENS``) and asks for ``offset``/``limit``, or
for ``allow_large`` when the whole file is really needed. So in ``full`` mode a read up to
:data:`FILE_READ_BUDGET_TOKENS` (that same 25,000), or any read made with ``allow_large``,
goes whole: cutting it only makes the model read it again. A bigger read (a tool with no
limit of its own) is cut to that budget at definition boundaries, each omitted range naming
the definitions it held and its line range, to read again with the agent's own tool or with
``lynkr_expand`` (:mod:`lynkr.optimize.compressors.source`). A file printed through the shell
(Claude Code's Bash, Codex's ``exec_command`` and ``shell``) is a read like any other and
goes through the same rules; its cuts name a command that prints their lines, ``sed -n
'201,890p' src/app.py`` (:mod:`lynkr.optimize.compressors.shell_read`, which also says which
commands count: one file, one path, only line-picking filters after a pipe, not data files).

Compression is deterministic (same block, same output), which keeps the prompt-cache prefix
stable across turns; results are memoised per block content in a bounded LRU
(:class:`BlockCache`) so re-sent older results cost a dictionary lookup. In ``lossless`` mode a
block's output is a function of its own text, whether it is an error, its tool's name and,
for a shell tool, whether its command prints one file (both from the earlier ``tool_use``)
alone: never of its position, the other results, the user's words, a total budget, the
store or the conversation's length, and no expand handle is offered. That
is what an upstream checking preserved thinking needs (see
:mod:`lynkr.optimize.request_optimizer`); query terms are not even computed there.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from lynkr.model import (
    Block,
    ImageBlock,
    Message,
    Request,
    TextBlock,
    ToolResultBlock,
    ToolUseBlock,
    without_system_reminders,
)
from lynkr.optimize.block_cache import BlockCache, Outcome
from lynkr.optimize.compressors.base import MARKER
from lynkr.optimize.compressors.envelope import split_envelope
from lynkr.optimize.compressors.query import arguments_text, query_terms
from lynkr.optimize.compressors.shell_read import ShellRead, shell_read
from lynkr.optimize.compressors.source import cut_source, read_tool_lines
from lynkr.optimize.expand_store import (
    EXPAND_TOOL,
    EXPAND_TOOL_NAME,
    ExpandStore,
    answer_expand,
    expand_id,
)
from lynkr.optimize.text_compressors import (
    Compressed,
    compress_json,
    compress_text,
    json_head,
)
from lynkr.optimize.tool_selection import tool_capabilities
from lynkr.tokens import count_tokens

__all__ = [
    "EXPAND_TOOL",
    "EXPAND_TOOL_NAME",
    "FILE_READ_BUDGET_TOKENS",
    "FILE_READ_LIMIT_TOKENS",
    "MODES",
    "BlockCache",
    "CompressionReport",
    "KindStats",
    "answer_expand",
    "compress_tool_results",
]

MODES = ("off", "lossless", "full")
FILE_READ_LIMIT_TOKENS = 12_000
FILE_READ_BUDGET_TOKENS = 25_000  # Claude Code's own Read limit (see module docstring)


@dataclass(frozen=True, slots=True)
class KindStats:
    """What compression did to the results of one kind (``toon``, ``grep``, ``pytest`` ...)."""

    blocks: int = 0
    tokens_before: int = 0
    tokens_after: int = 0
    lossless_blocks: int = 0
    lossy_blocks: int = 0

    def plus(self, before: int, after: int, lossless: bool) -> KindStats:
        return KindStats(self.blocks + 1, self.tokens_before + before, self.tokens_after + after,
                         self.lossless_blocks + lossless, self.lossy_blocks + (not lossless))


@dataclass(frozen=True, slots=True)
class CompressionReport:
    """The compressed request (the input is never mutated) and per-kind statistics of the
    blocks that were above the threshold."""

    request: Request
    stats: dict[str, KindStats]
    expand_ids: tuple[str, ...] = ()
    expand_offered: bool = False

    @property
    def tokens_before(self) -> int:
        return sum(s.tokens_before for s in self.stats.values())

    @property
    def tokens_after(self) -> int:
        return sum(s.tokens_after for s in self.stats.values())

    @property
    def tokens_saved(self) -> int:
        return self.tokens_before - self.tokens_after


_DEFAULT_CACHE = BlockCache()


def compress_tool_results(
    request: Request,
    mode: str,
    threshold_tokens: int,
    store: ExpandStore,
    *,
    cache: BlockCache | None = None,
) -> CompressionReport:
    """Compress the tool results of ``request`` (see module docstring); pure but for ``store``
    and ``cache``, which only remember."""
    if mode not in MODES:
        raise ValueError(f"tool result compression mode must be one of {MODES}, not {mode!r}")
    if mode == "off":
        return CompressionReport(request, {})
    cache = _DEFAULT_CACHE if cache is None else cache
    calls = _tool_uses_by_id(request.messages)
    stats: dict[str, KindStats] = {}
    ids: list[str] = []
    messages: list[Message] = []
    task = ""  # the last prompt the user typed before this message
    for message in request.messages:
        own = _typed_text(message)
        content: list[Block] = []
        changed = False
        for block in message.content:
            if isinstance(block, ToolResultBlock):
                call = calls.get(block.tool_use_id)
                context = _Context(mode, threshold_tokens, call, task, own)
                new_block = _compress_block(block, context, store, cache, stats, ids)
                changed |= new_block is not block
                content.append(new_block)
            else:
                content.append(block)
        # replace, not a new Message: what else the message carries goes through untouched.
        messages.append(dataclasses.replace(message, content=content) if changed else message)
        task = own or task

    offer = mode == "full" and bool(request.tools) and all(
        t.name != EXPAND_TOOL_NAME for t in request.tools)
    tools = [*request.tools, EXPAND_TOOL] if offer else request.tools
    new_request = dataclasses.replace(request, messages=messages, tools=tools)
    return CompressionReport(new_request, stats, tuple(dict.fromkeys(ids)), offer)


# --- one block ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """What a block's compression may depend on besides its text (see module docstring)."""

    mode: str
    threshold: int
    call: ToolUseBlock | None
    task: str
    own: str

    @property
    def tool_name(self) -> str:
        return self.call.name if self.call is not None else ""

    def terms(self) -> frozenset[str]:
        """Query terms: only in ``full`` mode, the only one with lossy cuts to steer."""
        if self.mode != "full":
            return frozenset()
        arguments = arguments_text(self.call.input) if self.call is not None else ""
        return query_terms(self.task, self.own, arguments)

    def whole_file(self) -> bool:
        """Whether the read asked for the whole file past the agent's own limit."""
        return self.call is not None and self.call.input.get("allow_large") is True

    def shell_read(self) -> ShellRead | None:
        """The file a shell command printed (``cat f.py``, ``sed -n '1,400p' f.ts``)."""
        return shell_read(self.call.name, self.call.input) if self.call is not None else None


def _compress_block(block: ToolResultBlock, context: _Context, store: ExpandStore,
                    cache: BlockCache, stats: dict[str, KindStats],
                    ids: list[str]) -> ToolResultBlock:
    mode, threshold = context.mode, context.threshold
    role = _role(block, context.tool_name)
    read = context.shell_read() if role == "other" else None
    if read is not None:
        role = "file"  # a shell command that printed one file: a file read (see above)
    new_content: list[TextBlock | ImageBlock] = []
    changed = False
    terms: frozenset[str] | None = None
    for part in block.content:
        if not isinstance(part, TextBlock) or _surely_small(part.text, threshold):
            new_content.append(part)
            continue
        if terms is None:
            terms = context.terms() if role not in ("error", "expand") else frozenset()
        whole = mode == "full" and role == "file" and context.whole_file()
        key = hashlib.blake2b(f"{mode}\0{threshold}\0{role}\0{whole}\0{read}\0".encode()
                              + "\x1f".join(sorted(terms)).encode("utf-8", "surrogatepass")
                              + b"\0" + part.text.encode("utf-8", "surrogatepass"),
                              digest_size=20).digest()
        outcome = cache.get(key)
        if outcome is None:
            outcome = _compress_text(part.text, role, mode, threshold, store, terms, whole, read)
            cache.put(key, outcome)
        if outcome is None or outcome.tokens_before <= threshold:
            new_content.append(part)
            continue
        if outcome.expand_id is not None and outcome.omitted is not None:
            store.refresh(outcome.expand_id, outcome.omitted)
            ids.append(outcome.expand_id)
        stats[outcome.kind] = stats.get(outcome.kind, KindStats()).plus(
            outcome.tokens_before, outcome.tokens_after, outcome.lossless)
        if outcome.text == part.text:
            new_content.append(part)
        else:
            new_content.append(dataclasses.replace(part, text=outcome.text))
            changed = True
    if not changed:
        return block
    return dataclasses.replace(block, content=new_content)


def _compress_text(text: str, role: str, mode: str, threshold: int, store: ExpandStore,
                   terms: frozenset[str] = frozenset(), whole: bool = False,
                   read: ShellRead | None = None) -> Outcome:
    status, output = split_envelope(text)
    if status:  # Codex's status lines: compress the output alone, put them back in front
        inner = _compress_text(output, role, mode, threshold, store, terms, whole, read)
        extra = count_tokens(status)
        return dataclasses.replace(inner, text=status + inner.text,
                                   tokens_before=inner.tokens_before + extra,
                                   tokens_after=inner.tokens_after + extra)
    before = count_tokens(text)
    if before <= threshold:
        return Outcome(text, "small", True, before, before)
    lossy = mode == "full" and role not in ("error", "expand")
    if role == "file" and (before <= FILE_READ_LIMIT_TOKENS or lossy and (
            whole or before <= FILE_READ_BUDGET_TOKENS)):
        return Outcome(text, "file", True, before, before)
    if role == "file" and lossy:
        locate = read.locator(text) if read is not None else read_tool_lines
        result = cut_source(text, FILE_READ_BUDGET_TOKENS, terms, locate)
    else:
        result = compress_text(text, lossy=lossy, query=terms if lossy else frozenset())
    if lossy and result.lossless and result.kind in ("toon", "json") and (
            count_tokens(result.text) > threshold):
        # The head shows a few rows: plain TOON reads on its own there, and stating shared
        # affixes once would not pay for so few rows.
        result = json_head(compress_json(text, factored=False) or result, threshold, terms)
    if not result.lossless and (result.omitted is None or not store.fits(result.omitted)):
        result = compress_text(text, lossy=False)
    if not result.lossless and result.omitted is not None:
        key = expand_id(result.omitted)
        rendered = _point_markers_at(result, key)
        after = count_tokens(rendered)
        if after < before:
            store.put(result.omitted)
            return Outcome(rendered, result.kind, False, before, after, result.omitted, key)
        # Dropping lines and pointing at them cost more than it saved (a short git status):
        # the lossless form, which is never bigger, goes instead.
        result = compress_text(text, lossy=False)
    return Outcome(result.text, result.kind, True, before, count_tokens(result.text))


def _point_markers_at(result: Compressed, key: str) -> str:
    """Tell the model, at each omission marker, how to fetch exactly its lines; when the
    markers do not account for every omitted line, one closing line points at them all."""
    assert result.omitted is not None
    lines = result.text.split("\n")
    marks = [(i, int(m.group(1))) for i, line in enumerate(lines) if (m := MARKER.match(line))]
    omitted_lines = result.omitted.count("\n") + 1
    if marks and sum(count for _, count in marks) == omitted_lines:
        offset = 0
        for i, count in marks:
            lines[i] = (f"{lines[i][:-1]} — {EXPAND_TOOL_NAME} id={key} offset={offset} "
                        f"limit={count}]")
            offset += count
        return "\n".join(lines)
    noun = "line" if omitted_lines == 1 else "lines"
    return (f"{result.text}\n[… {omitted_lines} original {noun} not shown verbatim — full "
            f"text: {EXPAND_TOOL_NAME} id={key}]")


# --- helpers --------------------------------------------------------------------------------


def _role(block: ToolResultBlock, tool_name: str) -> str:
    if tool_name == EXPAND_TOOL_NAME:
        return "expand"
    if block.is_error:
        return "error"
    caps = tool_capabilities(tool_name) if tool_name else frozenset()
    listing = tool_name.lower() == "ls" or "list" in tool_name.lower()
    return "file" if caps in ({"read"}, {"notebook"}) and not listing else "other"


def _surely_small(text: str, threshold: int) -> bool:
    # A token is at least one UTF-8 byte, so a text of at most `threshold` bytes is small
    # without being tokenised; most tool results are decided here.
    return len(text) * 4 <= threshold or len(text.encode("utf-8", "surrogatepass")) <= threshold


def _tool_uses_by_id(messages: Iterable[Message]) -> dict[str, ToolUseBlock]:
    return {block.id: block for message in messages for block in message.content
            if isinstance(block, ToolUseBlock)}


def _typed_text(message: Message) -> str:
    """What the user typed in ``message`` (its text blocks without client-injected
    ``<system-reminder>`` context); "" for other roles."""
    if message.role != "user":
        return ""
    text = "\n".join(b.text for b in message.content if isinstance(b, TextBlock))
    return without_system_reminders(text).strip()
