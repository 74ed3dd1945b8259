"""The per-dimension rules of the complexity scorer: each maps request features to 0–1 + a reason.

Every rule is a pure function of :class:`~lynkr.routing.features.Features` (a bounded,
lower-cased view of the request built once per request) and returns ``(value, reason)``.
Patterns are compiled at import time and only ever run over bounded text, which keeps a
decision well under 2 ms.

Rules, in short (weights live in :mod:`lynkr.routing.weights`):

- ``task_tokens``: tokens of the task (last user text); log-scaled, 25 → 0, 1500+ → 1.
- ``conversation_depth``: messages so far (24+ → 1) or context size (200 K chars → 1).
- ``new_turn``: 1 when the user has just typed into a session of 3+ messages, 0 on a first
  message or a tool-result turn (hand weight 0: the learned stage weighs it).
- ``code_present``: inline code 0.3, a fenced block 0.6, several blocks / a diff / a stack
  trace 0.8, a trace or diff plus code 1.
- ``codegen_intent``: "fix/add/rename" 0.35, "write/create ... <code noun>" 0.6,
  "implement / build a / refactor / rewrite / from scratch" 1.
- ``multi_step``: 0.25 per planning marker ("first … then", "plan", "phases"), numbered /
  bulleted requirement lists, distinct deliverable verbs beyond two, long comma lists.
- ``scope``, ``change_request``, ``mechanical``, ``specified_edit``, ``visible_failure``: see
  :mod:`lynkr.routing.scope` (the last three have negative weights).
- ``reasoning``: 0.45 per strong marker (prove, invariant, trade-offs, architecture, race
  condition, deadlock, correctness, interleavings, "is this sound" …), 0.2 per weak one (why,
  compare, should we, strategy …); halved in a short definition question ("difference between
  COPY and ADD?").
- ``analysis_depth``: 0.3 per marker (analyse, investigate, root cause, audit, profile, debug,
  memory leak, flaky, walk me through …).
- ``domain_risk``: 0.35 per distinct risky domain (security, auth, crypto, payments, data loss,
  migrations, production, deploys, permissions …).
- ``ambiguity``: vague asks ("it doesn't work", "make it better") in a short task with no file
  or code to anchor it; halved once the conversation has tool context.
- ``tool_danger``, ``agentic``, ``prior_tool_use``: see :mod:`lynkr.routing.tool_use`.
- ``files``: distinct files mentioned or touched: 1 → 0.25, 2 → 0.45, 3–4 → 0.65, 5+ → 1.
- ``user_hint``: "ultrathink" / "think harder" 1, "think hard/deeply/carefully" 0.7,
  "think about/through" 0.35.
- ``brevity_hint`` (negative weight): 0.5 per "quick question", "just tell me", "briefly" …

The ``code_graph`` dimension needs the graph callable and lives in the scorer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from lynkr.routing import scope as _scope
from lynkr.routing.features import Features
from lynkr.routing.hints import brevity_hint, user_hint
from lynkr.routing.patterns import clamp as _clamp
from lynkr.routing.patterns import distinct as _distinct
from lynkr.routing.patterns import rx as _rx
from lynkr.routing.scope import SCOPE, mechanical, scope, specified_edit, visible_failure
from lynkr.routing.tool_use import agentic, prior_tool_use, tool_danger

Rule = Callable[[Features], tuple[float, str]]


def _per_hit(pattern: re.Pattern[str], text: str, step: float, label: str) -> tuple[float, str]:
    hits = _distinct(pattern, text)
    if not hits:
        return 0.0, f"no {label}"
    return _clamp(step * len(hits)), f"{label}: {', '.join(hits[:4])}"


# --- size and shape -------------------------------------------------------------------------


def task_tokens(f: Features) -> tuple[float, str]:
    t = f.task_tokens
    value = 0.0 if t <= 25 else _clamp(math.log(t / 25) / math.log(1500 / 25))
    return value, f"{t} task tokens"


def conversation_depth(f: Features) -> tuple[float, str]:
    value = max(_clamp((f.n_messages - 1) / 24), _clamp(f.context_chars / 200_000))
    return value, f"{f.n_messages} messages, {f.context_chars} chars"


def new_turn(f: Features) -> tuple[float, str]:
    """1 when the user has just typed a new message into a session (3+ messages), 0 for a
    first message or a tool-result turn of an agent loop. Why: a session's depth and tool use
    describe its past; a fresh question late in it ("what was that flag again?") is not
    harder for it, while a loop's tool turns go on with the task that started them."""
    if f.n_messages < 3:
        return 0.0, "first message"
    if f.after_task == 0:
        return 1.0, f"new message after {f.n_messages - 1} messages"
    return 0.0, f"{f.after_task} messages into the task's loop"


