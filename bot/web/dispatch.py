"""Runs each webhook event down the line: context -> router -> handler -> sender.

In "thread" mode events run on a pool so /callback answers at once; `drain` waits for
the pool (tests and the demo use it). Events of one user run one at a time and in the
order they came: while a worker is on a user's event, later events of that user queue
behind it and the same worker takes them next. The pool is sized for waiting on LINE,
not for CPU: a reply is a round trip to LINE (tens of milliseconds from Taiwan), and
the answers to a burst of messages must all go out well within a reply token's life.

What a process holds is bounded (``capacity``, MAX_EVENTS_IN_HAND): past it, the webhook still
stores every event (so nothing is lost and /callback still answers at once) but leaves it parked
in the database; the first web process with room takes it, oldest first. Once anything is parked,
new events queue behind it, so a user's events keep their order.
"""
from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from datetime import timedelta
from concurrent.futures import Future, ThreadPoolExecutor, wait

from bot.domain.people import STUDENT, keep_person, load_person
from bot.infra import intake
from bot.infra.services import Services
from handlers.context import EventContext
from handlers.routing import Router, Verdict
from messages import common

log = logging.getLogger(__name__)

RECOVER_EVERY = 15.0  # at most this many seconds between looks for events a dead process left
PARKED_EVERY = 0.05  # while events are parked, look for room this often
DONE_EVERY = 0.1  # answered events are marked done together, this often (one UPDATE for all)
WORKERS = 32  # threads mostly wait on LINE and the database (see the bench: bench/README.md)


def _user_of(event: dict) -> str | None:
    source = event.get("source")
    user = source.get("userId") if isinstance(source, dict) else None
    return user if isinstance(user, str) else None


