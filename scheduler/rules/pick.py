"""勾選: students who have items this school year but picked none (per kind: outcomes,
performances); before closing, homeroom teachers get their class's list."""
from __future__ import annotations

from collections import defaultdict
from operator import attrgetter

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from bot.domain.queries.picks import pick_outcomes, pick_performances
from bot.infra.models import SchoolClass, Student, Window
from bot.infra.vocab import PersonKind, WindowKind
from messages import reminders
from scheduler.rules.base import (Item, SweepContext, audience_students, homeroom_teachers, reachable_or_none,
                                  stage_due, window_scope)
from bot.domain.stages import LAST_DAY, OPENING

RULE = WindowKind.pick.value
HOMEROOM_RULE = "pick_homeroom"
STAGES = (OPENING, "before", LAST_DAY)


def _to_pick(stmt, year: int):
    """``stmt`` (over Student) outer-joined to the year's pick subqueries (one grouped pass each, not a
    correlated query per student): adds (outcomes to pick, performances to pick) and keeps the
    students with either."""
    o, p = pick_outcomes(year), pick_performances(year)
    need_outcomes = and_(o.c.student_id.is_not(None), o.c.picked == 0)
    need_performances = and_(p.c.student_id.is_not(None), p.c.picked == 0)
    return (stmt.add_columns(need_outcomes.label("need_outcomes"), need_performances.label("need_performances"))
            .outerjoin(o, o.c.student_id == Student.id).outerjoin(p, p.c.student_id == Student.id)
            .where(or_(need_outcomes, need_performances)))


def items(session: Session, window: Window, ctx: SweepContext) -> list[Item]:
    """One query for both lists: every audience student with something to pick, with their LINE user
    id when they can be reminded (the picks are grouped over the year once, not once per list)."""
    stage = stage_due(window, ctx, STAGES)
    if stage is None:
        return []
    year, deadline, scope = window.term.year, ctx.deadline(window), window_scope(window)
    stmt = reachable_or_none(
        _to_pick(audience_students(window, Student.id, Student.class_id, SchoolClass.code, Student.seat,
                                   Student.name), year),
        PersonKind.student, Student.id, RULE).order_by(SchoolClass.code, Student.seat, Student.id)
    found: list[Item] = []
    sections: dict[tuple[bool, bool], reminders.Section] = {}  # four at most, whatever the number of students
    by_class: dict[int, list[tuple[int, str, bool, bool]]] = defaultdict(list)
    codes: dict[int, str] = {}
    for student_id, class_id, code, seat, name, outcomes, performances, uid in session.execute(stmt):
        need = (bool(outcomes), bool(performances))
        by_class[class_id].append((seat, name, *need))
        codes[class_id] = code
        if uid is None:
            continue
        section = sections.get(need)
        if section is None:
            section = sections[need] = (reminders.pick_opening(year, deadline) if stage.name == OPENING
                                        else reminders.pick_todo(year, deadline, *need))
        found.append(Item(RULE, scope, stage.name, PersonKind.student, student_id, uid, section, window.ends_at))
    found.sort(key=attrgetter("person_id"))
    if stage.name != OPENING and by_class:
        found += [Item(HOMEROOM_RULE, scope, stage.name, PersonKind.teacher, teacher_id, uid,
                       reminders.pick_class_list(year, deadline, codes[class_id], by_class[class_id]),
                       window.ends_at)
                  for teacher_id, class_id, uid in homeroom_teachers(session, window, RULE)
                  if class_id in by_class]
    return found
