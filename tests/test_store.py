"""The store behaves the same in-process and on Redis (whichever this run uses)."""
from __future__ import annotations

import os
import threading

import pytest

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


def test_a_held_lock_outlives_its_ttl_while_held_and_frees_when_its_holder_stops(store):
    """The sweep's lock is short (30 s) and renewed while the sweep runs: a live holder keeps it past
    its TTL; a holder that stopped renewing (a killed process) leaves it free within the TTL."""
    import time

    from bot.infra.store import held

    with held(store, "t-sweep", 0.6) as got:
        assert got
        time.sleep(1.5)                                    # 2.5 TTLs: renewed meanwhile
        assert store.acquire("t-sweep", 0.6) is None       # still ours
    assert store.acquire("t-sweep", 0.6) is not None       # released on exit; taken now without a heartbeat,
    assert store.acquire("t-sweep", 0.6) is None           # as by a process about to be killed
    time.sleep(0.8)                                        # it died: nobody renewed, the TTL ran out
    assert store.acquire("t-sweep", 0.6) is not None


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL: a lock shared by processes")
def test_a_sweep_killed_with_sigkill_frees_its_lock_within_the_ttl():
    """A child process holds the lock as a sweep does, renewed, past several TTLs; `kill -9`; the lock
    is free again within one TTL (it used to stay 600 s: 「另一個排程正在執行，本次略過」)."""
    import signal
    import subprocess
    import sys
    import time

    from bot.infra.store import RedisStore

    parent = RedisStore(os.environ["REDIS_URL"], prefix="pbtest-kill:")
    parent.flush()
    child = subprocess.Popen([sys.executable, "-c", (
        "import os, time\n"
        "from bot.infra.store import RedisStore, held\n"
        "with held(RedisStore(os.environ['REDIS_URL'], prefix='pbtest-kill:'), 'sweep', 1.0) as got:\n"
        "    print('held' if got else 'busy', flush=True)\n"
        "    time.sleep(60)\n")], stdout=subprocess.PIPE, text=True, cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        assert child.stdout.readline().strip() == "held"
        time.sleep(2.5)                                     # 2.5 TTLs: the heartbeat kept it
        assert parent.acquire("sweep", 1.0) is None
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        killed = time.monotonic()
        while parent.acquire("sweep", 1.0) is None:
            assert time.monotonic() - killed < 2.0, "the dead sweep's lock outlived its TTL"
            time.sleep(0.05)
    finally:
        child.kill()
        parent.flush()
