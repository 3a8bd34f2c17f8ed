"""The services a process shares: settings, database, store and the one sender to LINE.

Built once per process by its composition root (``bot.create_app`` for web, the
``portfolio-bot`` click group for the CLI and the worker, ``start_demo`` for the demo)
and handed down; nothing below builds its own.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable, Protocol

from bot.infra.config import Settings
from bot.infra.db import Database
from bot.infra.sender import Sender
from bot.infra.store import Store, make_store


class EventRunner(Protocol):
    """What runs webhook events in a web process (``bot.web.dispatch.Dispatcher``)."""

    def submit(self, event: dict, row_id: int | None = None) -> None: ...
    def room(self) -> int: ...
    def parked(self, count: int) -> None: ...
    def drain(self, timeout: float = 10.0) -> None: ...
    def shutdown(self) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    settings: Settings
    db: Database
    store: Store
    sender: Sender
    clock: Callable[[], datetime] = field(default=_utcnow)
    dispatcher: EventRunner | None = None  # web processes only: set by create_app

    @classmethod
    def build(cls, settings: Settings) -> "Services":
        db = Database(settings.database_url)
        store = make_store(settings.redis_url)
        return cls(settings=settings, db=db, store=store, sender=Sender(settings, db, store))

    def close(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.shutdown()
        self.sender.close()
        self.db.dispose()
