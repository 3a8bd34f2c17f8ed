"""課程學習成果認證: subject teachers with items 待認證 in their courses (how many, from which
classes, the oldest wait, the deadline).

A course is escalated from the escalation point on (``ESCALATE_DAYS_BEFORE``), and at any
stage while its teacher is absent (TeacherAbsence covering the sweep's moment). For an
escalated course the first proxy (代理教師, in position order) who is reachable, is not the
teacher and is not absent himself is told too; a present teacher is told which proxies were
told, an absent teacher is not messaged (the proxy covers). A few queries per window.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, select
from sqlalchemy.orm import Session, aliased

from bot.models import Course, CourseProxy, Outcome, SchoolClass, Student, Teacher, TeacherAbsence, Window
from bot.vocab import OutcomeStatus, PersonKind, WindowKind
from messages import reminders
from scheduler.rules.audience import audience_where
from scheduler.rules.base import Item, SweepContext, reachable, stage_due, window_scope
from scheduler.stages import LAST_DAY, OPENING, escalation_moment

RULE = WindowKind.certification.value
PROXY_RULE = "certification_proxy"
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


def absent_at(teacher_id: ColumnElement, now: datetime) -> ColumnElement[bool]:
    """Whether the teacher has an absence (請假) covering ``now``."""
    return exists().where(TeacherAbsence.teacher_id == teacher_id, TeacherAbsence.starts_at <= now,
                          TeacherAbsence.ends_at > now)


def _pending_courses(window: Window, now: datetime):
    waited = func.min(func.coalesce(Outcome.submitted_at, Outcome.status_changed_at))
    absent = absent_at(Course.teacher_id, now).label("absent")
    return (select(Course.id, Course.teacher_id, Teacher.name, absent, SchoolClass.code, func.count(Outcome.id),
                   waited)
            .select_from(Outcome)
            .join(Course, Outcome.course_id == Course.id)
            .join(Student, Outcome.student_id == Student.id)
            .join(SchoolClass, Course.class_id == SchoolClass.id)
            .join(Teacher, Course.teacher_id == Teacher.id)
            .where(Course.term_id == window.term_id, Outcome.status == OutcomeStatus.pending,
                   Student.enrolled.is_(True), audience_where(window.audience))
            .group_by(Course.id, Course.teacher_id, Teacher.name, SchoolClass.code))


def items(session: Session, window: Window, ctx: SweepContext) -> list[Item]:
    stage = stage_due(window, ctx, STAGES)
    if stage is None:
        return []
    courses = session.execute(_pending_courses(window, ctx.now)).all()
    if not courses:
        return []
    pending: dict[int, Pending] = {}
    course_teacher: dict[int, int] = {}
    for course_id, teacher_id, name, absent, code, count, oldest in courses:
        p = pending.setdefault(teacher_id, Pending(name, bool(absent)))
        p.count += count
        p.classes.add(code)
        p.oldest = oldest if p.oldest is None or (oldest and oldest < p.oldest) else p.oldest
        course_teacher[course_id] = teacher_id
    escalating = stage.at >= escalation_moment(window.ends_at, ctx.cfg, ctx.tz)
    escalated = {c: t for c, t in course_teacher.items() if escalating or pending[t].absent}
    proxies_of = _first_proxies(session, ctx.now, escalated) if escalated else {}
    term, deadline, scope = window.term.label, ctx.deadline(window), window_scope(window)
    present = [t for t, p in pending.items() if not p.absent]
    found: list[Item] = []
    if present:
        for teacher_id, uid in session.execute(
                reachable(select(Teacher.id).where(Teacher.id.in_(present)), PersonKind.teacher, Teacher.id, RULE)
                .order_by(Teacher.id)):
            p = pending[teacher_id]
            oldest_days = (ctx.now - p.oldest).days if p.oldest else 0
            told = sorted({name for _, name, _ in proxies_of.get(teacher_id, [])})
            section = reminders.certification_todo(term, deadline, p.count, sorted(p.classes), oldest_days, told)
            found.append(Item(RULE, scope, stage.name, PersonKind.teacher, teacher_id, uid, section, window.ends_at))
    found += _proxy_items(proxies_of, pending, scope, stage.name, term, deadline, window)
    return found


def _first_proxies(session: Session, now: datetime, course_teacher: dict[int, int]) -> dict[int, list[Proxy]]:
    """Each escalated course's first available proxy, grouped by the course's teacher (one query)."""
    proxy = aliased(Teacher)
    stmt = (select(CourseProxy.course_id, CourseProxy.position, CourseProxy.teacher_id, proxy.name)
            .join(proxy, CourseProxy.teacher_id == proxy.id)
            .join(Course, CourseProxy.course_id == Course.id)
            .where(CourseProxy.course_id.in_(sorted(course_teacher)), CourseProxy.teacher_id != Course.teacher_id,
                   ~absent_at(CourseProxy.teacher_id, now))
            .order_by(CourseProxy.course_id, CourseProxy.position))
    chosen: dict[int, Proxy] = {}
    for course_id, _position, proxy_id, name, uid in session.execute(
            reachable(stmt, PersonKind.teacher, CourseProxy.teacher_id, RULE)):
        chosen.setdefault(course_id, (proxy_id, name, uid))
    by_teacher: dict[int, list[Proxy]] = defaultdict(list)
    for course_id, picked in sorted(chosen.items()):
        if picked not in by_teacher[course_teacher[course_id]]:
            by_teacher[course_teacher[course_id]].append(picked)
    return by_teacher


def _proxy_items(proxies_of: dict[int, list[Proxy]], pending: dict[int, Pending], scope: str, stage: str,
                 term: str, deadline: str, window: Window) -> list[Item]:
    covering: dict[tuple[int, str], list[int]] = defaultdict(list)  # (proxy id, uid) -> teachers
    for teacher_id, proxies in proxies_of.items():
        for proxy_id, _name, uid in proxies:
            covering[(proxy_id, uid)].append(teacher_id)
    return [Item(PROXY_RULE, scope, stage, PersonKind.teacher, proxy_id, uid,
                 reminders.certification_proxy(term, deadline, [
                     (pending[t].name, pending[t].count, sorted(pending[t].classes), pending[t].absent)
                     for t in sorted(teachers)]),
                 window.ends_at)
            for (proxy_id, uid), teachers in sorted(covering.items())]