def files(f: Features) -> tuple[float, str]:
    n = len(f.files)
    value = 0.0 if n == 0 else 0.25 if n == 1 else 0.45 if n == 2 else 0.65 if n <= 4 else 1.0
    return value, f"{n} files" + (f": {', '.join(f.files[:3])}" if n else "")


_FENCE = _rx(r"^\s*```")
_DIFF = _rx(r"^(?:diff --git|@@ -\d+(?:,\d+)? \+\d+|--- a/|\+\+\+ b/)")
_TRACE = _rx(r"traceback \(most recent call last\)|^\s+at [\w$.<>/]+ ?\(|^\s*at .+:\d+:\d+\)?$|"
             r"\bpanic:|exception in thread|error\[e\d{4}\]|^\s*file \"[^\"]+\", line \d+|"
             r"goroutine \d+ \[|segmentation fault|^\w*(?:error|exception): ")
_INLINE = re.compile(r"`[^`\n]+`")
_CODE_LINE = _rx(r"^\s*(?:def |class |function |fn |func |const |let |import |from \S+ import |"
                 r"public |private |#include|return )|[;{]\s*$")


def code_present(f: Features) -> tuple[float, str]:
    text = f.task_code
    blocks = len(_FENCE.findall(text)) // 2
    trace = bool(_TRACE.search(text))
    diff = bool(_DIFF.search(text))
    bare = len(_CODE_LINE.findall(text)) >= 3
    if (trace or diff) and (blocks or bare):
        return 1.0, "stack trace or diff with code"
    if trace or diff or blocks >= 2:
        return 0.8, "stack trace" if trace else "diff" if diff else f"{blocks} code blocks"
    if blocks or bare:
        return 0.6, "code block"
    if _INLINE.search(text):
        return 0.3, "inline code"
    return 0.0, "no code"


# --- intent ---------------------------------------------------------------------------------

_GEN_STRONG = _rx(r"\bimplement|\bbuild (?:a|an|the|out|me)\b|from scratch|end[- ]to[- ]end|"
                  r"\bscaffold|\bnew (?:feature|service|module|endpoint|package|library|app)\b|"
                  r"\brewrite\b|\bport (?:this|the|it|our)\b|\brefactor|\bre-?architect|"
                  r"\bmigrate\b|\bupgrade\b|\bextract (?:the|our)\b|\bset up\b|"
                  r"\badd (?:full|end-to-end|multi|sso|oauth|support for)\b")
# "Implement an LRU cache class", "refactor `f`": a strong verb on one small unit.
_ONE_UNIT = _rx(r"\b(?:a|an|the|this|one) (?:\w+ |`[^`]+` ){0,2}(?:function|class|method|hook|"
                r"helper|type|struct|decorator|component|query|regex|test)\b|"
                r"`\w+` (?:function|class|method)|\bin \w+\.\w+\b")
_GEN_MEDIUM = _rx(r"\b(?:write|create|add|generate|make|convert|extend|update|modify|change|"
                  r"replace)\b[^.\n]{0,40}?\b(?:function|method|class|module|endpoint|route|api|"
                  r"tests?|component|service|script|cli|command|handler|middleware|parser|hook|"
                  r"schema|model|query|migration|dockerfile|workflow|config|type|interface|"
                  r"struct|enum|decorator|fixture|validator|helper|wrapper|client|server|"
                  r"pipeline|job|worker|page|form|table|extension|regex|genserver|actor|trait|"
                  r"protocol|macro|view|controller|reducer|resolver|plugin|program)s?\b|"
                  r"\bwith (?:unit |table-driven )?tests\b")
