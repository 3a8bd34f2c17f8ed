"""多元表現上傳: the window at opening; before closing, students with none this school year."""
from __future__ import annotations

from sqlalchemy import exists
from sqlalchemy.orm import Session

from bot.domain.stages import LAST_DAY, OPENING
from bot.infra.models import Performance, Student, Window
from bot.infra.vocab import PersonKind, WindowKind
from messages import reminders
from scheduler.rules.base import Item, SweepContext, audience_students, items_for, reachable, stage_due, window_scope

RULE = WindowKind.performance_upload.value
STAGES = (OPENING, "before", LAST_DAY)


def items(session: Session, window: Window, ctx: SweepContext) -> list[Item]:
    stage = stage_due(window, ctx, STAGES)
    if stage is None:
        return []
    term, deadline, scope = window.term.label, ctx.deadline(window), window_scope(window)
    stmt = audience_students(window)
    if stage.name == OPENING:
        section = reminders.performance_upload_opening(term, deadline, ctx.school)
    else:
        stmt = stmt.where(~exists().where(Performance.student_id == Student.id, Performance.year == window.term.year))
        section = reminders.performance_upload_none(term, deadline)
    rows = session.execute(reachable(stmt, PersonKind.student, Student.id, RULE))
    return items_for(rows, RULE, scope, stage.name, PersonKind.student, section, window.ends_at)
