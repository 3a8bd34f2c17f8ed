"""Runs each webhook event down the line: context -> router -> handler -> sender.

In "thread" mode events run on a small pool so /callback answers at once; `drain`
waits for the pool (tests and the demo use it). Events of one user run in order.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor, wait

from bot.context import EventContext
from bot.people import load_person
from bot.services import Services
from messages import common

log = logging.getLogger(__name__)


class Dispatcher:
    def __init__(self, services: Services, mode: str = "thread", workers: int = 8) -> None:
        self.services = services
        self.mode = mode
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="event") if mode == "thread" else None
        self._pending: set[Future] = set()
        self._user_locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def submit(self, event: dict) -> None:
        if self._pool is None:
            self.process(event)
            return
        future = self._pool.submit(self.process, event)
        with self._guard:
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _done(self, future: Future) -> None:
        with self._guard:
            self._pending.discard(future)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every submitted event has been handled and answered."""
        with self._guard:
            pending = set(self._pending)
        wait(pending, timeout=timeout)

    def _lock_for(self, user_id: str | None) -> threading.Lock:
        with self._guard:
            return self._user_locks.setdefault(user_id or "", threading.Lock())

    def process(self, event: dict) -> None:
        ctx = EventContext.from_event(event, self.services)
        try:
            with self._lock_for(ctx.user_id):
                messages = self.handle(ctx)
        except Exception:
            log.exception("handler failed for a %s event", ctx.type)
            messages = [common.try_again_later()]
        if messages and (ctx.reply_token or ctx.user_id):
            self.services.sender.reply(ctx.reply_token, messages, fallback_to=ctx.user_id)

    def handle(self, ctx: EventContext) -> list[dict]:
        """Route one event and return the messages to answer with."""
        services = self.services
        with services.db.session() as session:
            ctx.person = load_person(session, ctx.user_id)
            route = services.router.resolve(ctx)
            if route is None:
                return []
            if route.roles is not None and ctx.person is None:
                return [common.please_bind()]
            if route.roles is not None and not (route.roles & ctx.person.roles):
                return [common.not_for_your_role()]
            return route.handler(ctx, session)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
