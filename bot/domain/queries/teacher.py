"""待認證 for one teacher: pending 課程學習成果 per course and class in their own courses, and in
the courses they cover now as proxy (代理教師), with the oldest wait and the certification deadline.

A proxy covers a course while its teacher is absent, or once the course's certification window
has passed the reminder engine's escalation point (ESCALATE_DAYS_BEFORE); as for the reminders,
the proxy is the first available one who is bound to LINE (`bound_only`), so the proxy who is
told is the one who sees the items here. The teacher id always
comes from the bound person. Four queries, whatever the number of items.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from bot.domain.audience import Audience
from bot.domain.queries.responsibility import absent_at, responsibility
from bot.domain.stages import StageConfig, escalation_moment
from bot.infra.models import Course, Outcome, SchoolClass, Student, Teacher, Term, Window
from bot.infra.vocab import OutcomeStatus, WindowKind


@dataclass(frozen=True)
class CourseLoad:
    """Pending items of one course (one class) and who answers for them."""

    course_id: int
    term_label: str
    subject: str
    class_code: str
    teacher_name: str
    count: int
    oldest: datetime | None
    deadline: datetime | None      # the end of the class's certification window
    teacher_absent: bool
    proxy_name: str | None         # the proxy covering now, if any
    final: bool = False            # certifying after the class's uploading closed: a 退回 cannot be resent

    def waited_days(self, now: datetime) -> int:
        return max((now - self.oldest).days, 0) if self.oldest else 0


@dataclass(frozen=True)
class PendingView:
    own: tuple[CourseLoad, ...]
    covering: tuple[CourseLoad, ...]   # other teachers' courses this teacher covers as proxy
    absent: bool                       # this teacher is marked absent now

    @property
    def total(self) -> int:
        return sum(c.count for c in self.own) + sum(c.count for c in self.covering)


def _class_in(audience: str) -> ColumnElement[bool]:
    parsed = Audience.from_db(audience)
    if parsed.grades:
        return SchoolClass.grade.in_(parsed.grades)
    if parsed.classes:
        return SchoolClass.code.in_(parsed.classes)
    return SchoolClass.id.is_not(None)


def escalated_courses(session: Session, now: datetime, cfg: StageConfig, tz: ZoneInfo) -> ColumnElement[bool]:
    """A condition on Course: its class's certification window is open and past the escalation point
    (never when the school keeps proxies for absent teachers only: ``cfg.proxy_escalation`` off)."""
    if not cfg.proxy_escalation:
        return false()
    windows = session.scalars(select(Window).where(
        Window.kind == WindowKind.certification, Window.starts_at <= now, Window.ends_at > now)).all()
    late = [w for w in windows if now >= escalation_moment(w.ends_at, cfg, tz)]
    if not late:
        return false()
    return or_(*(and_(Course.term_id == w.term_id,
                      Course.class_id.in_(select(SchoolClass.id).where(_class_in(w.audience))))
                 for w in late))


def _windows(session: Session, term_ids: set[int]) -> dict[WindowKind, list[tuple[int, Audience, datetime, datetime]]]:
    """The terms' certification and upload windows (one query), by kind."""
    found: dict[WindowKind, list[tuple[int, Audience, datetime, datetime]]] = {
        WindowKind.certification: [], WindowKind.outcome_upload: []}
    for k, t, a, s, e in session.execute(
            select(Window.kind, Window.term_id, Window.audience, Window.starts_at, Window.ends_at).where(
                Window.kind.in_(list(found)), Window.term_id.in_(sorted(term_ids)))):
        found[WindowKind(k)].append((t, Audience.from_db(a), s, e))
    return found


def uploading(windows, term_id: int, grade: int, code: str, now: datetime) -> bool:
    """Whether the class can upload (and so resend a 認證失敗) for the term now."""
    return any(t == term_id and a.includes(grade, code) and s <= now < e for t, a, s, e in windows)


def deadline_for(windows, term_id: int, grade: int, code: str, now: datetime) -> datetime | None:
    """The class's certification deadline: the open window ending soonest, else the next one, else
    the last one that closed."""
    mine = [(s, e) for t, a, s, e in windows if t == term_id and a.includes(grade, code)]
    open_ = sorted(e for s, e in mine if s <= now < e)
    coming = sorted((s, e) for s, e in mine if s > now)
    past = sorted(e for s, e in mine if e <= now)
    if open_:
        return open_[0]
    if coming:
        return coming[0][1]
    return past[-1] if past else None