_GEN_WEAK = _rx(r"\b(?:fix|write|create|add|generate|rename|update|change|remove|delete|bump|"
                r"replace|edit|make)\b")


def codegen_intent(f: Features) -> tuple[float, str]:
    strong = _distinct(_GEN_STRONG, f.task)
    medium = _distinct(_GEN_MEDIUM, f.task)
    if strong:
        if _ONE_UNIT.search(f.task) and not SCOPE.search(f.task):
            return 0.7, f"build intent on one unit: {', '.join(strong[:3])}"
        return 1.0, f"build intent: {', '.join(strong[:3])}"
    if medium:
        return _clamp(0.6 + 0.15 * (len(medium) - 1)), f"code generation: {medium[0]}"
    weak = _distinct(_GEN_WEAK, f.task)
    if weak:
        return 0.3, f"edit intent: {', '.join(weak[:3])}"
    return 0.0, "no code-generation intent"


def change_request(f: Features) -> tuple[float, str]:
    """A change asked for that ``codegen_intent`` does not already count as code generation:
    the MEDIUM floor of a behaviour edit ("close the modal on Escape")."""
    if codegen_intent(f)[0] >= 0.6:
        return 0.0, "counted by codegen_intent"
    return _scope.change_request(f)


_MULTI = _rx(r"step[- ]by[- ]step|\bfirst\b[^\n]{0,200}\bthen\b|\bafter that\b|\bfinally\b|"
             r"\bplan\b|\bphases?\b|\bmilestones?\b|\broadmap\b")
_NUMBERED = _rx(r"^\s*(?:\d+[.)]|[-*•]) +\S")
# Distinct deliverable verbs: "add the view, store tokens, update the model and write tests".
_ACTIONS = _rx(r"\b(?:add|update|write|implement|store|create|migrate|protect|build|remove|"
               r"replace|convert|move|split|extract|expose|backfill|gate|gating|document|deploy|"
               r"verify|refactor|rename|handle|support|switch|port|integrate|wire|set up|"
               r"configure|validate|sync|upgrade|generate|delete|report|process|dedupe|"
               r"inspect|encrypt|exchange|keep|fix|test|enqueue|schedule|lazy-load|"
               r"make sure|show|scope|rotate|revoke)\b")


def multi_step(f: Features) -> tuple[float, str]:
    hits = _distinct(_MULTI, f.task)
    items = len(_NUMBERED.findall(f.task))
    commas = f.task.count(", ") + f.task.count("; ")
    actions = _distinct(_ACTIONS, f.task)
    value = 0.25 * len(hits) + (min(0.6, 0.15 * items) if items >= 2 else 0)
    clauses = _scope.imperative_clauses(f.task)
    value += max(0.15 * (len(actions) - 2), 0.2 * (clauses - 1), 0.0)
    value += min(0.4, 0.1 * max(0, commas - 2))  # "VPC, subnets, an RDS instance, and ECS"
    if not value:
        return 0.0, "single step"
    parts = [", ".join(h[:30] for h in hits[:3])] if hits else []
    parts += [f"{items} list items"] if items >= 2 else []
    parts += [f"{len(actions)} actions"] if len(actions) > 2 else []
    parts += [f"{clauses} imperative clauses"] if clauses > 1 else []
    return _clamp(value), "; ".join(parts)


