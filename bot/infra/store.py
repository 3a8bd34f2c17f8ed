"""Short-lived shared state: webhook de-duplication, lockouts, conversation state, locks.

`RedisStore` when ``REDIS_URL`` is set (valid across processes); `MemoryStore` otherwise
(valid for one process only). Both offer the same small API.
"""
from __future__ import annotations

import logging
import threading
import time
import uuid
from contextlib import contextmanager
from typing import Iterator, Protocol

log = logging.getLogger(__name__)


class Store(Protocol):
    def add_once(self, key: str, ttl: int) -> bool:
        """Set ``key`` only if absent (SET NX EX); True when this call set it."""

    def get(self, key: str) -> str | None: ...

    def set(self, key: str, value: str, ttl: int) -> None: ...

    def delete(self, key: str) -> None: ...

    def incr(self, key: str, ttl: int) -> int:
        """Increment a counter; its expiry starts at the first increment."""

    def ping(self) -> bool: ...

    def acquire(self, name: str, ttl: int) -> str | None:
        """Take a named lock; returns a token, or None if someone else holds it."""

    def release(self, name: str, token: str) -> None: ...

    def renew(self, name: str, token: str, ttl: int) -> bool:
        """Extend a lock this token holds by ``ttl`` seconds; False if it is no longer ours."""


class MemoryStore:
    """An in-process store with expiry (one process only)."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        if item[1] <= time.monotonic():
            del self._data[key]
            return None
        return item[0]

    def add_once(self, key: str, ttl: int) -> bool:
        with self._lock:
            if self._live(key) is not None:
                return False
            self._data[key] = ("1", time.monotonic() + ttl)
            return True

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._live(key)

    def set(self, key: str, value: str, ttl: int) -> None:
        with self._lock:
            self._data[key] = (value, time.monotonic() + ttl)

    def delete(self, key: str) -> None:
        with self._lock:
            self._data.pop(key, None)

    def incr(self, key: str, ttl: int) -> int:
        with self._lock:
            current = self._live(key)
            if current is None:
                self._data[key] = ("1", time.monotonic() + ttl)
                return 1
            value = int(current) + 1
            self._data[key] = (str(value), self._data[key][1])
            return value

    def ping(self) -> bool:
        return True

    def acquire(self, name: str, ttl: int) -> str | None:
        token = uuid.uuid4().hex
        with self._lock:
            if self._live(f"lock:{name}") is not None:
                return None
            self._data[f"lock:{name}"] = (token, time.monotonic() + ttl)
            return token

    def release(self, name: str, token: str) -> None:
        with self._lock:
            if self._live(f"lock:{name}") == token:
                del self._data[f"lock:{name}"]

    def renew(self, name: str, token: str, ttl: int) -> bool:
        with self._lock:
            if self._live(f"lock:{name}") != token:
                return False
            self._data[f"lock:{name}"] = (token, time.monotonic() + ttl)
            return True

    def flush(self) -> None:
        with self._lock:
            self._data.clear()


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0
"""


class RedisStore:
    """The same API on Redis, so several web processes and workers agree.

    Calls give up after TIMEOUT seconds; after a failure the store answers "unavailable" at once for
    COOL_DOWN seconds instead of making every caller wait on a hung server again."""

    TIMEOUT = 1.0
    COOL_DOWN = 10.0

    def __init__(self, url: str, prefix: str = "pb:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=self.TIMEOUT,
                                           socket_connect_timeout=self.TIMEOUT)
        self._down_until = 0.0
        for name in ("add_once", "get", "set", "delete", "incr", "acquire", "release", "renew"):
            setattr(self, name, self._guarded(getattr(self, name)))
        self.prefix = prefix
        self._release = self.client.register_script(_RELEASE)
        self._renew = self.client.register_script(_RENEW)

    def _k(self, key: str) -> str:
        return self.prefix + key

    def add_once(self, key: str, ttl: int) -> bool:
        return bool(self.client.set(self._k(key), "1", nx=True, ex=ttl))

    def get(self, key: str) -> str | None:
        return self.client.get(self._k(key))

    def set(self, key: str, value: str, ttl: int) -> None:
        self.client.set(self._k(key), value, ex=ttl)

    def delete(self, key: str) -> None:
        self.client.delete(self._k(key))

    def incr(self, key: str, ttl: int) -> int:
        pipe = self.client.pipeline()
        pipe.incr(self._k(key))
        pipe.expire(self._k(key), ttl, nx=True)
        value, _ = pipe.execute()
        return int(value)

    def ping(self) -> bool:
        try:
            return bool(self.client.ping())
        except Exception:
            return False

    def _guarded(self, call):
        def guarded(*args, **kwargs):
            if time.monotonic() < self._down_until:
                raise ConnectionError("Redis did not answer a moment ago; not asking again yet")
            try:
                return call(*args, **kwargs)
            except Exception:
                self._down_until = time.monotonic() + self.COOL_DOWN
                raise
        return guarded

    def acquire(self, name: str, ttl: int) -> str | None:
        token = uuid.uuid4().hex
        return token if self.client.set(self._k(f"lock:{name}"), token, nx=True, px=int(ttl * 1000)) else None

    def release(self, name: str, token: str) -> None:
        self._release(keys=[self._k(f"lock:{name}")], args=[token])

    def renew(self, name: str, token: str, ttl: int) -> bool:
        return bool(self._renew(keys=[self._k(f"lock:{name}")], args=[token, int(ttl * 1000)]))

    def flush(self) -> None:
        for key in self.client.scan_iter(self.prefix + "*"):
            self.client.delete(key)


def make_store(redis_url: str | None) -> Store:
    return RedisStore(redis_url) if redis_url else MemoryStore()


@contextmanager
def held(store: Store, name: str, ttl: float) -> Iterator[bool]:
    """``with held(store, "sweep", 30) as got:`` — got is False when another holds it.

    While the block runs, a heartbeat renews the lock every ``ttl / 3`` seconds, so ``ttl`` can be
    short: a holder that dies (``kill -9``) frees the lock within ``ttl``, a live one keeps it as
    long as it works."""
    token = store.acquire(name, ttl)
    stop = threading.Event()
    beat = None
    if token is not None:
        def renew() -> None:
            while not stop.wait(ttl / 3):
                try:
                    if not store.renew(name, token, ttl):
                        log.warning("lock %s was lost while held", name)
                        return
                except Exception as exc:  # a store outage: try again at the next beat
                    log.warning("could not renew lock %s (%s)", name, type(exc).__name__)
        beat = threading.Thread(target=renew, name=f"lock-{name}", daemon=True)
        beat.start()
    try:
        yield token is not None
    finally:
        stop.set()
        if beat is not None:
            beat.join(timeout=5)
        if token is not None:
            store.release(name, token)
