"""The reminder rules, one module per window kind (plus status changes), and `collect`.

`collect` reads the open windows once and asks each window's rule for its items; every
rule uses a few set-based queries, so the number of statements grows with the number of
open windows, never with the number of students.
"""
from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.models import Window
from bot.infra.vocab import WindowKind
from scheduler.rules import (
    certification, certification_closed, outcome_upload, performance_upload, pick, receipt, status_change,
)
from scheduler.rules.base import Item, SweepContext

log = logging.getLogger(__name__)

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


def collect(session: Session, ctx: SweepContext) -> list[Item]:
    """Every reminder due now, before the ledger is consulted."""
    found: list[Item] = []
    for window in open_windows(session, ctx.now):
        try:
            found += RULES[window.kind](session, window, ctx)
        except ValueError as exc:  # a bad audience string: skip the window, keep the sweep
            log.error("window %s skipped: %s", window.id, exc)
    found += status_change.items(session, ctx)
    found += certification_closed.items(session, ctx)
    return found


__all__ = ["Item", "SweepContext", "collect", "open_windows", "MUTE_KIND", "RULES"]
