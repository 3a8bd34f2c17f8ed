"""Status changes: an item an import turned 認證失敗 is told to its student once, with the reason.

Only the latest event of an outcome that is still failed, recorded within the look-back
(so a first import of old history does not flood anyone). Scope ``outcome_event:<id>``.
Whether the student can still send it again depends on the term's 課程學習成果上傳 window for
their class being open: after it, only teachers certify (seed: 「如於此區間「認證失敗」退回，學生將
無法重新送出認證」).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from bot.domain.audience import Audience
from bot.domain.queries.teacher import uploading
from bot.infra.models import STATUS_CHANGE, Course, Outcome, OutcomeEvent, SchoolClass, Student, Window
from bot.infra.vocab import OutcomeStatus, PersonKind, WindowKind
from messages import reminders
from scheduler.rules.base import Item, SweepContext, reachable

RULE = STATUS_CHANGE
STAGE = "once"
LOOKBACK = timedelta(days=30)


def _upload_windows(session: Session, ctx: SweepContext) -> list[tuple[int, Audience, datetime, datetime]]:
    """Every 課程學習成果上傳 window open now, as `uploading` reads them."""
    return [(t, Audience.from_db(a), s, e) for t, a, s, e in session.execute(
        select(Window.term_id, Window.audience, Window.starts_at, Window.ends_at).where(
            Window.kind == WindowKind.outcome_upload, Window.starts_at <= ctx.now, Window.ends_at > ctx.now))]


def items(session: Session, ctx: SweepContext) -> list[Item]:
    later = aliased(OutcomeEvent)
    windows = _upload_windows(session, ctx)

    stmt = (select(OutcomeEvent.id, Student.id, Course.subject, Outcome.title, OutcomeEvent.reason, Outcome.reason,
                   Course.term_id, SchoolClass.grade, SchoolClass.code)
            .select_from(OutcomeEvent)
            .join(Outcome, OutcomeEvent.outcome_id == Outcome.id)
            .join(Student, Outcome.student_id == Student.id)
            .join(SchoolClass, Student.class_id == SchoolClass.id)
            .join(Course, Outcome.course_id == Course.id)
            .where(OutcomeEvent.status == OutcomeStatus.failed, Outcome.status == OutcomeStatus.failed,
                   OutcomeEvent.recorded_at > ctx.now - LOOKBACK, OutcomeEvent.recorded_at <= ctx.now,
                   ~exists().where(later.outcome_id == OutcomeEvent.outcome_id, later.id > OutcomeEvent.id))
            .order_by(OutcomeEvent.id))
    return [Item(RULE, f"outcome_event:{event_id}", STAGE, PersonKind.student, student_id, uid,
                 reminders.outcome_failed(subject, title, event_reason or outcome_reason,
                                          uploading(windows, term_id, grade, class_code, ctx.now)))
            for event_id, student_id, subject, title, event_reason, outcome_reason, term_id, grade, class_code, uid
            in session.execute(reachable(stmt, PersonKind.student, Student.id, RULE))]
