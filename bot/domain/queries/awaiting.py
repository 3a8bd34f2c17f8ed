"""Which 收訖明細 batches wait for the student: not confirmed (nor deemed) and no 疑義 open on them.

While a 疑義 is open the student cannot confirm the batch (seed: 「逾公告期間未確認，或未向學校提出疑義者，
視為已確認」: raising one is the student's answer), so they are neither reminded to confirm it nor listed
to their 導師 as not having confirmed; the office has the next move.
"""
from __future__ import annotations

from sqlalchemy import and_, exists

from bot.infra.models import Objection, ReceiptBatch

OPEN_OBJECTION = exists().where(Objection.batch_id == ReceiptBatch.id, Objection.resolved_at.is_(None))
AWAITING_STUDENT = and_(ReceiptBatch.confirmed_at.is_(None), ~OPEN_OBJECTION)
