"""Session affinity: upgrades are immediate, downgrades need a margin, memory is bounded."""

from __future__ import annotations

from lynkr.model import Message, Request, TextBlock
from lynkr.routing.affinity import Affinity, conversation_id
from lynkr.routing.scorer import Decision
from lynkr.routing.weights import Thresholds

THRESHOLDS = Thresholds(medium=0.1, complex=0.3, reasoning=0.5)


def decision(tier: str, score: float, forced: bool = False) -> Decision:
    return Decision(tier, score, (), f"{tier} by test", forced)


def test_upgrade_is_immediate() -> None:
    affinity = Affinity(THRESHOLDS, margin=0.1)
    affinity.apply("c", decision("MEDIUM", 0.2))
    assert affinity.apply("c", decision("REASONING", 0.6)).tier == "REASONING"


def test_downgrade_within_the_margin_holds_the_tier() -> None:
    affinity = Affinity(THRESHOLDS, margin=0.1)
    affinity.apply("c", decision("COMPLEX", 0.35))
    held = affinity.apply("c", decision("MEDIUM", 0.25))
    assert held.tier == "COMPLEX"
    assert "affinity" in held.reason and held.score == 0.25


def test_downgrade_beyond_the_margin_is_allowed() -> None:
    affinity = Affinity(THRESHOLDS, margin=0.1)
    affinity.apply("c", decision("COMPLEX", 0.35))
    assert affinity.apply("c", decision("SIMPLE", 0.05)).tier == "SIMPLE"
    assert affinity.apply("c", decision("SIMPLE", 0.05)).tier == "SIMPLE"


def test_conversations_are_independent() -> None:
    affinity = Affinity(THRESHOLDS, margin=0.1)
    affinity.apply("a", decision("REASONING", 0.7))
    assert affinity.apply("b", decision("MEDIUM", 0.45)).tier == "MEDIUM"


def test_forced_decisions_pass_through_and_are_not_remembered() -> None:
    affinity = Affinity(THRESHOLDS, margin=0.1)
    affinity.apply("c", decision("REASONING", 0.7))
    side = decision("SIMPLE", 0.0, forced=True)
    assert affinity.apply("c", side) is side
    assert affinity.apply("c", decision("COMPLEX", 0.45)).tier == "REASONING"


def test_memory_is_a_bounded_lru() -> None:
    affinity = Affinity(THRESHOLDS, margin=0.1, max_size=2)
    affinity.apply("a", decision("REASONING", 0.7))
    affinity.apply("b", decision("REASONING", 0.7))
    affinity.apply("a", decision("REASONING", 0.7))  # a is now the most recent
    affinity.apply("c", decision("REASONING", 0.7))  # evicts b
    assert len(affinity) == 2
    assert affinity.apply("a", decision("COMPLEX", 0.45)).tier == "REASONING"
    assert affinity.apply("b", decision("SIMPLE", 0.45)).tier == "SIMPLE"


def conversation(*turns: str, system: str = "You are Claude Code.") -> Request:
    roles = ("user", "assistant")
    return Request("m", [Message(roles[i % 2], [TextBlock(t)]) for i, t in enumerate(turns)],
                   system=[TextBlock(system)])


def test_conversation_id_is_stable_across_turns_and_differs_between_conversations() -> None:
    first = conversation_id(conversation("design a queue"))
    later = conversation_id(conversation("design a queue", "sure", "go on"))
    assert first == later
    assert first != conversation_id(conversation("design a cache"))
    assert first != conversation_id(conversation("design a queue", system="other agent"))


def test_two_sessions_opening_alike_are_two_conversations_by_the_clients_session_id() -> None:
    """Every Codex session in one directory opens with the same environment context."""
    def session(key: str, *turns: str) -> Request:
        request = conversation(*turns)
        request.extra["prompt_cache_key"] = key
        return request

    assert conversation_id(session("a", "hi")) == conversation_id(session("a", "hi", "ok", "go"))
    assert conversation_id(session("a", "hi")) != conversation_id(session("b", "hi"))
    claude_code = '{"device_id":"d1","account_uuid":"","session_id":"%s"}'
    one, two = (conversation("hi") for _ in range(2))
    one.metadata["user_id"], two.metadata["user_id"] = claude_code % "s1", claude_code % "s2"
    assert conversation_id(one) != conversation_id(two)
