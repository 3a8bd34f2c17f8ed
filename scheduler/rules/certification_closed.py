"""When a 課程學習成果認證 window closes with items still 待認證: each student concerned is told once.

Those items were not certified in time, so they cannot be picked (勾選 takes only certified items:
「勾選 6 件 ★ 需教師認證」). The notice falls due at the first send time after the close and goes
out with whatever else the student is owed (one digest). Windows closed within the look-back only,
so a first import of old terms tells nobody. Scope ``window:<id>``, stage ``closed``.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.stages import opening_moment
from bot.infra.models import Course, Outcome, Student, Window
from bot.infra.vocab import OutcomeStatus, PersonKind, WindowKind
from messages import reminders
from scheduler.rules.base import Item, SweepContext, audience_students, reachable, window_scope

RULE = "certification_closed"
MUTE_KIND = "status_change"  # muted with the other news about the student's own items
STAGE = "closed"
LOOKBACK = timedelta(days=14)


def closed_windows(session: Session, ctx: SweepContext) -> list[Window]:
    """Certification windows that closed within the look-back and whose notice is due now."""
    windows = session.scalars(select(Window).where(
        Window.kind == WindowKind.certification, Window.ends_at <= ctx.now,
        Window.ends_at > ctx.now - LOOKBACK).order_by(Window.id)).all()
    return [w for w in windows if opening_moment(w.ends_at, ctx.cfg, ctx.tz) <= ctx.now]


def items(session: Session, ctx: SweepContext) -> list[Item]:
    found: list[Item] = []
    for window in closed_windows(session, ctx):
        stmt = (audience_students(window, Student.id, Course.subject, Outcome.title)
                .join(Outcome, Outcome.student_id == Student.id).join(Course, Outcome.course_id == Course.id)
                .where(Course.term_id == window.term_id, Outcome.status == OutcomeStatus.pending)
                .order_by(Student.id, Course.subject, Outcome.id))
        missed: dict[tuple[int, str], list[tuple[str, str]]] = defaultdict(list)
        for student_id, subject, title, line_user_id in session.execute(
                reachable(stmt, PersonKind.student, Student.id, MUTE_KIND)):
            missed[(student_id, line_user_id)].append((subject, title))
        term, deadline = window.term.label, ctx.deadline(window)
        found += [Item(RULE, window_scope(window), STAGE, PersonKind.student, sid, uid,
                       reminders.certification_missed(term, deadline, got))
                  for (sid, uid), got in missed.items()]
    return found
