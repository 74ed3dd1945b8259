"""Scope and change-size rules: how much of the code a request asks to change, and how.

These separate the middle of the scale, which weighted keyword counts blur most: a SIMPLE
one-spot edit the user fully specified ("set `DEBUG = False`", "timeout from 30 to 60"), a
MEDIUM change to one unit described by its behaviour ("close the modal on Escape", "cache
`get_rates` for 5 minutes"), and COMPLEX work whose breadth is named ("every endpoint",
"the whole app", a Grep that found 31 files). Each rule is pure over
:class:`~lynkr.routing.features.Features` and returns ``(value, reason)``:

- ``change_request``: the task (or a clause of it) is an imperative asking for a change,
  after fillers such as "ok", "now", "also", "please", "can you" → 1; a described failure
  ("returns a 500", "crashes", an exception name) is an implicit fix request → 0.8;
  explaining a pasted snippet of 10+ lines, or a named file ("read retry.ts and explain how it
  works"), counts as one unit of work → 0.8.
- ``scope``: 0.6 per breadth marker ("everywhere", "all public API endpoints", "the whole
  test suite", "across services", a file of thousands of lines), 0.6 when the user counts 3+
  units, and 0.6 / 1 when recent search results (Glob, Grep, rg, find) list 5+ / 15+ files:
  the agent measured the breadth.
- ``visible_failure`` (negative weight): a fix asked with its one failure in view (a pasted
  trace, a single failing run), nothing intermittent or repeated → 1.
- ``mechanical`` (negative weight): 0.5 per lookup question form ("how do I", "what does") or
  mechanical-edit marker (typo, rename, bump, whitespace, sorting keys, log level, "thanks").
- ``specified_edit`` (negative weight): 0.7 per cue that the user already gave the literal
  change: "from 30 to 60", "'A' -> 'B'", "= False", "on line 42", a quoted string to put in,
  formatting-only words (indentation, tabs to spaces, wrapping a line, trailing newline,
  (un)comment, unused/missing import), a literal import statement to add.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from lynkr.routing.patterns import distinct as _distinct
from lynkr.routing.patterns import rx as _rx

if TYPE_CHECKING:
    from lynkr.routing.features import Features






# --- change request -------------------------------------------------------------------------

_FILLER = (r"(?:(?:ok(?:ay)?|yes|yeah|sure|great|cool|alright|thanks|now|also|and|then|so|"
           r"please|pls|next|finally|perfect|nice|good|lgtm|looks good|go ahead|"
           r"(?:can|could|would) you(?: please)?|i (?:want|need) you to|let'?s)[,:!.]?\s+)*")
_CHANGE_VERBS = (
    r"add|make|cache|handle|write|create|implement|build|fix|change|update|modify|convert|"
    r"replace|remove|delete|rename|move|split|extract|refactor|support|use|switch|wrap|return|"
    r"throw|validate|sort|filter|paginate|log|retry|limit|allow|prevent|skip|show|hide|"
    r"display|render|store|save|load|parse|format|generate|migrate|port|upgrade|bump|set|"
    r"enable|disable|expose|document|cover|optimi[sz]e|speed up|stream|batch|deploy|translate|"
    r"uncomment|comment out|clean up|do|process|accept|reject|send|emit|persist|close|drop|"
    r"merge|inline|memoi[sz]e|debounce|throttle|apply|honou?r|protect|encrypt|hash|sanitize|"
    r"escape|normali[sz]e|reformat|mock|stub|introduce|include|exclude|ignore|lower|raise|"
    r"increase|decrease|reduce|avoid|keep|put|turn|wire|hook up|integrate|schedule|queue|"
    r"notify|email|alert|redirect|rewrite|adapt|tweak|adjust|extend|fill|pass|check|guard|"
    r"sync|export|import|install|configure|set up|bring|get rid of|clear|reset|rotate|revoke|"
    r"go through|lazy-load|protect|secure|harden")
_CHANGE = _rx(rf"(?:^|[.;!?\n]\s*|,\s+(?:and |also |then |plus )?|\b(?:and|plus|also)\s+)"
              rf"{_FILLER}\b({_CHANGE_VERBS})\b")
# A failure the user describes is a request to fix it.
_FAILURE = _rx(r"\breturns? (?:an? )?(?:5\d\d|4\d\d|500|error|null|undefined|nan|none|wrong|"
               r"empty|the same)\b|\bcrash(?:es|ed|ing)?\b|\bthrows?\b|\bfails? (?:with|on|when)\b|"
               r"\b\w*(?:error|exception)\b: |\bhangs?\b|\bbreaks? when\b|\bis (?:wrong|broken)\b|"
               r"\bsays \S+ is (?:invalid|wrong)\b|\bdoesn'?t (?:close|work|save|load|show|update|"
               r"render|compile|build)\b|\bkeeps? (?:running|failing|crashing)\b")
# "read src/lib/retry.ts and explain how it works": a whole file to explain (rubric: MEDIUM).
_EXPLAIN_MODULE = _rx(r"\bexplain (?:how|what|the|this|it)\b|\bwalk me through\b|"
                      r"\bhow (?:does|do) (?:it|this|the \w+) work\b")
_EXPLAIN = _rx(r"\bexplain\b|\bwhat (?:does|is) (?:this|that|the following)\b|"
               r"\bwalk me through\b|\bhow does (?:this|that)\b|\bwhy (?:does|is) (?:this|my)\b")


def asks_change(task: str) -> bool:
    """Whether some clause of ``task`` is an imperative asking for a change."""
    return _CHANGE.search(task) is not None


def imperative_clauses(task: str) -> int:
    """Distinct change verbs opening clauses: "split the bundle, lazy-load the routes, move
    moment.js to date-fns" asks for three deliverables."""
    return len({m.group(1) for m in _CHANGE.finditer(task)})


