"""課程學習成果認證: subject teachers with items 待認證 in their courses (how many, from which
classes, the oldest wait, the deadline).

Who answers for a course comes from `bot.domain.queries.responsibility`: from the escalation
point on (``ESCALATE_DAYS_BEFORE``) when the school turned ``PROXY_ESCALATION`` on (by default it is
off: the escalation point tells the teacher again and 教學組 the count per teacher, since proxies act
only 「若原任課教師已無法協助學生進行課程學習成果認證時」), and at any stage while the teacher is absent
(TeacherAbsence covering the sweep's moment), the course's first available proxy (代理教師,
in position order: not the teacher, not absent, LINE-bound) covers it and is told; a
present teacher is told which proxies were told; an absent teacher is not messaged unless
no proxy is available. A proxy who muted certification reminders is not told (and not
passed over). A few queries per window.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from bot.domain.queries.responsibility import responsible_for
from bot.domain.stages import LAST_DAY, OPENING, escalation_moment
from bot.infra.models import Course, Outcome, SchoolClass, Student, Teacher, TeacherDuty, Window
from bot.infra.vocab import Duty, OutcomeStatus, PersonKind, WindowKind
from messages import reminders
from scheduler.rules.audience import audience_where
from scheduler.rules.base import Item, SweepContext, reachable, stage_due, window_scope

RULE = WindowKind.certification.value
PROXY_RULE = "certification_proxy"
OFFICE_RULE = "certification_office"
STAGES = (OPENING, "before", "escalate", LAST_DAY)

Proxy = tuple[int, str, str]  # (proxy teacher id, name, LINE user id)


@dataclass
class Pending:
    """A teacher's pending items in this window: count, classes, oldest submission, absence."""

    name: str
    absent: bool = False
    count: int = 0
    classes: set[str] = field(default_factory=set)
    oldest: datetime | None = None


def _pending_courses(window: Window):
    waited = func.min(func.coalesce(Outcome.submitted_at, Outcome.status_changed_at))
    return (select(Course.id, Course.teacher_id, Teacher.name, SchoolClass.code, func.count(Outcome.id), waited)
            .select_from(Outcome)
            .join(Course, Outcome.course_id == Course.id)
            .join(Student, Outcome.student_id == Student.id)
            .join(SchoolClass, Course.class_id == SchoolClass.id)
            .join(Teacher, Course.teacher_id == Teacher.id)
            .where(Course.term_id == window.term_id, Outcome.status == OutcomeStatus.pending,
                   Student.enrolled, audience_where(window.audience))
            .group_by(Course.id, Course.teacher_id, Teacher.name, SchoolClass.code))