class Dispatcher:
    def __init__(self, services: Services, router: Router, mode: str = "thread", workers: int = WORKERS,
                 capacity: int | None = None) -> None:
        self.services = services
        self.router = router
        self.mode = mode
        self.capacity = capacity or services.settings.max_events_in_hand  # MAX_EVENTS_IN_HAND
        self._in_hand = 0  # submitted and not yet finished
        self._parked = False  # this process left events parked that may not have been taken yet
        self._wake = threading.Event()
        self._answered: list[int] = []  # intake rows answered, not yet marked done
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="event") if mode == "thread" else None
        self._pending: set[Future] = set()
        # users with an event in hand -> their events waiting (each with its intake row id)
        self._queues: dict[str, deque[tuple[dict, int | None]]] = {}
        self._guard = threading.Lock()
        self._stop = threading.Event()
        self._recovery: threading.Thread | None = None
        self._marker: threading.Thread | None = None
        if self._pool is not None:
            self._marker = threading.Thread(target=self._mark_done_loop, name="event-done", daemon=True)
            self._marker.start()

    def start_recovery(self, every: float | None = None) -> None:
        """Now and every ``every`` seconds (default: half of EVENT_STALE_SECONDS, at most 15), take
        over events another (dead) process accepted and did not finish (``intake.claim_stale``)."""
        if self._pool is None or self._recovery is not None:
            return
        every = every or min(RECOVER_EVERY, self.services.settings.event_stale_seconds / 2)

        def loop() -> None:
            while not self._stop.is_set():
                self.recover()
                self._wake.wait(PARKED_EVERY if self._parked else every)
                self._wake.clear()
        self._recovery = threading.Thread(target=loop, name="event-recovery", daemon=True)
        self._recovery.start()

    def room(self) -> int:
        """How many more events this process takes now (none while its parked ones wait: order)."""
        if self._pool is None:
            return sys.maxsize  # inline: each is handled before the next comes
        with self._guard:
            return 0 if self._parked else max(0, self.capacity - self._in_hand)

    def parked(self, count: int) -> None:
        """The webhook stored ``count`` events parked: take them as soon as there is room."""
        if count:
            with self._guard:
                self._parked = True
            log.warning("%d webhook events parked: %d in hand (MAX_EVENTS_IN_HAND)", count, self._in_hand)
            self._wake.set()

    def recover(self) -> int:
        """Take parked events and those a process that died left unfinished, as many as there is
        room for; returns how many."""
        with self._guard:
            room = max(0, self.capacity - self._in_hand)
        if room == 0:
            return 0
        try:
            claimed = intake.claim_stale(self.services.db, self.services.clock(),
                                         timedelta(seconds=self.services.settings.event_stale_seconds), limit=room)
        except Exception as exc:
            log.warning("could not look for unfinished events (%s)", type(exc).__name__)
            return 0
        if len(claimed) < room:
            with self._guard:
                self._parked = False  # all taken (by this process or another)
        stale = sum(1 for _, _, had in claimed if had)
        if stale:
            log.warning("picking up %d events a stopped process accepted but did not answer", stale)
        for row_id, event, had in claimed:
            if had:  # its first process may have answered just before dying: like LINE's redelivery, a
                # refused reply token then means "already answered", and no push is sent.
                event = {**event, "deliveryContext": {**(event.get("deliveryContext") or {}), "isRedelivery": True}}
            self.submit(event, row_id)
        return len(claimed)

    def submit(self, event: dict, row_id: int | None = None) -> None:
        """Handle ``event`` (``row_id``: its intake row, marked done once it is answered)."""
        if self._pool is None:
            self.process(event, row_id)
            return
        user = _user_of(event)
        with self._guard:
            self._in_hand += 1
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
                self._in_hand -= 1
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
            with self._guard:
                self._in_hand -= 1
                if self._parked:
                    self._wake.set()
                if user is None:
                    return
                waiting = self._queues[user]
                if not waiting:
                    del self._queues[user]
                    return
                event, row_id = waiting.popleft()

    def _finished(self, future: Future) -> None:
        with self._guard:
            self._pending.discard(future)

    def _done(self, row_id: int | None) -> None:
        """The event was answered: marked done at once inline, else with the others of the next
        DONE_EVERY (a process dying meanwhile leaves them to recovery, which treats them as LINE's
        redeliveries: a used reply token is not followed by a push)."""
        if row_id is None:
            return
        with self._guard:
            self._answered.append(row_id)
        if self._pool is None:
            self.mark_done()

    def mark_done(self) -> None:
        with self._guard:
            ids, self._answered = self._answered, []
        if not ids:
            return
        try:
            intake.done(self.services.db, ids, self.services.clock())
        except Exception as exc:  # tried again next time; recovery would answer them again otherwise
            log.warning("could not mark %d events done (%s)", len(ids), type(exc).__name__)
            with self._guard:
                self._answered[:0] = ids

    def _mark_done_loop(self) -> None:
        while not self._stop.wait(DONE_EVERY):
            self.mark_done()

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until every submitted (and parked) event has been handled and answered."""
        deadline = time.monotonic() + timeout
        while True:
            with self._guard:
                pending = set(self._pending)
                parked = self._parked
            if not pending and not parked:
                self.mark_done()
                return
            left = deadline - time.monotonic()
            if left <= 0:
                return
            if pending:
                wait(pending, timeout=left)
            else:
                time.sleep(min(PARKED_EVERY, left))

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
        """Route one event and return the messages to answer with (the router's verdict decides).

        The person is found and the route decided in a unit of work that only reads
        (``Database.reading``: on PostgreSQL without BEGIN and COMMIT round trips); a route declared
        ``reads_only`` (我的進度, 說明 ...) is answered there too, any other in a transaction of its own.
        When the event matches a route with a prefetch (我的進度), the person is found by it, with the
        route's data in the same statement; the data reaches the handler only if that route answers."""
        db = self.services.db
        with db.reading() as session:
            likely = self.router.prefetching(ctx)
            if likely is None:
                ctx.person = load_person(session, ctx.user_id)
            else:
                ctx.person, ctx.prefetched = likely.prefetch(ctx, session)
            decision = self.router.decide(ctx)
            if decision is None:
                return []
            if decision.route is not likely:
                ctx.prefetched = None
            if decision.verdict == Verdict.unbound:
                return [common.please_bind()]
            if decision.verdict == Verdict.not_enrolled:
                return [common.not_enrolled(ctx.person.enrolment)]
            if decision.verdict == Verdict.wrong_role:
                return [common.not_for_your_role(student=STUDENT in ctx.person.roles)]
            if decision.route.reads_only:
                return decision.route.handler(ctx, session)
        with db.session() as session:
            keep_person(session, ctx.person)
            return decision.route.handler(ctx, session)

    def shutdown(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._recovery is not None:
            self._recovery.join(timeout=5)
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        if self._marker is not None:
            self._marker.join(timeout=5)
        self.mark_done()