def change_request(f: Features) -> tuple[float, str]:
    verbs = [m.group(1) for m in _CHANGE.finditer(f.task)]
    if verbs:
        return 1.0, f"asks for a change: {', '.join(dict.fromkeys(verbs[:3]))}"
    failure = _FAILURE.search(f.task)
    if failure:
        return 0.8, f"describes a failure: {failure.group(0).strip()}"
    code_lines = _fenced_lines(f.task_code)
    if code_lines >= 10 and _EXPLAIN.search(f.task):
        return 0.8, f"explain {code_lines} lines of code"
    if f.files and not code_lines and _EXPLAIN_MODULE.search(f.task):
        return 0.8, f"explain a module: {f.files[0]}"
    return 0.0, "no change asked"


_FIX = _rx(r"\b(?:fix|repair|resolve|make (?:it|them|the \w+) pass)\b|\bwhy is\b[^?\n]{0,40}"
          r"\bfail")
_TRACE_OR_FAILURE = _rx(r"traceback \(most recent call last\)|\b\w*(?:error|exception)\b: |"
                        r"^\s+at [\w$.<>/]+ ?\(|\berror\[?ts\d+|\bexpected\b[^\n]{0,40}"
                        r"\n?[^\n]{0,20}\breceived\b")
_UNCLEAR = _rx(r"intermittent|\bflaky\b|sometimes|occasionally|\d+ in \d+|only (?:happens )?"
               r"(?:in|on) (?:prod|ci)|\bkeep(?:s)? failing|investigat|root[- ]cause|find out|"
               r"figure out|no idea|\ball\b|\bevery\b")


def visible_failure(f: Features) -> tuple[float, str]:
    """A fix asked with its one failure in view (a trace, one failing run): the cause is
    visible, which the rubric calls one well-scoped unit of work (negative weight)."""
    if not _FIX.search(f.task) or _UNCLEAR.search(f.task) or f.recent_errors >= 2:
        return 0.0, "no single visible failure"
    if _TRACE_OR_FAILURE.search(f.task_code):
        return 1.0, "the failure is pasted in the task"
    if f.recent_errors == 1:
        return 1.0, "one failing tool result in view"
    return 0.0, "no single visible failure"


