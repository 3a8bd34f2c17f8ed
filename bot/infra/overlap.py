"""Overlap building with writing: while the database works on one batch, the next is built.

``overlapped(batches, write)`` runs ``write`` on each batch on one second thread, in order, at most
two batches behind the builder (memory stays bounded); it returns ``write``'s results in order and
re-raises the first error. ``write`` alone touches its session while this runs (a session belongs
to one thread at a time); Python builds while the database driver waits without the GIL.
"""
from __future__ import annotations

import threading
from collections import deque
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from typing import Callable, Iterable, TypeVar

T = TypeVar("T")
R = TypeVar("R")
AHEAD = 2


def overlapped(batches: Iterable[T], write: Callable[[T], R]) -> list[R]:
    results: list[R] = []
    pending: deque[Future] = deque()
    failed = threading.Event()

    def guarded(batch: T) -> R:
        if failed.is_set():  # an earlier batch failed: write nothing more
            raise CancelledError()
        try:
            return write(batch)
        except BaseException:
            failed.set()
            raise

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer") as pool:
        try:
            for batch in batches:
                pending.append(pool.submit(guarded, batch))
                while len(pending) > AHEAD:
                    results.append(pending.popleft().result())
            while pending:
                results.append(pending.popleft().result())
        finally:
            for future in pending:  # an error: the rest is not written
                future.cancel()
    return results
