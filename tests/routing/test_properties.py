"""Properties: scoring never raises, stays within [0, 1] and is deterministic."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lynkr.config import RoutingSettings
from lynkr.model import (
    Message,
    Request,
    TextBlock,
    Tool,
    ToolResultBlock,
    ToolUseBlock,
)
from lynkr.routing.scorer import Scorer

from .helpers import Signals

WORDS = st.sampled_from(["prove", "design", "fix", "auth", "ultrathink", "quick question",
                         "```", "src/a.py", "`f`", "Traceback", "\n1. ", "all files", "quota"])
TEXT = st.one_of(st.text(max_size=300), st.lists(WORDS, max_size=30).map(" ".join))
BLOCK = st.one_of(
    TEXT.map(TextBlock),
    st.builds(ToolUseBlock, id=st.text(max_size=5), name=st.sampled_from(["Bash", "Read", "x"]),
              input=st.dictionaries(st.sampled_from(["file_path", "path", "command", "q"]),
                                    st.one_of(TEXT, st.integers()), max_size=3)),
    st.builds(ToolResultBlock, tool_use_id=st.text(max_size=5),
              content=st.lists(TEXT.map(TextBlock), max_size=2), is_error=st.booleans()),
)
REQUEST = st.builds(
    Request,
    model=st.sampled_from(["claude-sonnet-4-5", "claude-haiku-4-5", "gpt-4o", ""]),
    messages=st.lists(st.builds(Message, role=st.sampled_from(["user", "assistant"]),
                                content=st.lists(BLOCK, max_size=4)), max_size=8),
    system=st.lists(TEXT.map(TextBlock), max_size=2),
    tools=st.lists(st.builds(Tool, name=st.sampled_from(["Bash", "Read", "Write", "x"])),
                   max_size=5),
    max_tokens=st.one_of(st.none(), st.integers(min_value=0, max_value=64_000)),
)
SCORERS = [Scorer(RoutingSettings()),
           Scorer(RoutingSettings(), graph_signals=lambda f, s: Signals(blast_radius=40)),
           Scorer(RoutingSettings(), learned=None)]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(REQUEST)
def test_scoring_never_raises_stays_in_range_and_is_deterministic(request: Request) -> None:
    for scorer in SCORERS:
        first = scorer.score(request)
        assert first.tier in ("SIMPLE", "MEDIUM", "COMPLEX", "REASONING")
        assert 0.0 <= first.score <= 1.0
        assert all(0.0 <= d.value <= 1.0 for d in first.dimensions)
        assert scorer.score(request) == first
