"""ExpandStore: content ids, byte bound, expiry."""

from __future__ import annotations

from lynkr.optimize.expand_store import ExpandStore, expand_id


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_id_is_a_hash_of_the_text_so_storing_twice_is_one_entry() -> None:
    store = ExpandStore()
    first, second = store.put("dropped lines"), store.put("dropped lines")
    assert first == second == expand_id("dropped lines") and len(store) == 1
    assert store.get(first) == "dropped lines"


def test_unknown_ids_answer_none() -> None:
    assert ExpandStore().get("000000000000") is None


def test_entries_expire_after_the_ttl_unless_used() -> None:
    clock = Clock()
    store = ExpandStore(ttl_seconds=60, clock=clock)
    kept, forgotten = store.put("kept"), store.put("forgotten")
    clock.now += 50
    assert store.get(kept) == "kept"
    clock.now += 50
    assert store.get(kept) == "kept" and store.get(forgotten) is None


def test_the_least_recently_used_entries_go_when_the_byte_budget_is_exceeded() -> None:
    store = ExpandStore(max_bytes=30)
    old, recent = store.put("a" * 10), store.put("b" * 10)
    store.get(old)
    newest = store.put("c" * 15)
    assert store.get(recent) is None
    assert store.get(old) == "a" * 10 and store.get(newest) == "c" * 15
    assert store.bytes_used <= 30


def test_a_text_larger_than_the_store_is_not_kept() -> None:
    store = ExpandStore(max_bytes=8)
    assert not store.fits("x" * 9)
    assert store.get(store.put("x" * 9)) is None


def test_refresh_restores_an_expired_entry_under_its_known_id() -> None:
    clock = Clock()
    store = ExpandStore(ttl_seconds=10, clock=clock)
    key = store.put("text")
    clock.now += 20
    assert key not in store
    store.refresh(key, "text")
    assert store.get(key) == "text"


def test_an_empty_store_is_still_truthy() -> None:
    assert ExpandStore()
