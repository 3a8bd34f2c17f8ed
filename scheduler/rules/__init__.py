"""The reminder rules, one module per window kind (plus status changes), and `collect`.

`collect` reads the open windows once and asks each window's rule for its items; every
rule uses a few set-based queries, so the number of statements grows with the number of
open windows, never with the number of students. Given read-only sessions (PostgreSQL), it
runs the rules COLLECTORS at a time, each on its own connection: while one rule's query runs
in the database, another turns its rows into items (a 100,000-student sweep spent about a
second in each, one after the other).
"""
from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from typing import Callable, ContextManager

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.models import Window
from bot.infra.vocab import WindowKind
from scheduler.rules import (
    certification, certification_closed, outcome_upload, performance_upload, pick, receipt, status_change,
)
from scheduler.rules.base import Item, SweepContext

log = logging.getLogger(__name__)

COLLECTORS = 2  # rules run at once when each has its own session: one in the database, one in Python

RULES: dict[WindowKind, Callable[[Session, Window, SweepContext], list[Item]]] = {
    WindowKind.outcome_upload: outcome_upload.items,
    WindowKind.certification: certification.items,
    WindowKind.performance_upload: performance_upload.items,
    WindowKind.pick: pick.items,
    WindowKind.receipt: receipt.items,
}

# Each ledger rule and the reminder kind a person mutes to stop it.
MUTE_KIND: dict[str, str] = {
    outcome_upload.RULE: outcome_upload.RULE,
    certification.RULE: certification.RULE, certification.PROXY_RULE: certification.RULE,
    certification.OFFICE_RULE: certification.RULE,
    performance_upload.RULE: performance_upload.RULE,
    pick.RULE: pick.RULE, pick.HOMEROOM_RULE: pick.RULE,
    receipt.RULE: receipt.RULE, receipt.HOMEROOM_RULE: receipt.RULE,
    status_change.RULE: status_change.RULE, certification_closed.RULE: certification_closed.MUTE_KIND,
}


def open_windows(session: Session, now: datetime) -> list[Window]:
    """The windows open at ``now`` (one query)."""
    return list(session.scalars(
        select(Window).where(Window.starts_at <= now, Window.ends_at > now).order_by(Window.id)))


def collect(session: Session, ctx: SweepContext,
            reading: Callable[[], ContextManager[Session]] | None = None) -> list[Item]:
    """Every reminder due now, before the ledger is consulted. With ``reading`` (a read-only session
    of its own for each rule, e.g. ``Database.reading``), the rules run concurrently; the items come
    in the same order either way: window by window, then status changes, then closed certification."""
    jobs: list[Callable[[Session], list[Item]]] = [
        partial(_window_items, window, ctx) for window in open_windows(session, ctx.now)]  # term loaded with it
    jobs += [partial(status_change.items, ctx=ctx), partial(certification_closed.items, ctx=ctx)]
    if reading is None:
        return [item for job in jobs for item in job(session)]

    def run(job: Callable[[Session], list[Item]]) -> list[Item]:
        with reading() as own:
            return job(own)

    with ThreadPoolExecutor(COLLECTORS, thread_name_prefix="collect") as pool:
        return [item for found in pool.map(run, jobs) for item in found]


def _window_items(window: Window, ctx: SweepContext, session: Session) -> list[Item]:
    try:
        return RULES[window.kind](session, window, ctx)
    except ValueError as exc:  # a bad audience string: skip the window, keep the sweep
        log.error("window %s skipped: %s", window.id, exc)
        return []


__all__ = ["Item", "SweepContext", "collect", "open_windows", "MUTE_KIND", "RULES"]
