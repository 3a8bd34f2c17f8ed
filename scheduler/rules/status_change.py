"""Status changes: an item an import turned 認證失敗 is told to its student once, with the reason.

Only the latest event of an outcome that is still failed, recorded within the look-back
(so a first import of old history does not flood anyone). Scope ``outcome_event:<id>``.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from bot.infra.models import STATUS_CHANGE, Course, Outcome, OutcomeEvent, Student
from bot.infra.vocab import OutcomeStatus, PersonKind
from messages import reminders
from scheduler.rules.base import Item, SweepContext, reachable

RULE = STATUS_CHANGE
STAGE = "once"
LOOKBACK = timedelta(days=30)


def items(session: Session, ctx: SweepContext) -> list[Item]:
    later = aliased(OutcomeEvent)
    stmt = (select(OutcomeEvent.id, Student.id, Course.subject, Outcome.title, OutcomeEvent.reason, Outcome.reason)
            .select_from(OutcomeEvent)
            .join(Outcome, OutcomeEvent.outcome_id == Outcome.id)
            .join(Student, Outcome.student_id == Student.id)
            .join(Course, Outcome.course_id == Course.id)
            .where(OutcomeEvent.status == OutcomeStatus.failed, Outcome.status == OutcomeStatus.failed,
                   OutcomeEvent.recorded_at > ctx.now - LOOKBACK, OutcomeEvent.recorded_at <= ctx.now,
                   ~exists().where(later.outcome_id == OutcomeEvent.outcome_id, later.id > OutcomeEvent.id))
            .order_by(OutcomeEvent.id))
    return [Item(RULE, f"outcome_event:{event_id}", STAGE, PersonKind.student, student_id, uid,
                 reminders.outcome_failed(subject, title, event_reason or outcome_reason))
            for event_id, student_id, subject, title, event_reason, outcome_reason, uid in session.execute(
                reachable(stmt, PersonKind.student, Student.id, RULE))]
