"""Runs each webhook event down the line: context -> router -> handler -> sender.

In "thread" mode events run on a pool so /callback answers at once; `drain` waits for
the pool (tests and the demo use it). Events of one user run one at a time and in the
order they came: while a worker is on a user's event, later events of that user queue
behind it and the same worker takes them next. The pool is sized for waiting on LINE,
not for CPU: a reply is a round trip to LINE (tens of milliseconds from Taiwan), and
the answers to a burst of messages must all go out well within a reply token's life.
"""
from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor, wait

from bot.domain.people import STUDENT, load_person
from bot.infra.services import Services
from handlers.context import EventContext
from handlers.routing import Router, Verdict
from messages import common

log = logging.getLogger(__name__)

WORKERS = 32  # threads mostly wait on LINE and the database (see the bench: bench/README.md)


def _user_of(event: dict) -> str | None:
    source = event.get("source")
    user = source.get("userId") if isinstance(source, dict) else None
    return user if isinstance(user, str) else None


class Dispatcher:
    def __init__(self, services: Services, router: Router, mode: str = "thread", workers: int = WORKERS) -> None:
        self.services = services
        self.router = router
        self.mode = mode
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="event") if mode == "thread" else None
        self._pending: set[Future] = set()
        self._queues: dict[str, deque[dict]] = {}  # users with an event in hand -> their events waiting
        self._guard = threading.Lock()

    def submit(self, event: dict) -> None:
        if self._pool is None:
            self.process(event)
            return
        user = _user_of(event)
        with self._guard:
            if user is not None:
                waiting = self._queues.get(user)
                if waiting is not None:  # a worker is on this user: it takes this one next
                    waiting.append(event)
                    return
                self._queues[user] = deque()
            try:
                future = self._pool.submit(self._run, user, event)
            except RuntimeError:  # shutting down
                self._queues.pop(user, None)
                raise
            self._pending.add(future)
        future.add_done_callback(self._done)

    def _run(self, user: str | None, event: dict) -> None:
        """Process ``event``, then the user's events that queued meanwhile, in order."""
        while True:
            try:
                self.process(event)
            except Exception:  # never leave the user's queue stuck
                log.exception("event processing failed")
            if user is None:
                return
            with self._guard:
                waiting = self._queues[user]
                if not waiting:
                    del self._queues[user]
                    return
                event = waiting.popleft()

    def _done(self, future: Future) -> None:
        with self._guard:
            self._pending.discard(future)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every submitted event has been handled and answered."""
        with self._guard:
            pending = set(self._pending)
        wait(pending, timeout=timeout)

    def process(self, event: dict) -> None:
        ctx = EventContext.from_event(event, self.services)
        try:
            messages = self.handle(ctx)
        except Exception:
            log.exception("handler failed for a %s event", ctx.type)
            messages = [common.try_again_later()]
            ctx.after_reply.clear()  # the handler's transaction was rolled back
        if messages and (ctx.reply_token or ctx.user_id):
            sender = self.services.sender
            result = sender.reply(ctx.reply_token, messages, fallback_to=ctx.user_id)
            if result.status == "refused":  # over LINE's limits (a builder's bug): never silence
                sender.reply(ctx.reply_token, [common.try_again_later()], fallback_to=ctx.user_id)
        for job in ctx.after_reply:
            try:
                job()
            except Exception:
                log.exception("after-reply work failed for a %s event", ctx.type)

    def handle(self, ctx: EventContext) -> list[dict]:
        """Route one event and return the messages to answer with (the router's verdict decides)."""
        with self.services.db.session() as session:
            ctx.person = load_person(session, ctx.user_id)
            decision = self.router.decide(ctx)
            if decision is None:
                return []
            if decision.verdict == Verdict.unbound:
                return [common.please_bind()]
            if decision.verdict == Verdict.not_enrolled:
                return [common.not_enrolled(ctx.person.enrolment)]
            if decision.verdict == Verdict.wrong_role:
                return [common.not_for_your_role(student=STUDENT in ctx.person.roles)]
            return decision.route.handler(ctx, session)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
