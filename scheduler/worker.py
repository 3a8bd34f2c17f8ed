"""The worker: APScheduler jobs wrapped behind a small API (`build_scheduler`, `run_forever`).

Jobs run under a store lock (Redis when configured) so several workers never run the
same job at once.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import delete, select, update

from bot.infra import intake
from bot.infra.models import OutboxMessage, ReminderLedger
from bot.infra.services import Services
from bot.infra.store import held

log = logging.getLogger(__name__)

OUTBOX_RETENTION_DAYS = 180
SWEEP_MINUTES = 5


JOB_LOCK_TTL = 30  # seconds; renewed while the job runs (``held``), so a crashed worker frees it quickly


def locked(services: Services, name: str, ttl: float, job: Callable[[], object]) -> Callable[[], None]:
    def run() -> None:
        with held(services.store, f"job:{name}", ttl) as got:
            if not got:
                log.info("job %s is running elsewhere; skipped", name)
                return
            job()
    return run


def retry_outbox(services: Services) -> int:
    """Deliver pushes left pending by a crash or an outage (same retry key)."""
    return services.sender.retry_pending(older_than_seconds=60)


def retention(services: Services) -> int:
    """Forget delivered pushes after the retention period (no personal data is kept longer), the
    personal data of students who left longer ago than the school's retention years, old console
    sign-in links and console audit entries older than two years."""
    from bot.domain import audit, console_access
    from bot.domain.retention import purge

    now = services.clock()
    cutoff = now - timedelta(days=OUTBOX_RETENTION_DAYS)
    with services.db.session() as session:
        purged = purge(session, now, services.settings.school.retention_years)
        if purged.students:
            log.info("retention: personal data of %d students who left removed", len(purged.students))
        console_access.forget_old(session, now)   # used or expired sign-in links
        audit.forget_old(session, now)            # console actions older than audit.AUDIT_DAYS
    intake.forget_old(services.db, now)          # webhook events older than a day (the redelivery window)
    with services.db.session() as session:
        stale = (OutboxMessage.status != "pending", OutboxMessage.created_at < cutoff)
        old = select(OutboxMessage.id).where(*stale)
        # The ledger keeps its rows (they stop reminders repeating); only the link to the send goes.
        session.execute(update(ReminderLedger).where(ReminderLedger.outbox_id.in_(old)).values(outbox_id=None)
                        .execution_options(synchronize_session=False))
        result = session.execute(delete(OutboxMessage).where(*stale))
        return result.rowcount or 0


def sweep(services: Services) -> object:
    """One reminder sweep (scheduler.sweep); the sweep takes its own lock too."""
    from scheduler.sweep import run_sweep

    report = run_sweep(services)
    if report.people or report.held or report.deferred or report.undelivered:
        log.info("sweep: %s", " | ".join(line.strip() for line in report.lines()))
    return report


def deemed(services: Services) -> int:
    """Unconfirmed receipt batches of closed windows become deemed confirmed (視為確認)."""
    from scheduler.deemed import deem_confirmed

    return deem_confirmed(services)


def add_jobs(scheduler: BaseScheduler, services: Services) -> BaseScheduler:
    """Retries every minute, a sweep every SWEEP_MINUTES, deemed confirmation and retention daily.

    The sweep and the deemed confirmation also run once at start, so a worker back from
    downtime catches up at once (the sweep sends only stages still worth sending).
    """
    started = datetime.now(timezone.utc)
    scheduler.add_job(locked(services, "outbox", JOB_LOCK_TTL, lambda: retry_outbox(services)),
                      "interval", minutes=1, id="outbox", max_instances=1, coalesce=True)
    scheduler.add_job(locked(services, "deemed", JOB_LOCK_TTL, lambda: deemed(services)),
                      "cron", hour=0, minute=5, id="deemed", max_instances=1, coalesce=True,
                      next_run_time=started)
    scheduler.add_job(locked(services, "sweep", JOB_LOCK_TTL, lambda: sweep(services)),
                      "interval", minutes=SWEEP_MINUTES, id="sweep", max_instances=1, coalesce=True,
                      next_run_time=started + timedelta(seconds=2))
    scheduler.add_job(locked(services, "retention", JOB_LOCK_TTL, lambda: retention(services)),
                      "cron", hour=3, minute=15, id="retention", max_instances=1, coalesce=True)
    return scheduler


def build_scheduler(services: Services, background: bool = False) -> BaseScheduler:
    cls = BackgroundScheduler if background else BlockingScheduler
    return add_jobs(cls(timezone=services.settings.tz), services)


def run_forever(services: Services) -> None:
    logging.getLogger("scheduler").setLevel(logging.INFO)  # each sweep's summary (ids and counts only)
    log.info("worker started")
    build_scheduler(services).start()