_REASON_STRONG = _rx(
    r"\bprove\b|\bproof\b|formal(?:ly)? verif|\binvariants?\b|trade-?offs?|pros and cons|"
    r"\barchitect(?:ure|ural)?\b|system design|design (?:a|an|the|our) (?:\w+ ){0,3}(?:system|"
    r"architecture|protocol|schema|api|service|strategy|algorithm|approach)|race conditions?|"
    r"\bdeadlocks?\b|linearizab|\bconsensus\b|cap theorem|consistency (?:model|guarantee)|"
    r"eventual(?:ly)? consisten|\bcorrectness\b|lock-free|memory (?:model|ordering)|"
    r"threat[- ]model|time complexity|\bbig-o\b|\bo\(n|np-hard|\bamortized\b|\bderive\b|"
    r"hypothes[ie]s|failure (?:modes|cases)|split[- ]brain|exactly[- ]once|at[- ]most[- ]once|"
    r"stale (?:data|reads?)|trust boundar|\battacks?\b|\battacker\b|reorder|happens[- ]before|"
    r"\brace\b|lost updates?|double[- ]spend|recommendation|reason about|explain exactly|"
    r"^\s*design\b|\bdesign (?:the|a|an|our)\b|sharding|partition|\bconsistency\b|"
    r"\bcorrect if\b|\bsafe to\b|is (?:it|this) (?:correct|safe|sound)|prove it|either way|"
    r"interleavings?\b|\bargue\b|\brule (?:it|them|each(?: one)?) out\b|\bsoundness\b|"
    r"counter-?example|propose (?:a |an )?(?:\w+ )?(?:design|architecture|scheme)|"
    r"read[- ]your[- ]writes|\bcausal(?:ity| consistency)?\b")
_REASON_WEAK = _rx(
    r"\bwhy\b|\bcompare\b|\bcomparison\b|\bshould (?:we|i)\b|which (?:approach|option|one|is "
    r"better)|best (?:approach|way)|\bevaluate\b|implications|scalab|\bdistributed\b|"
    r"concurren|idempoten|\boptimal\b|\bstrategy\b|\balternatives?\b|\bdesign\b|edge cases|"
    r"\bguarantees?\b|\bsemantics\b|\bdecide\b|\brisks?\b|\bchoose\b|which \w+ should|"
    r"\bconflicts?\b|\bjustify\b|\bshould (?:our|the|it|this)\b|\bconsider\b")


# "What's the difference between a race condition and a deadlock?": naming hard concepts in a
# short question of definition asks for a definition, not for reasoning about them.
_DEFINITION = _rx(r"^\s*(?:what(?:'s| is| are| does)|define|explain what)\b[^\n]{0,40}"
                  r"\b(?:difference between|mean|means|meaning|definition|stand for|is an?)\b|"
                  r"^\s*(?:the )?difference between\b")


def reasoning(f: Features) -> tuple[float, str]:
    strong = _distinct(_REASON_STRONG, f.task)
    weak = _distinct(_REASON_WEAK, f.task)
    value = 0.45 * len(strong) + 0.2 * len(weak)
    if not value:
        return 0.0, "no reasoning markers"
    reason = f"reasoning: {', '.join((strong + weak)[:4])}"
    if _DEFINITION.search(f.task) and len(f.task.split()) < 25 and "[code]" not in f.task:
        return _clamp(value) * 0.5, reason + " (definition question)"
    return _clamp(value), reason


_ANALYSIS = _rx(r"analy[sz]|investigat|root[- ]cause|\baudit|\breview\b|\bprofil(?:e|ing)\b|"
                r"bottleneck|deep[- ]dive|\bthorough|comprehensive|\bdiagnos|\bassess|"
                r"walk me through|in detail|understand (?:how|why)|figure out|"
                r"trace (?:through|the)|\bdebug|memory leak|regression|intermittent|"
                r"\bflaky\b|only (?:happens )?(?:in|on) prod|non-?deterministic|\bslow\b|latency|"
                r"find (?:the|out|why)|\bleaks?\b|\bdrifts?\b|\bspikes?\b|\bsometimes\b|"
                r"occasionally|once a (?:day|week)|\d+ in \d+ runs|why does|explain how|"
                r"what happens (?:when|if)")


def analysis_depth(f: Features) -> tuple[float, str]:
    return _per_hit(_ANALYSIS, f.task, 0.4, "analysis")


