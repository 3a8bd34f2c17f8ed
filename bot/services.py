"""The app's services, built once per app (or per worker) and shared by everything."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from flask import Flask, current_app

from bot.infra.config import Settings
from bot.infra.db import Database
from handlers.routing import Router
from bot.infra.sender import Sender
from bot.infra.store import Store, make_store


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Services:
    settings: Settings
    db: Database
    store: Store
    sender: Sender
    router: Router
    clock: Callable[[], datetime] = field(default=_utcnow)
    dispatcher: "object | None" = None

    @classmethod
    def build(cls, settings: Settings, router: Router | None = None) -> "Services":
        if router is None:
            from handlers import router as default_router
            router = default_router
        db = Database(settings.database_url)
        store = make_store(settings.redis_url)
        return cls(settings=settings, db=db, store=store, sender=Sender(settings, db, store), router=router)

    def close(self) -> None:
        if self.dispatcher is not None:
            self.dispatcher.shutdown()
        self.sender.close()
        self.db.engine.dispose()


def services(app: Flask | None = None) -> Services:
    return (app or current_app).extensions["portfolio"]