def items(session: Session, window: Window, ctx: SweepContext) -> list[Item]:
    stage = stage_due(window, ctx, STAGES)
    if stage is None:
        return []
    courses = session.execute(_pending_courses(window)).all()
    if not courses:
        return []
    pending: dict[int, Pending] = {}
    for _course_id, teacher_id, name, code, count, oldest in courses:
        p = pending.setdefault(teacher_id, Pending(name))
        p.count += count
        p.classes.add(code)
        p.oldest = oldest if p.oldest is None or (oldest and oldest < p.oldest) else p.oldest
    escalating = ctx.cfg.proxy_escalation and stage.at >= escalation_moment(window.ends_at, ctx.cfg, ctx.tz)
    who = responsible_for(session, ctx.now, [row[0] for row in courses], escalated=escalating, bound_only=True)
    proxy_ids: dict[int, set[int]] = defaultdict(set)  # teacher -> proxies covering some of their courses
    for r in who.values():
        pending[r.teacher_id].absent = r.teacher_absent and not r.uncovered  # uncovered: the teacher still hears
        if r.proxy_covers and r.proxy_id is not None:
            proxy_ids[r.teacher_id].add(r.proxy_id)
    proxies = _reachable_proxies(session, {p for ids in proxy_ids.values() for p in ids})
    proxies_of = {t: sorted((proxies[p] for p in ids if p in proxies), key=lambda x: x[0])
                  for t, ids in proxy_ids.items()}
    term, deadline, scope = window.term.label, ctx.deadline(window), window_scope(window)
    final = not session.scalar(select(exists().where(  # uploading closed: a 退回 cannot be sent again
        Window.kind == WindowKind.outcome_upload, Window.term_id == window.term_id,
        Window.starts_at <= ctx.now, Window.ends_at > ctx.now)))
    present = [t for t, p in pending.items() if not p.absent]
    found: list[Item] = []
    if present:
        for teacher_id, uid in session.execute(
                reachable(select(Teacher.id).where(Teacher.id.in_(present)), PersonKind.teacher, Teacher.id, RULE)
                .order_by(Teacher.id)):
            p = pending[teacher_id]
            oldest_days = (ctx.now - p.oldest).days if p.oldest else 0
            told = sorted({name for _, name, _ in proxies_of.get(teacher_id, [])})
            section = reminders.certification_todo(term, deadline, p.count, sorted(p.classes), oldest_days, told,
                                                   final)
            found.append(Item(RULE, scope, stage.name, PersonKind.teacher, teacher_id, uid, section, window.ends_at))
    found += _proxy_items(proxies_of, pending, scope, stage.name, term, deadline, window, final)
    if stage.name == ctx.cfg.escalate and not ctx.cfg.proxy_escalation:
        found += _office_items(session, pending, scope, stage.name, term, deadline, window)
    return found


def _office_items(session: Session, pending: dict[int, Pending], scope: str, stage: str, term: str, deadline: str,
                  window: Window) -> list[Item]:
    """The escalation point without proxies: 教學組 gets the pending count per teacher (the teachers are
    told again by their own items)."""
    office = select(Teacher.id).join(TeacherDuty, TeacherDuty.teacher_id == Teacher.id).where(
        TeacherDuty.duty == Duty.academic)
    section = reminders.certification_office(term, deadline, sorted(
        ((p.name, p.count, sorted(p.classes), p.absent) for p in pending.values()), key=lambda t: (-t[1], t[0])))
    return [Item(OFFICE_RULE, scope, stage, PersonKind.teacher, teacher_id, uid, section, window.ends_at)
            for teacher_id, uid in session.execute(
                reachable(office.distinct(), PersonKind.teacher, Teacher.id, RULE).order_by(Teacher.id))]


def _reachable_proxies(session: Session, proxy_ids: set[int]) -> dict[int, Proxy]:
    """The covering proxies who can be reminded (bound, not blocked, certification not muted)."""
    if not proxy_ids:
        return {}
    stmt = select(Teacher.id, Teacher.name).where(Teacher.id.in_(sorted(proxy_ids)))
    return {proxy_id: (proxy_id, name, uid)
            for proxy_id, name, uid in session.execute(reachable(stmt, PersonKind.teacher, Teacher.id, RULE))}


def _proxy_items(proxies_of: dict[int, list[Proxy]], pending: dict[int, Pending], scope: str, stage: str,
                 term: str, deadline: str, window: Window, final: bool) -> list[Item]:
    covering: dict[tuple[int, str], list[int]] = defaultdict(list)  # (proxy id, uid) -> teachers
    for teacher_id, proxies in proxies_of.items():
        for proxy_id, _name, uid in proxies:
            covering[(proxy_id, uid)].append(teacher_id)
    return [Item(PROXY_RULE, scope, stage, PersonKind.teacher, proxy_id, uid,
                 reminders.certification_proxy(term, deadline, [
                     (pending[t].name, pending[t].count, sorted(pending[t].classes), pending[t].absent)
                     for t in sorted(teachers)], final),
                 window.ends_at)
            for (proxy_id, uid), teachers in sorted(covering.items())]