def _fenced_lines(text: str) -> int:
    lines, inside = 0, False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            inside = not inside
        elif inside and line.strip():
            lines += 1
    return lines


# --- scope ----------------------------------------------------------------------------------

_UNITS = (r"(?:files|modules|services|endpoints|call ?sites|callers|usages|uses|tests|handlers|"
          r"packages|components|routes|tables|queries|jobs|pages|screens|views|models|"
          r"controllers|workers|repos|microservices|apis|clients|places|imports|strings|"
          r"templates|functions|classes|methods)")
SCOPE = _rx(
    r"\beverywhere\b|\beverything\b|\bmonolith\b|into (?:its|their) own\b|"
    r"across (?:all|the|every|multiple|our|several|many|both)\b|"
    rf"\bevery (?:\w+ ){{0,2}}(?:file|module|service|endpoint|package|call ?site|caller|"
    r"handler|test|component|page|route|table|query|job|model|view|screen|place|string|"
    r"template|function|class|method|usage|import|client|worker|controller)\b|"
    rf"\ball (?:of )?(?:the |our |its |their )?(?:\w+ ){{0,3}}{_UNITS}\b|\bthroughout\b|"
    r"(?:whole|entire) (?:\w+ )?(?:codebase|repo|repository|project|app|application|frontend|"
    r"backend|suite|site|ui|system|stack|monorepo|service|api)\b|"
    r"\bmulti-?(?:file|tenan|region|platform)\w*|\bmonorepo\b|\bcodebase\b|"
    r"\bboth (?:the )?\w+ (?:and|&)\b|\bwhatever (?:breaks|fails)\b|"
    r"\b(?:several|many|multiple) (?:\w+ )?" + _UNITS + r"\b|"
    r"\bcohesive modules\b|\binto (?:separate|smaller|several) (?:modules|services|packages)\b|"
    r"\b\d{1,3},?\d{3}[- ]lines?\b")  # "OrderService.java is 2,500 lines"
# "for products, orders and customers", "in the API client, the updater and the uploader":
# three or more named parts of the system.
_ENUMERATED = _rx(r"\b(?:for|in|into|across|to|on|from) (?:both )?(?:the |our |all )?"
                  r"[\w-]+(?: [\w-]+)?(?: \([^)]{1,20}\))?, "
                  r"(?:the |our )?[\w-]+(?: [\w-]+)?(?: \([^)]{1,20}\))?,? "
                  r"(?:and|&) (?:the |our )?[\w-]+")
# "9 services", "about 40 call sites": the user counted the scope for us.
_COUNTED = _rx(rf"\b(\d{{1,4}}) (?:\w+ )?{_UNITS}\b")
_DIFF_FILE = re.compile(r"^\+\+\+ b/(\S+)|^diff --git a/(\S+)", re.MULTILINE)
_RESULT_PATH = re.compile(r"[\w.-]+(?:/[\w.-]+)+\.\w{1,5}\b")
_RESULT_COUNT = re.compile(r"\b(\d{1,5}) files\b")
_SEARCH_TOOLS = frozenset({"glob", "grep", "ls", "search", "find", "find_files", "list_files",
                           "file_search", "grep_search", "codebase_search", "list_dir"})
_SEARCH_COMMAND = re.compile(r"^\s*(?:rg|grep|git grep|find|ls|fd|ag)\b")


def is_search(tool: str, tool_input: dict[str, object]) -> bool:
    """Whether a tool call lists or searches files (so its result measures breadth)."""
    if tool.lower() in _SEARCH_TOOLS:
        return True
    command = tool_input.get("command")
    return isinstance(command, str) and bool(_SEARCH_COMMAND.match(command))


def files_listed(result: str) -> int:
    """How many files a search result names: distinct paths, or a "31 files" summary."""
    counted = max((int(n) for n in _RESULT_COUNT.findall(result)), default=0)
    return max(counted, len(set(_RESULT_PATH.findall(result))))


