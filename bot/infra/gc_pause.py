"""Pause Python's cyclic garbage collector while a big batch job builds what it then drops whole.

A 100,000-student sweep holds some two million live objects (items, recipients, messages) while it
plans and records. Every time the youngest generation fills, the collector runs, and each full
collection walks all of them again: about 2 s of a 14 s sweep, finding almost nothing, because
what the sweep makes holds no reference cycles (bench/README.md, issue #12 item 10). Reference
counting still frees everything as usual while paused; only cycles wait, and one collection runs
when the pause ends. Nested pauses and a collector already disabled by someone else are left as
they were.
"""
from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from typing import Iterator

_lock = threading.Lock()
_depth = 0
_was_enabled = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable the cyclic collector inside the block (the whole process: collection is global)."""
    global _depth, _was_enabled
    with _lock:
        if _depth == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            restore = _depth == 0 and _was_enabled
            if restore:
                gc.enable()
        if restore:
            gc.collect(1)  # what piled up in the young generations while paused
