"""``overlapped``: batches written in order on a second thread while the next are built, at most two
behind; the first error stops the writing and reaches the caller."""
from __future__ import annotations

import threading
import time

import pytest

from bot.infra.overlap import AHEAD, overlapped


def test_results_come_in_order_and_the_builder_runs_at_most_two_ahead():
    built: list[int] = []
    written: list[int] = []
    writers: set[str] = set()

    def batches():
        for n in range(8):
            assert n - len(written) <= AHEAD + 1  # never further ahead than that
            built.append(n)
            yield n

    def write(n: int) -> int:
        time.sleep(0.01)  # the database at work
        writers.add(threading.current_thread().name)
        written.append(n)
        return n * n

    assert overlapped(batches(), write) == [n * n for n in range(8)]
    assert written == list(range(8)) and writers and threading.current_thread().name not in writers


def test_an_error_stops_the_writing_and_is_raised():
    written: list[int] = []

    def write(n: int) -> int:
        if n == 2:
            raise ValueError("row 2 refused")
        written.append(n)
        return n

    with pytest.raises(ValueError, match="row 2 refused"):
        overlapped(iter(range(10)), write)
    assert written == [0, 1]
