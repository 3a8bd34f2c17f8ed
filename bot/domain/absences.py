"""Teacher absences (請假): staff mark a teacher unavailable for a period; their courses'
pending certifications go to the first available proxy meanwhile (see bot.domain.queries.responsibility).

Times are the school's local time: ``2025-11-20`` (a whole day: ``--to 2025-11-27`` runs to
the end of the 27th) or ``2025-11-20 08:00``. Clearing ends a running absence now and drops
the ones not yet started.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain.queries.responsibility import responsible_for
from bot.infra.models import Course, SchoolClass, Teacher, TeacherAbsence, Term

MAX_DAYS = 366
NOTE_LENGTH = 200


class AbsenceError(ValueError):
    """A bad request, with the reason in zh-TW."""


def parse_local(value: str, tz: ZoneInfo, end_of_day: bool = False) -> datetime:
    """A local date or date-time as aware UTC; a bare date is the day's start (or, with
    ``end_of_day``, the next day's start)."""
    text = (value or "").strip().replace("/", "-")
    try:
        if len(text) <= 10:
            day = date.fromisoformat(text)
            moment = datetime.combine(day + timedelta(days=1) if end_of_day else day, time(0), tzinfo=tz)
        else:
            moment = datetime.fromisoformat(text)
            moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    except ValueError as exc:
        raise AbsenceError(f"時間「{value}」看不懂，請寫成 2025-11-20 或 2025-11-20 08:00") from exc
    if not 2000 <= moment.year <= 2200:
        raise AbsenceError(f"時間「{value}」超出可用的範圍（西元 2000 到 2200 年）")
    return moment.astimezone(timezone.utc)


def find_teacher(session: Session, teacher_no: str) -> Teacher:
    found = session.scalar(select(Teacher).where(Teacher.teacher_no == teacher_no.strip()))
    if found is None:
        raise AbsenceError(f"找不到教師編號 {teacher_no}")
    return found


@dataclass(frozen=True)
class Handover:
    """Who covers one course of the absent teacher at the absence's start."""

    course: str          # e.g. 114-1 數學 101
    proxy: str | None    # the proxy's name, or None when nobody is available


def add_absence(session: Session, teacher_no: str, starts_at: datetime, ends_at: datetime,
                note: str | None = None) -> tuple[TeacherAbsence, list[Handover]]:
    """Record an absence; returns it and, per course of the teacher, who takes over at its start."""
    teacher = find_teacher(session, teacher_no)
    if ends_at <= starts_at:
        raise AbsenceError("結束時間必須晚於開始時間")
    if ends_at - starts_at > timedelta(days=MAX_DAYS):
        raise AbsenceError(f"一次最多登記 {MAX_DAYS} 天")
    if note and len(note) > NOTE_LENGTH:
        raise AbsenceError(f"備註最多 {NOTE_LENGTH} 字")
    absence = TeacherAbsence(teacher_id=teacher.id, starts_at=starts_at, ends_at=ends_at, note=note or None)
    session.add(absence)
    session.flush()
    return absence, handovers(session, teacher.id, starts_at)


def handovers(session: Session, teacher_id: int, at: datetime) -> list[Handover]:
    """The teacher's courses (latest terms first) and the proxy covering each at ``at`` (the first
    available one bound to LINE, as the reminders choose)."""
    courses = session.execute(
        select(Course.id, Course.subject, SchoolClass.code, Course.term_id)
        .join(SchoolClass, Course.class_id == SchoolClass.id)
        .where(Course.teacher_id == teacher_id)
        .order_by(Course.term_id.desc(), SchoolClass.code, Course.subject)).all()
    if not courses:
        return []
    who = responsible_for(session, at, [c[0] for c in courses], bound_only=True)
    names = dict(session.execute(select(Teacher.id, Teacher.name).where(
        Teacher.id.in_({r.proxy_id for r in who.values() if r.proxy_id is not None}))).all())
    labels = {t.id: t.label for t in session.scalars(select(Term).where(Term.id.in_({c[3] for c in courses})))}
    return [Handover(f"{labels[term_id]} {subject} {code}",
                     names.get(who[cid].proxy_id) if who[cid].proxy_covers else None)
            for cid, subject, code, term_id in courses]


@dataclass(frozen=True)
class AbsenceRow:
    id: int
    teacher_no: str
    name: str
    starts_at: datetime
    ends_at: datetime
    note: str | None


def list_absences(session: Session, now: datetime, teacher_no: str | None = None,
                  include_past: bool = False) -> list[AbsenceRow]:
    """Running and coming absences (all with ``include_past``), soonest start first."""
    stmt = (select(TeacherAbsence.id, Teacher.teacher_no, Teacher.name, TeacherAbsence.starts_at,
                   TeacherAbsence.ends_at, TeacherAbsence.note)
            .join(Teacher, TeacherAbsence.teacher_id == Teacher.id)
            .order_by(TeacherAbsence.starts_at, Teacher.teacher_no, TeacherAbsence.id))
    if teacher_no:
        stmt = stmt.where(Teacher.id == find_teacher(session, teacher_no).id)
    if not include_past:
        stmt = stmt.where(TeacherAbsence.ends_at > now)
    return [AbsenceRow(*row) for row in session.execute(stmt)]


def clear_absences(session: Session, teacher_no: str, now: datetime, absence_id: int | None = None) -> int:
    """The teacher is available again: running absences end now, coming ones are dropped.
    With ``absence_id`` only that one. Returns how many absences changed."""
    teacher = find_teacher(session, teacher_no)
    base = [TeacherAbsence.teacher_id == teacher.id, TeacherAbsence.ends_at > now]
    if absence_id is not None:
        base.append(TeacherAbsence.id == absence_id)
    running = session.scalars(select(TeacherAbsence).where(*base, TeacherAbsence.starts_at <= now)).all()
    for absence in running:
        absence.ends_at = now
    dropped = session.execute(delete(TeacherAbsence).where(*base, TeacherAbsence.starts_at > now)).rowcount
    if absence_id is not None and not running and not dropped:
        raise AbsenceError(f"{teacher.name}（{teacher.teacher_no}）沒有編號 {absence_id} 的進行中或未來請假")
    return len(running) + (dropped or 0)
