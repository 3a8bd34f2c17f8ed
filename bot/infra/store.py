"""Short-lived shared state: webhook de-duplication, lockouts, conversation state, locks.

`RedisStore` when ``REDIS_URL`` is set (valid across processes); `MemoryStore` otherwise
(valid for one process only). Both offer the same small API.
"""
from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager
from typing import Iterator, Protocol


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

    def flush(self) -> None:
        with self._lock:
            self._data.clear()


_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class RedisStore:
    """The same API on Redis, so several web processes and workers agree."""

    def __init__(self, url: str, prefix: str = "pb:") -> None:
        import redis

        self.client = redis.Redis.from_url(url, decode_responses=True, socket_timeout=5, socket_connect_timeout=5)
        self.prefix = prefix
        self._release = self.client.register_script(_RELEASE)

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

    def acquire(self, name: str, ttl: int) -> str | None:
        token = uuid.uuid4().hex
        return token if self.client.set(self._k(f"lock:{name}"), token, nx=True, ex=ttl) else None

    def release(self, name: str, token: str) -> None:
        self._release(keys=[self._k(f"lock:{name}")], args=[token])

    def flush(self) -> None:
        for key in self.client.scan_iter(self.prefix + "*"):
            self.client.delete(key)


def make_store(redis_url: str | None) -> Store:
    return RedisStore(redis_url) if redis_url else MemoryStore()


@contextmanager
def held(store: Store, name: str, ttl: int) -> Iterator[bool]:
    """``with held(store, "sweep", 300) as got:`` — got is False when another holds it."""
    token = store.acquire(name, ttl)
    try:
        yield token is not None
    finally:
        if token is not None:
            store.release(name, token)
