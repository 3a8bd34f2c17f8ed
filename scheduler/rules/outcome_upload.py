"""課程學習成果上傳: the window at opening; before closing, unsent (未送出) and failed (認證失敗) items."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy.orm import Session

from bot.domain.stages import LAST_DAY, OPENING
from bot.infra.models import Course, Outcome, Student, Window
from bot.infra.vocab import OutcomeStatus, PersonKind, WindowKind
from messages import reminders
from scheduler.rules.base import Item, SweepContext, audience_students, items_for, reachable, stage_due, window_scope

RULE = WindowKind.outcome_upload.value
STAGES = (OPENING, "before", LAST_DAY)


def items(session: Session, window: Window, ctx: SweepContext) -> list[Item]:
    stage = stage_due(window, ctx, STAGES)
    if stage is None:
        return []
    term, deadline, scope = window.term.label, ctx.deadline(window), window_scope(window)
    student = PersonKind.student
    if stage.name == OPENING:
        rows = session.execute(reachable(audience_students(window), student, Student.id, RULE))
        return items_for(rows, RULE, scope, stage.name, student,
                         reminders.outcome_upload_opening(term, deadline, ctx.school.outcome_uploads_per_term), window.ends_at)
    stmt = (audience_students(window, Student.id, Outcome.status, Course.subject, Outcome.title, Outcome.reason)
            .join(Outcome, Outcome.student_id == Student.id).join(Course, Outcome.course_id == Course.id)
            .where(Course.term_id == window.term_id,
                   Outcome.status.in_([OutcomeStatus.draft, OutcomeStatus.failed]))
            .order_by(Student.id, Outcome.id))
    drafts: dict[tuple[int, str], int] = defaultdict(int)
    failed: dict[tuple[int, str], list[tuple[str, str, str]]] = defaultdict(list)
    for student_id, status, subject, title, reason, line_user_id in session.execute(
            reachable(stmt, student, Student.id, RULE)):
        who = (student_id, line_user_id)
        if status == OutcomeStatus.draft:
            drafts[who] += 1
        else:
            failed[who].append((subject, title, reason or ""))
    sections: dict[tuple, reminders.Section] = {}  # most students share theirs: built once for each

    def section(who: tuple[int, str]) -> reminders.Section:
        todo = (drafts.get(who, 0), tuple(failed.get(who, ())))
        found = sections.get(todo)
        if found is None:
            found = sections[todo] = reminders.outcome_upload_todo(term, deadline, todo[0], list(todo[1]))
        return found

    return [Item(RULE, scope, stage.name, student, sid, uid, section((sid, uid)), window.ends_at)
            for sid, uid in sorted(set(drafts) | set(failed))]