def pending_for_teacher(session: Session, teacher_id: int, now: datetime, cfg: StageConfig,
                        tz: ZoneInfo) -> PendingView:
    """What ``teacher_id`` has to certify now: own courses and courses covered as proxy."""
    resp = responsibility(now, escalated_courses(session, now, cfg, tz), bound_only=True)
    oldest = func.min(func.coalesce(Outcome.submitted_at, Outcome.status_changed_at))
    mine_or_covered = or_(Course.teacher_id == teacher_id,
                          and_(resp.c.proxy_id == teacher_id, resp.c.proxy_covers.is_(True)))
    rows = session.execute(
        select(Course.id, Course.term_id, Term.year, Term.semester, Course.subject, SchoolClass.code,
               SchoolClass.grade, Course.teacher_id, Teacher.name, resp.c.teacher_absent, resp.c.proxy_id,
               resp.c.proxy_covers, func.count(Outcome.id), oldest)
        .select_from(Outcome)
        .join(Student, Outcome.student_id == Student.id)
        .join(Course, Outcome.course_id == Course.id)
        .join(Term, Course.term_id == Term.id)
        .join(SchoolClass, Course.class_id == SchoolClass.id)
        .join(Teacher, Course.teacher_id == Teacher.id)
        .join(resp, resp.c.course_id == Course.id)
        .where(Outcome.status == OutcomeStatus.pending, Student.enrolled, mine_or_covered)
        .group_by(Course.id, Course.term_id, Term.year, Term.semester, Course.subject, SchoolClass.code,
                  SchoolClass.grade, Course.teacher_id, Teacher.name, resp.c.teacher_absent, resp.c.proxy_id,
                  resp.c.proxy_covers)
        .order_by(Term.year.desc(), Term.semester.desc(), SchoolClass.code, Course.subject, Course.id)).all()
    absent = bool(session.scalar(select(absent_at(Teacher.id, now)).where(Teacher.id == teacher_id)))
    if not rows:
        return PendingView((), (), absent)
    proxy_ids = {r[10] for r in rows if r[10] is not None and r[11]}
    names = dict(session.execute(select(Teacher.id, Teacher.name).where(Teacher.id.in_(proxy_ids))).all()) \
        if proxy_ids else {}
    schedule = _windows(session, {r[1] for r in rows})
    windows, uploads = schedule[WindowKind.certification], schedule[WindowKind.outcome_upload]
    own: list[CourseLoad] = []
    covering: list[CourseLoad] = []
    for (course_id, term_id, year, semester, subject, code, grade, owner, owner_name, owner_absent, proxy_id,
         covers, count, first) in rows:
        deadline = deadline_for(windows, term_id, grade, code, now)
        if deadline is not None and deadline <= now:
            continue  # certification has closed: no longer the teacher's to do (the students were told)
        final = deadline is not None and not uploading(uploads, term_id, grade, code, now)
        load = CourseLoad(course_id, f"{year}-{semester}", subject, code, owner_name, count, first, deadline,
                          bool(owner_absent), names.get(proxy_id) if covers else None, final)
        (own if owner == teacher_id else covering).append(load)
    return PendingView(tuple(own), tuple(covering), absent)


@dataclass(frozen=True)
class WaitingItem:
    """One 課程學習成果 waiting for the teacher's certification."""

    seat: int | None
    name: str
    title: str
    since: datetime | None  # 送出時間 (else when it last changed status)

    def waited_days(self, now: datetime) -> int:
        return max((now - self.since).days, 0) if self.since else 0


def find_load(view: PendingView, course_id: int) -> CourseLoad | None:
    """The course among what the teacher has to certify now (own or covered), if it is."""
    return next((c for c in (*view.own, *view.covering) if c.course_id == course_id), None)


def waiting_items(session: Session, course_id: int) -> list[WaitingItem]:
    """The course's items waiting for certification, longest waiting first (one query). The caller has
    checked that the course is the teacher's to certify (``find_load``)."""
    since = func.coalesce(Outcome.submitted_at, Outcome.status_changed_at)
    return [WaitingItem(seat, name, title, at) for seat, name, title, at in session.execute(
        select(Student.seat, Student.name, Outcome.title, since)
        .join(Student, Outcome.student_id == Student.id)
        .where(Outcome.course_id == course_id, Outcome.status == OutcomeStatus.pending, Student.enrolled)
        .order_by(since, Student.seat, Outcome.id))]
