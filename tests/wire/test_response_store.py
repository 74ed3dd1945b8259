"""The store behind previous_response_id: bounded, expiring, and safe to mutate what it returns."""

from __future__ import annotations

from lynkr.model import Message, TextBlock
from lynkr.wire.response_store import ResponseStore, previous_response_not_found


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def conversation(text: str) -> list[Message]:
    return [Message("user", [TextBlock(text)]), Message("assistant", [TextBlock("ok")])]


def test_a_stored_conversation_comes_back_with_its_system_prompt() -> None:
    store = ResponseStore()
    store.put("resp_1", conversation("hi"), [TextBlock("be brief")])
    assert store.get("resp_1") == (conversation("hi"), [TextBlock("be brief")])
    assert store.get("resp_unknown") is None


def test_least_recently_used_entry_is_evicted_first() -> None:
    store = ResponseStore(max_entries=2)
    store.put("a", conversation("a"), [])
    store.put("b", conversation("b"), [])
    assert store.get("a") is not None  # "a" is now more recent than "b"
    store.put("c", conversation("c"), [])
    assert len(store) == 2
    assert store.get("b") is None
    assert store.get("a") is not None and store.get("c") is not None


def test_entries_expire_after_the_ttl() -> None:
    clock = FakeClock()
    store = ResponseStore(ttl_seconds=60, clock=clock)
    store.put("a", conversation("a"), [])
    clock.now += 60
    assert store.get("a") is not None
    clock.now += 1
    assert store.get("a") is None
    assert len(store) == 0


def test_expired_entries_are_dropped_when_new_ones_arrive() -> None:
    clock = FakeClock()
    store = ResponseStore(ttl_seconds=10, clock=clock)
    store.put("old", conversation("old"), [])
    clock.now += 11
    store.put("new", conversation("new"), [])
    assert len(store) == 1


def test_mutating_a_returned_conversation_does_not_change_the_store() -> None:
    store = ResponseStore()
    store.put("a", conversation("hi"), [])
    got = store.get("a")
    assert got is not None
    got[0][0].content[0] = TextBlock("compressed")
    got[0].append(Message("user", [TextBlock("more")]))
    assert store.get("a") == (conversation("hi"), [])


def test_unknown_previous_response_is_a_not_found_naming_the_param() -> None:
    err = previous_response_not_found("resp_x")
    assert err.status == 404 and err.param == "previous_response_id"
    assert "resp_x" in err.message