_RISK = _rx(r"secur|vulnerab|exploit|injection|\bxss\b|csrf|\bssrf\b|"
            r"\bauth(?:entication|orization|n|z)?\b|oauth|\bjwt\b|\bsaml\b|\bsso\b|password|"
            r"credential|\bsecrets?\b|\bcrypt|encrypt|decrypt|\bhmac\b|\bsignatures?\b|"
            r"\btls\b|certificate|payment|billing|stripe|invoice|refund|\bpci\b|checkout|"
            r"ledger|data loss|lose data|\btruncate\b|session (?:cookies?|store|tokens?)|"
            r"\bdrop(?:s|ping)? (?:the )?(?:\w+ |`[^`]+` )?(?:table|column|database|index)|"
            r"migrations?\b|\bproduction\b|\bprod\b|\bdeploy|rollback|backups?\b|\bgdpr\b|"
            r"\bpii\b|rm -rf|force[- ]push|--force|permissions?\b|privilege|\bsudo\b|"
            r"kubernetes|\bk8s\b|terraform|zero[- ]downtime|\bhipaa\b|\bsanitiz")


# Risky work contained in one small unit: "a function that sanitizes filenames", "the signup
# form", "a new alembic migration" adding one index.
_CONTAINED = _rx(r"\b(?:a|an|the|this|one) (?:new )?(?:\w+ |`[^`]+` ){0,2}(?:function|class|"
                 r"method|hook|helper|type|struct|decorator|component|query|regex|test|form|"
                 r"script|index|field|flag|option|migration|template|endpoint)\b|"
                 r"`\w+` (?:function|class|method)")


def domain_risk(f: Features) -> tuple[float, str]:
    """Risky domains matter for real changes (rubric: "unless the change is trivial")."""
    value, reason = _per_hit(_RISK, f.task, 0.35, "risky domain")
    if not value:
        return value, reason
    if _scope.specified_edit(f)[0] or mechanical(f)[0]:
        return value * 0.3, reason + " (trivial edit)"
    if _CONTAINED.search(f.task) and not SCOPE.search(f.task):
        return value * 0.5, reason + " (one unit)"
    if not _scope.asks_change(f.task):
        return value * 0.5, reason + " (no change asked)"
    return value, reason


_VAGUE = _rx(r"\bfix it\b|doesn'?t work|not working|\bbroken\b|something(?:'s| is) (?:wrong|off)|"
             r"make (?:it|this) (?:better|nicer|cleaner|faster)|improve (?:it|this)\b|"
             r"clean (?:it|this) up|any ideas|\bweird\b|\bsomehow\b|\bsort of\b|\bkinda\b|"
             r"\bstuff\b|\bsomething like\b|\bwhatever\b|\bno idea\b|\bmessed up\b")


def ambiguity(f: Features) -> tuple[float, str]:
    hits = _distinct(_VAGUE, f.task)
    if not hits:
        return 0.0, "specific"
    value = 0.5 * len(hits)
    if len(f.task.split()) > 60 or f.files:
        value *= 0.5  # a long or file-anchored task says enough despite the vague words
    if f.n_tool_uses:
        value *= 0.5  # the conversation's tool context disambiguates
    return _clamp(value), f"vague: {', '.join(hits[:3])}"


# Rules evaluated on the task text that also look back at earlier user turns for short follow-ups.
TEXT_RULES: dict[str, Rule] = {
    "codegen_intent": codegen_intent,
    "multi_step": multi_step,
    "scope": scope,
    "change_request": change_request,
    "reasoning": reasoning,
    "analysis_depth": analysis_depth,
    "domain_risk": domain_risk,
}
RULES: dict[str, Rule] = {
    "task_tokens": task_tokens,
    "conversation_depth": conversation_depth,
    "new_turn": new_turn,
    "code_present": code_present,
    **TEXT_RULES,
    "ambiguity": ambiguity,
    "tool_danger": tool_danger,
    "agentic": agentic,
    "prior_tool_use": prior_tool_use,
    "files": files,
    "user_hint": user_hint,
    "brevity_hint": brevity_hint,
    "mechanical": mechanical,
    "specified_edit": specified_edit,
    "visible_failure": visible_failure,
}
