"""Today's rates for staff (統計) and `portfolio-bot stats`: certification rate per class, pick rate,
收訖明細 confirmation rate per day of the window, teachers' median days to certify, and the classes
and teachers furthest behind.

Definitions (one term; the pick is per school year):
- certification rate: certified / sent for certification (待認證 + 已認證 + 認證失敗) of the
  class's students' outcomes in the term's courses; once the class's certification has closed,
  what is still 待認證 is counted as not certified in time (``uncertified``), not as pending;
- pick rate: students who picked at least one item / students with something to pick (a certified
  outcome or a 多元表現 of the school year being picked: an open 勾選 window's, else the term's);
- confirmation rate of a class: its batches the students confirmed / its batches, for the batch
  term of the reported 收訖明細 windows (the rates' term when there is none);
- confirmation rate on a day: batches the students confirmed by the end of that local day / the
  batches of the window's audience (視為確認 at the window's close is not counted);
- days to certify: from 送出 (submitted_at) to 認證 (certified_at), certified or failed, per teacher;
  the median over the term.
A fixed handful of queries; medians are taken in Python over one query's rows.
"""
from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from bot.domain.audience import Audience
from bot.domain.queries.picks import pick_outcomes, pick_performances
from bot.domain.queries.teacher import deadline_for
from bot.infra.models import Course, Outcome, ReceiptBatch, SchoolClass, Student, Teacher, Term, Window
from bot.infra.vocab import OutcomeStatus, WindowKind

BEHIND = 5  # how many classes and teachers the short lists hold
DEEMED = "deemed"


