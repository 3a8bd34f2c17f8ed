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
from datetime import timedelta
from concurrent.futures import Future, ThreadPoolExecutor, wait

from bot.domain.people import STUDENT, load_person
from bot.infra import intake
from bot.infra.services import Services
from handlers.context import EventContext
from handlers.routing import Router, Verdict
from messages import common

log = logging.getLogger(__name__)

RECOVER_EVERY = 15.0  # at most this many seconds between looks for events a dead process left
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
        # users with an event in hand -> their events waiting (each with its intake row id)
        self._queues: dict[str, deque[tuple[dict, int | None]]] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._recovery: threading.Thread | None = None

    def start_recovery(self, every: float | None = None) -> None:
        """Now and every ``every`` seconds (default: half of EVENT_STALE_SECONDS, at most 15), take
        over events another (dead) process accepted and did not finish (``intake.claim_stale``)."""
        if self._pool is None or self._recovery is not None:
            return
        every = every or min(RECOVER_EVERY, self.services.settings.event_stale_seconds / 2)

        def loop() -> None:
            while True:
                self.recover()
                if self._stop.wait(every):
                    return
        self._recovery = threading.Thread(target=loop, name="event-recovery", daemon=True)
        self._recovery.start()

    def recover(self) -> int:
        """Handle the events left unfinished by a process that died; returns how many."""
        try:
            claimed = intake.claim_stale(self.services.db, self.services.clock(),
                                         timedelta(seconds=self.services.settings.event_stale_seconds))
        except Exception as exc:
            log.warning("could not look for unfinished events (%s)", type(exc).__name__)
            return 0
        if claimed:
            log.warning("picking up %d events a stopped process accepted but did not answer", len(claimed))
        for row_id, event in claimed:
            # Its first process may have answered just before dying: like LINE's redelivery, a
            # refused reply token then means "already answered", and no push is sent.
            self.submit({**event, "deliveryContext": {**(event.get("deliveryContext") or {}), "isRedelivery": True}},
                        row_id)
        return len(claimed)

    def submit(self, event: dict, row_id: int | None = None) -> None:
        """Handle ``event`` (``row_id``: its intake row, marked done once it is answered)."""
        if self._pool is None:
            self.process(event, row_id)
            return
        user = _user_of(event)
        with self._guard:
            if user is not None:
                waiting = self._queues.get(user)
                if waiting is not None:  # a worker is on this user: it takes this one next
                    waiting.append((event, row_id))
                    return
                self._queues[user] = deque()
            try:
                future = self._pool.submit(self._run, user, event, row_id)
            except RuntimeError:  # shutting down
                self._queues.pop(user, None)
                raise
            self._pending.add(future)
        future.add_done_callback(self._finished)

    def _run(self, user: str | None, event: dict, row_id: int | None) -> None:
        """Process ``event``, then the user's events that queued meanwhile, in order."""
        while True:
            try:
                self.process(event, row_id)
            except Exception:  # never leave the user's queue stuck
                log.exception("event processing failed")
            if user is None:
                return
            with self._guard:
                waiting = self._queues[user]
                if not waiting:
                    del self._queues[user]
                    return
                event, row_id = waiting.popleft()

    def _finished(self, future: Future) -> None:
        with self._guard:
            self._pending.discard(future)

    def _done(self, row_id: int | None) -> None:
        try:
            intake.done(self.services.db, row_id, self.services.clock())
        except Exception as exc:  # it will be answered again by recovery: better than never
            log.warning("could not mark event #%s done (%s)", row_id, type(exc).__name__)

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every submitted event has been handled and answered."""
        with self._guard:
            pending = set(self._pending)
        wait(pending, timeout=timeout)

    def process(self, event: dict, row_id: int | None = None) -> None:
        """Answer one event; its intake row is marked done right after the answer went out (a
        process dying before that leaves it for ``recover``)."""
        try:
            ctx = EventContext.from_event(event, self.services)
        except Exception:  # the webhook checks each event's shape; this is the last guard
            log.exception("an event could not be read and was skipped")
            self._done(row_id)
            return
        try:
            messages = self.handle(ctx)
        except Exception:
            log.exception("handler failed for a %s event", ctx.type)
            messages = [common.try_again_later()]
            ctx.after_reply.clear()  # the handler's transaction was rolled back
        if messages and (ctx.reply_token or ctx.user_id):
            sender = self.services.sender
            result = sender.reply(ctx.reply_token, messages, fallback_to=ctx.user_id, redelivered=ctx.redelivered)
            if result.status == "refused":  # over LINE's limits (a builder's bug): never silence
                sender.reply(ctx.reply_token, [common.try_again_later()], fallback_to=ctx.user_id)
        self._done(row_id)
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
        self._stop.set()
        if self._recovery is not None:
            self._recovery.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
