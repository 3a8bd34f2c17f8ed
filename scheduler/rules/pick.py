"""勾選: students who have items this school year but picked none (per kind: outcomes,
performances); before closing, homeroom teachers get their class's list."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, exists, or_
from sqlalchemy.orm import Session

from bot.infra.models import Course, Outcome, Performance, SchoolClass, Student, Term, Window
from bot.infra.vocab import OutcomeStatus, PersonKind, WindowKind
from messages import reminders
from scheduler.rules.base import (Item, SweepContext, audience_students, homeroom_teachers, reachable, stage_due,
                                  window_scope)
from bot.domain.stages import LAST_DAY, OPENING

RULE = WindowKind.pick.value
HOMEROOM_RULE = "pick_homeroom"
STAGES = (OPENING, "before", LAST_DAY)


def _flags(year: int):
    """(outcomes to pick, performances to pick) as SQL conditions on Student."""
    def outcomes(*extra):
        return (exists().where(Outcome.student_id == Student.id, Outcome.status == OutcomeStatus.certified, *extra)
                .where(Outcome.course_id == Course.id, Course.term_id == Term.id, Term.year == year))

    def performances(*extra):
        return exists().where(Performance.student_id == Student.id, Performance.year == year, *extra)

    return (and_(outcomes(), ~outcomes(Outcome.picked.is_(True))),
            and_(performances(), ~performances(Performance.picked.is_(True))))


def items(session: Session, window: Window, ctx: SweepContext) -> list[Item]:
    stage = stage_due(window, ctx, STAGES)
    if stage is None:
        return []
    year, deadline, scope = window.term.year, ctx.deadline(window), window_scope(window)
    need_outcomes, need_performances = _flags(year)
    stmt = audience_students(window, Student.id, need_outcomes, need_performances).where(
        or_(need_outcomes, need_performances))
    found: list[Item] = []
    for student_id, outcomes, performances, uid in session.execute(
            reachable(stmt, PersonKind.student, Student.id, RULE).order_by(Student.id)):
        section = (reminders.pick_opening(year, deadline) if stage.name == OPENING
                   else reminders.pick_todo(year, deadline, bool(outcomes), bool(performances)))
        found.append(Item(RULE, scope, stage.name, PersonKind.student, student_id, uid, section, window.ends_at))
    if stage.name != OPENING:
        found += homeroom_items(session, window, ctx, stage.name)
    return found


def homeroom_items(session: Session, window: Window, ctx: SweepContext, stage: str) -> list[Item]:
    year, deadline, scope = window.term.year, ctx.deadline(window), window_scope(window)
    need_outcomes, need_performances = _flags(year)
    by_class: dict[int, list[tuple[int, str, bool, bool]]] = defaultdict(list)
    codes: dict[int, str] = {}
    for class_id, code, seat, name, outcomes, performances in session.execute(
            audience_students(window, Student.class_id, SchoolClass.code, Student.seat, Student.name,
                              need_outcomes, need_performances)
            .where(or_(need_outcomes, need_performances)).order_by(SchoolClass.code, Student.seat)):
        by_class[class_id].append((seat, name, bool(outcomes), bool(performances)))
        codes[class_id] = code
    if not by_class:
        return []
    return [Item(HOMEROOM_RULE, scope, stage, PersonKind.teacher, teacher_id, uid,
                 reminders.pick_class_list(year, deadline, codes[class_id], by_class[class_id]), window.ends_at)
            for teacher_id, class_id, uid in homeroom_teachers(session, window, RULE)
            if class_id in by_class]
