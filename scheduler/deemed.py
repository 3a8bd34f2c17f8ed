"""視為確認: when a 收訖明細確認 window has closed, what is still unconfirmed counts as confirmed.

Seed (the regulation): 「逾公告期間未確認，或未向學校提出疑義者，視為已確認」. Unconfirmed batches
of the window's term whose student is in the window's audience and that carry no 疑義 still being
handled get ``confirmed_how='deemed'`` and ``confirmed_at`` = the window's end; nobody is asked
to confirm them again. One UPDATE per closed window; safe to run any number of times.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import exists, select, update

from bot.infra.models import Objection, ReceiptBatch, SchoolClass, Student, Window
from bot.infra.services import Services
from bot.infra.vocab import WindowKind
from scheduler.rules.audience import audience_where

log = logging.getLogger(__name__)

DEEMED = "deemed"
OBJECTION_OPEN = exists().where(Objection.batch_id == ReceiptBatch.id, Objection.resolved_at.is_(None))


def deem_confirmed(services: Services, now: datetime | None = None) -> int:
    """Mark unconfirmed batches of closed receipt windows as deemed confirmed; returns how many."""
    now = now or services.clock()
    total = 0
    with services.db.session() as session:
        windows = session.scalars(select(Window).where(
            Window.kind == WindowKind.receipt, Window.ends_at <= now).order_by(Window.id)).all()
        for window in windows:
            try:
                audience = audience_where(window.audience)
            except ValueError as exc:
                log.error("window %s skipped: %s", window.id, exc)
                continue
            students = select(Student.id).join(SchoolClass, Student.class_id == SchoolClass.id).where(audience)
            result = session.execute(
                update(ReceiptBatch)
                .where(ReceiptBatch.term_id == window.term_id, ReceiptBatch.confirmed_at.is_(None),
                       ReceiptBatch.student_id.in_(students), ~OBJECTION_OPEN)
                .values(confirmed_at=window.ends_at, confirmed_how=DEEMED)
                .execution_options(synchronize_session=False))
            total += result.rowcount or 0
    if total:
        log.info("%s receipt batches deemed confirmed", total)
    return total