def _pct(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


@dataclass(frozen=True)
class ClassRate:
    code: str
    students: int
    submitted: int       # sent for certification
    certified: int
    failed: int
    pending: int
    can_pick: int        # students with something to pick
    picked: int          # of those, students who picked at least one
    batches: int = 0     # 收訖明細 batches of the reported batch term
    confirmed: int = 0   # of those, confirmed by the student (not 視為確認)
    uncertified: int = 0  # still 待認證 when the class's certification closed (no longer in ``pending``)

    @property
    def certification_rate(self) -> float | None:
        return _pct(self.certified, self.submitted)

    @property
    def confirmation_rate(self) -> float | None:
        return _pct(self.confirmed, self.batches)

    @property
    def pick_rate(self) -> float | None:
        return _pct(self.picked, self.can_pick)


@dataclass(frozen=True)
class DayRate:
    day: date
    confirmed: int
    total: int

    @property
    def rate(self) -> float | None:
        return _pct(self.confirmed, self.total)


@dataclass(frozen=True)
class Confirmation:
    """One 收訖明細 window: the cumulative confirmation rate at the end of each day so far."""

    term_label: str
    audience: str
    starts_at: datetime
    ends_at: datetime
    days: tuple[DayRate, ...]


@dataclass(frozen=True)
class TeacherRate:
    teacher_no: str
    name: str
    done: int                   # certified or failed this term
    median_days: float | None
    pending: int
    oldest_days: int            # the oldest pending item's wait


@dataclass(frozen=True)
class Rates:
    term_label: str
    as_of: datetime
    classes: tuple[ClassRate, ...]
    confirmations: tuple[Confirmation, ...]
    teachers: tuple[TeacherRate, ...]
    totals: ClassRate = field(default=None)  # type: ignore[assignment]
    median_days: float | None = None         # over every item certified this term

    def behind_classes(self, n: int = BEHIND) -> list[ClassRate]:
        """Lowest certification rate first (then most pending); classes with nothing sent are left out."""
        return self.classes_behind(lambda c: c.certification_rate, lambda c: c.pending, n)

    def classes_behind(self, rate: Callable[[ClassRate], float | None], left: Callable[[ClassRate], int],
                       n: int | None = None) -> list[ClassRate]:
        """The classes with a ``rate`` and something ``left`` to do, lowest rate first (then most left,
        then the class code); at most ``n``."""
        late = [c for c in self.classes if rate(c) is not None and left(c) > 0]
        return sorted(late, key=lambda c: (rate(c), -left(c), c.code))[:n]

    def behind_teachers(self, n: int = BEHIND) -> list[TeacherRate]:
        """Most pending first (then the oldest wait)."""
        late = [t for t in self.teachers if t.pending]
        return sorted(late, key=lambda t: (-t.pending, -t.oldest_days, t.teacher_no))[:n]


def term_parts(label: str) -> tuple[int, int] | None:
    """(學年度, 學期) of a term written ``114-1`` (or ``114/1``); None when not written so."""
    parts = label.replace("/", "-").split("-")
    if len(parts) != 2 or not all(p.strip().isdigit() and len(p.strip()) <= 4 for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def find_term(session: Session, label: str) -> Term | None:
    """A term written ``114-1`` (or ``114/1``); None when not loaded or not well formed."""
    parts = term_parts(label)
    if parts is None:
        return None
    return session.scalar(select(Term).where(Term.year == parts[0], Term.semester == parts[1]))


@dataclass(frozen=True)
class _Schedule:
    """What the rates need of the schedule, read in one query: the term's 認證 windows, and the
    勾選 window open now (whose 學年度 is the one being picked: in September, last year's)."""

    certification: tuple[tuple[int, Audience, datetime, datetime], ...]  # as `deadline_for` reads them
    pick_year: int | None

    @classmethod
    def read(cls, session: Session, term: Term, now: datetime, any_pick: bool) -> "_Schedule":
        picking = and_(Window.kind == WindowKind.pick, Window.starts_at <= now, Window.ends_at > now)
        rows = session.execute(
            select(Window.kind, Window.term_id, Window.audience, Window.starts_at, Window.ends_at, Term.year)
            .join(Term, Window.term_id == Term.id)
            .where(or_(and_(Window.kind == WindowKind.certification, Window.term_id == term.id),
                       picking if any_pick else false()))
            .order_by(Window.ends_at)).all()
        return cls(tuple((t, Audience.from_db(a), s, e) for k, t, a, s, e, _ in rows
                         if k == WindowKind.certification),
                   next((y for k, *_, y in rows if k == WindowKind.pick), None))

    def certification_closed(self, term_id: int, grade: int, code: str, now: datetime) -> bool:
        """Whether a class's 課程學習成果認證 for the term is over (its deadline, as 待認證 tells it, has passed)."""
        deadline = deadline_for(self.certification, term_id, grade, code, now)
        return deadline is not None and deadline <= now


def _class_rates(session: Session, term: Term, batch_term_id: int, now: datetime,
                 schedule: _Schedule) -> list[ClassRate]:
    pick_year = schedule.pick_year or term.year
    status = Outcome.status
    submitted = status.in_([OutcomeStatus.pending, OutcomeStatus.certified, OutcomeStatus.failed])
    outcomes = dict((row[0], row[1:]) for row in session.execute(
        select(Student.class_id,
               func.sum(case((submitted, 1), else_=0)),
               func.sum(case((status == OutcomeStatus.certified, 1), else_=0)),
               func.sum(case((status == OutcomeStatus.failed, 1), else_=0)),
               func.sum(case((status == OutcomeStatus.pending, 1), else_=0)))
        .join(Outcome, Outcome.student_id == Student.id).join(Course, Outcome.course_id == Course.id)
        .where(Course.term_id == term.id, Student.enrolled)
        .group_by(Student.class_id)))

    o, p = pick_outcomes(pick_year), pick_performances(pick_year)
    can_pick = or_(o.c.student_id.is_not(None), p.c.student_id.is_not(None))
    picked = or_(func.coalesce(o.c.picked, 0) == 1, func.coalesce(p.c.picked, 0) == 1)
    people = session.execute(
        select(SchoolClass.id, SchoolClass.code, SchoolClass.grade, func.count(Student.id),
               func.sum(case((can_pick, 1), else_=0)), func.sum(case((picked, 1), else_=0)))
        .join(Student, and_(Student.class_id == SchoolClass.id, Student.enrolled))
        .outerjoin(o, o.c.student_id == Student.id).outerjoin(p, p.c.student_id == Student.id)
        .group_by(SchoolClass.id, SchoolClass.code, SchoolClass.grade).order_by(SchoolClass.code)).all()
    receipts = dict((row[0], row[1:]) for row in session.execute(
        select(Student.class_id, func.count(ReceiptBatch.id), func.sum(case((_by_student(), 1), else_=0)))
        .join(ReceiptBatch, ReceiptBatch.student_id == Student.id)
        .where(ReceiptBatch.term_id == batch_term_id, Student.enrolled)
        .group_by(Student.class_id)))
    rates = []
    for class_id, code, grade, students, pickers, pickeds in people:
        sub, cert, fail, pend = (int(v or 0) for v in outcomes.get(class_id, (0, 0, 0, 0)))
        batches, confirmed = (int(v or 0) for v in receipts.get(class_id, (0, 0)))
        late = pend if schedule.certification_closed(term.id, grade, code, now) else 0  # not in time: apart
        rates.append(ClassRate(code, students, sub, cert, fail, pend - late, int(pickers or 0), int(pickeds or 0),
                               batches, confirmed, late))
    return rates


def _by_student():
    """A batch the student confirmed (not 視為確認 at the window's close)."""
    return and_(ReceiptBatch.confirmed_at.is_not(None),
                or_(ReceiptBatch.confirmed_how.is_(None), ReceiptBatch.confirmed_how != DEEMED))


def _totals(classes: list[ClassRate]) -> ClassRate:
    return ClassRate("全校", *(sum(getattr(c, f) for c in classes) for f in
                             ("students", "submitted", "certified", "failed", "pending", "can_pick", "picked",
                              "batches", "confirmed", "uncertified")))


def _local_midnight(day: date, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def _confirmation(session: Session, window: Window, now: datetime, tz: ZoneInfo) -> Confirmation:
    """The cumulative confirmation rate at the end of each local day of the window, up to today (one query)."""
    first = window.starts_at.astimezone(tz).date()
    if now < window.starts_at:
        last = first - timedelta(days=1)  # not started: no days yet
    elif now < window.ends_at:
        last = now.astimezone(tz).date()
    else:
        last = (window.ends_at.astimezone(tz) - timedelta(microseconds=1)).date()
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    audience = Audience.from_db(window.audience)
    in_audience = (SchoolClass.grade.in_(audience.grades) if audience.grades
                   else SchoolClass.code.in_(audience.classes) if audience.classes else SchoolClass.id.is_not(None))
    by_student = _by_student()
    columns = [func.count(ReceiptBatch.id)] + [
        func.sum(case((and_(by_student, ReceiptBatch.confirmed_at < _local_midnight(d + timedelta(days=1), tz)), 1),
                      else_=0))
        for d in days]
    row = session.execute(
        select(*columns).select_from(ReceiptBatch).join(Student, ReceiptBatch.student_id == Student.id)
        .join(SchoolClass, Student.class_id == SchoolClass.id)
        .where(ReceiptBatch.term_id == window.term_id, Student.enrolled, in_audience)).one()
    total = int(row[0] or 0)
    return Confirmation(window.term.label, audience.label, window.starts_at, window.ends_at,
                        tuple(DayRate(d, int(v or 0), total) for d, v in zip(days, row[1:])))


def _receipt_windows(session: Session, term: Term | None, now: datetime) -> list[Window]:
    """The term's 收訖明細 windows; without a term, the ones open now, else the one that started last."""
    stmt = select(Window).where(Window.kind == WindowKind.receipt).order_by(Window.starts_at, Window.id)
    if term is not None:
        return list(session.scalars(stmt.where(Window.term_id == term.id)))
    started = list(session.scalars(stmt.where(Window.starts_at <= now)))
    open_now = [w for w in started if w.ends_at > now]
    return open_now or started[-1:]


def _teacher_rates(session: Session, term: Term, now: datetime,
                   schedule: _Schedule) -> tuple[list[TeacherRate], float | None]:
    """Per teacher of the term's courses, and the median over every item certified this term. Pending
    counts only classes whose certification is still open (after the close nothing can be certified:
    those items are the classes' ``uncertified``)."""
    done = session.execute(
        select(Course.teacher_id, Outcome.submitted_at, Outcome.certified_at)
        .join(Course, Outcome.course_id == Course.id)
        .where(Course.term_id == term.id, Outcome.status.in_([OutcomeStatus.certified, OutcomeStatus.failed]),
               Outcome.submitted_at.is_not(None), Outcome.certified_at.is_not(None))).all()
    spans: dict[int, list[float]] = {}
    for teacher_id, submitted, certified in done:
        spans.setdefault(teacher_id, []).append(max((certified - submitted).total_seconds(), 0) / 86400)
    pending: dict[int, tuple[int, datetime | None]] = {}
    for tid, grade, code, count, oldest in session.execute(
            select(Course.teacher_id, SchoolClass.grade, SchoolClass.code, func.count(Outcome.id),
                   func.min(func.coalesce(Outcome.submitted_at, Outcome.status_changed_at)))
            .join(Course, Outcome.course_id == Course.id)
            .join(Student, Outcome.student_id == Student.id)
            .join(SchoolClass, Course.class_id == SchoolClass.id)
            .where(Course.term_id == term.id, Outcome.status == OutcomeStatus.pending, Student.enrolled)
            .group_by(Course.teacher_id, SchoolClass.grade, SchoolClass.code)):
        if schedule.certification_closed(term.id, grade, code, now):
            continue
        before, first = pending.get(tid, (0, None))
        known = [d for d in (first, oldest) if d is not None]
        pending[tid] = (before + count, min(known) if known else None)
    teachers = session.execute(
        select(Teacher.id, Teacher.teacher_no, Teacher.name)
        .where(Teacher.id.in_(select(Course.teacher_id).where(Course.term_id == term.id)))
        .order_by(Teacher.teacher_no)).all()
    out = []
    for tid, no, name in teachers:
        count, oldest = pending.get(tid, (0, None))
        days = spans.get(tid, [])
        out.append(TeacherRate(no, name, len(days), round(statistics.median(days), 1) if days else None,
                               int(count), max((now - oldest).days, 0) if oldest else 0))
    every = [d for spans_of in spans.values() for d in spans_of]
    return out, (round(statistics.median(every), 1) if every else None)


def rates(session: Session, term: Term, now: datetime, tz: ZoneInfo, explicit_term: bool = False) -> Rates:
    """All of today's rates for ``term`` (with ``explicit_term`` the receipt windows are the term's own;
    otherwise the ones running now)."""
    windows = _receipt_windows(session, term if explicit_term else None, now)
    schedule = _Schedule.read(session, term, now, any_pick=not explicit_term)
    classes = _class_rates(session, term, windows[0].term_id if windows else term.id, now, schedule)
    teachers, median = _teacher_rates(session, term, now, schedule)
    return Rates(term.label, now, tuple(classes), tuple(_confirmation(session, w, now, tz) for w in windows),
                 tuple(teachers), _totals(classes), median)
