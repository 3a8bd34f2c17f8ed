"""收訖明細確認: students with an unconfirmed batch at opening and on the last day;
homeroom teachers get their class's unconfirmed list each morning of the window. A batch with a 疑義
open waits for the office, not the student: neither is told about it (AWAITING_STUDENT)."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from bot.domain.queries.awaiting import AWAITING_STUDENT
from bot.infra.models import ReceiptBatch, SchoolClass, Student, Window
from bot.infra.vocab import PersonKind, WindowKind
from messages import reminders
from scheduler.rules.base import (Item, SweepContext, audience_students, homeroom_teachers, items_for, reachable,
                                  stage_due, window_scope)
from bot.domain.stages import LAST_DAY, OPENING, daily_stage

RULE = WindowKind.receipt.value
HOMEROOM_RULE = "receipt_homeroom"
STAGES = (OPENING, LAST_DAY)


def unconfirmed(window: Window, *columns):
    return (audience_students(window, *columns)
            .join(ReceiptBatch, ReceiptBatch.student_id == Student.id)
            .where(ReceiptBatch.term_id == window.term_id, AWAITING_STUDENT))


def items(session: Session, window: Window, ctx: SweepContext) -> list[Item]:
    term, deadline, scope = window.term.label, ctx.deadline(window), window_scope(window)
    found: list[Item] = []
    stage = stage_due(window, ctx, STAGES)
    if stage is not None:
        rows = session.execute(reachable(unconfirmed(window), PersonKind.student, Student.id, RULE))
        found += items_for(rows, RULE, scope, stage.name, PersonKind.student,
                           reminders.receipt_todo(term, deadline, stage.name == LAST_DAY), window.ends_at)
    day = daily_stage(window.starts_at, window.ends_at, ctx.now, ctx.cfg, ctx.tz)
    if day is not None:
        found += homeroom_items(session, window, ctx, day.name)
    return found


def homeroom_items(session: Session, window: Window, ctx: SweepContext, stage: str) -> list[Item]:
    by_class: dict[int, list[tuple[int, str]]] = defaultdict(list)
    codes: dict[int, str] = {}
    for class_id, code, seat, name in session.execute(
            unconfirmed(window, Student.class_id, SchoolClass.code, Student.seat, Student.name)
            .order_by(SchoolClass.code, Student.seat)):
        by_class[class_id].append((seat, name))
        codes[class_id] = code
    if not by_class:
        return []
    term, deadline, scope = window.term.label, ctx.deadline(window), window_scope(window)
    return [Item(HOMEROOM_RULE, scope, stage, PersonKind.teacher, teacher_id, uid,
                 reminders.receipt_class_list(term, deadline, codes[class_id], by_class[class_id]), window.ends_at)
            for teacher_id, class_id, uid in homeroom_teachers(session, window, RULE)
            if class_id in by_class]
