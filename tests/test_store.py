"""The store behaves the same in-process and on Redis (whichever this run uses)."""
from __future__ import annotations

import threading

from bot.infra.store import held


def test_add_once_is_true_exactly_once_under_contention(store):
    results: list[bool] = []
    barrier = threading.Barrier(8)

    def worker() -> None:
        barrier.wait()
        results.append(store.add_once("webhook:evt-1", 60))

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count(True) == 1 and len(results) == 8


def test_incr_counts_and_values_expire(store):
    assert [store.incr("bind-fail:U1", 60) for _ in range(3)] == [1, 2, 3]
    store.set("k", "v", 60)
    assert store.get("k") == "v"
    store.delete("k")
    assert store.get("k") is None


def test_lock_is_exclusive_and_released(store):
    with held(store, "sweep", 30) as first:
        assert first is True
        with held(store, "sweep", 30) as second:
            assert second is False
    with held(store, "sweep", 30) as again:
        assert again is True