def scope(f: Features) -> tuple[float, str]:
    markers = _distinct(SCOPE, f.task)
    value = 0.6 * len(markers)
    parts = [", ".join(m[:30] for m in markers[:3])] if markers else []
    counted = max((int(m.group(1)) for m in _COUNTED.finditer(f.task)), default=0)
    if counted >= 3:
        value += 0.6
        parts.append(f"{counted} units named")
    diffed = len(set(_DIFF_FILE.findall(f.task_code)))
    if diffed >= 2:
        value += 0.6
        parts.append(f"diff touches {diffed} files")
    enumerated = _ENUMERATED.search(f.task)
    if enumerated:
        value += 0.6
        parts.append(f"parts named: {enumerated.group(0)[:40]}")
    listed = f.searched_files
    if listed >= 5:
        value += 1.0 if listed >= 15 else 0.6
        parts.append(f"tool results list {listed} files")
    if not value:
        return 0.0, "no breadth named"
    if not _CHANGE.search(f.task) and not listed:
        # "the npm command to update all packages": breadth inside a question is not work.
        return min(1.0, value) * 0.5, "; ".join(parts) + " (no change asked)"
    return min(1.0, value), "; ".join(parts)


# --- lookups and fully specified edits -------------------------------------------------------

_LOOKUP = _rx(r"^\s*(?:how (?:do|can) i|what(?:'s| is| does| are)|which|where|is there|"
              r"is `|does|can i|show me|list|how many|print)\b|which version|what version|"
              r"\btypos?\b|\brename\b|\bbump\b|missing import|whitespace|"
              r"\breformat|\bsort the (?:imports|keys)\b|\balphabetical(?:ly)?\b|"
              r"\blog level\b|\bcopyright\b|"
              r"\bchange (?:the|it|this) \w+ from\b|\bthanks\b")


def mechanical(f: Features) -> tuple[float, str]:
    """Lookups and mechanical one-spot edits: pulls the score down (negative weight)."""
    hits = _distinct(_LOOKUP, f.task)
    if not hits:
        return 0.0, "no lookup or mechanical edit"
    return min(1.0, 0.5 * len(hits)), f"lookup or mechanical edit: {', '.join(hits[:4])}"



_SPECIFIED = _rx(
    r"\bfrom \S{1,20} to \S{1,20}(?: \w+)?$|\bfrom \S{1,20} to \S{1,20}\b(?! (?:\w+ )?(?:and|"
    r"with|across|using)\b)|['\"][^'\"\n]{1,40}['\"] ?(?:->|→|to) ?['\"]|\s(?:->|→)\s|"
    r"`[\w.]+ ?= ?[^`]{1,30}`|\bon line \d+|\bline \d+ of\b|"
    r"\bindentation\b|\btrailing (?:whitespace|newline|comma)|\bnewline at the end\b|"
    r"\buncomment\b|\bcomment out\b|\b(?:unused|missing) (?:`?import|dependency)|"
    r"\badd `(?:import|from|use|require|#include)\b|\btabs? (?:with|to|for|into) (?:\d+ )?spaces\b|"
    r"\bwrap (?:this|the) lines?\b|\bunder \d+ char|"
    r"\bto v?\d+\.\d+(?:\.\d+)?\b|\bto \d+\s*$|\b(?:add|put) \S+ to \.?\w+ignore\b|"
    r"^(?:\w+[,!]? ){0,3}use (?:an? |the )?[\w.-]+(?: [\w.-]+){0,4} instead\b|"
    r"\bconvert (?:this|the|it|these) (?:\w+ )?(?:from )?(?:json|yaml|toml|csv|xml|ini) "
    r"(?:to|into)\b|"
    r"\b(?:string|text|label|message|title) ['\"]|\bsay ['\"]|\b(?:rename|move) \S+\.\w+ to\b")


def specified_edit(f: Features) -> tuple[float, str]:
    """The user already wrote the change down: a small model can apply it."""
    hits = _distinct(_SPECIFIED, f.task)
    if not hits:
        return 0.0, "change not spelled out"
    return min(1.0, 0.7 * len(hits)), f"spelled-out edit: {', '.join(hits[:3])}"
