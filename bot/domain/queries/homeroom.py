"""班級名單 for a 導師's class: who has not confirmed 收訖明細, not picked (勾選), items 認證失敗 not
fixed, and nothing uploaded this term. Each list is seat + name, sorted by seat, with the window
that closes it. The class id always comes from the bound 導師. One query per list, plus the windows.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from bot.domain.audience import Audience
from bot.domain.queries.awaiting import AWAITING_STUDENT
from bot.domain.queries.picks import pick_outcomes, pick_performances
from bot.domain.queries.student import WindowRow
from bot.domain.queries.terms import current_term
from bot.infra.models import Course, Outcome, Performance, ReceiptBatch, SchoolClass, Student, Term, Window
from bot.infra.vocab import OutcomeStatus, WindowKind

UNCONFIRMED, UNPICKED, FAILED, EMPTY = "unconfirmed", "unpicked", "failed", "empty"
LIST_KEYS: tuple[str, ...] = (UNCONFIRMED, UNPICKED, FAILED, EMPTY)
# The window that closes each list (its end is the deadline shown and nudged).
LIST_WINDOW: dict[str, WindowKind] = {
    UNCONFIRMED: WindowKind.receipt, UNPICKED: WindowKind.pick,
    FAILED: WindowKind.outcome_upload, EMPTY: WindowKind.outcome_upload,
}


OUTCOMES, PERFORMANCES = "outcomes", "performances"  # what a student has not picked


@dataclass(frozen=True)
class ListRow:
    student_id: int
    seat: int
    name: str
    failed: tuple[tuple[str, int], ...] = ()  # (subject, items 認證失敗) by subject
    unpicked: tuple[str, ...] = ()             # OUTCOMES and/or PERFORMANCES


@dataclass(frozen=True)
class ClassList:
    key: str
    class_id: int
    class_code: str
    term_label: str
    rows: tuple[ListRow, ...]
    window: WindowRow | None


def term_start(term: Term, tz: ZoneInfo) -> datetime:
    """The first moment of a term: Aug 1 (學期 1) or Feb 1 (學期 2), local."""
    day = date(term.year + 1911, 8, 1) if term.semester == 1 else date(term.year + 1912, 2, 1)
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(timezone.utc)


def class_window(session: Session, klass: SchoolClass, kind: WindowKind, now: datetime,
                 term_id: int | None = None) -> WindowRow | None:
    """The class's window of a kind: open now (ending soonest), else the next, else the last closed."""
    stmt = (select(Window.id, Window.kind, Window.term_id, Window.audience, Window.starts_at, Window.ends_at,
                   Term.year, Term.semester)
            .join(Term, Window.term_id == Term.id).where(Window.kind == kind))
    if term_id is not None:
        stmt = stmt.where(Window.term_id == term_id)
    mine = [WindowRow(i, k, t, f"{y}-{sem}", start, end)
            for i, k, t, a, start, end, y, sem in session.execute(stmt)
            if Audience.from_db(a).includes(klass.grade, klass.code)]
    open_ = sorted((w for w in mine if w.is_open(now)), key=lambda w: w.ends_at)
    coming = sorted((w for w in mine if w.starts_at > now), key=lambda w: w.starts_at)
    past = sorted((w for w in mine if w.ends_at <= now), key=lambda w: w.ends_at)
    return (open_ or coming or past[-1:] or [None])[0]


def _students(class_id: int, *columns):
    return (select(Student.id, Student.seat, Student.name, *columns)
            .where(Student.class_id == class_id, Student.enrolled)
            .order_by(Student.seat, Student.id))


def unconfirmed(session: Session, class_id: int, term_id: int) -> list[ListRow]:
    stmt = _students(class_id).join(ReceiptBatch, ReceiptBatch.student_id == Student.id).where(
        ReceiptBatch.term_id == term_id, AWAITING_STUDENT)  # an open 疑義 waits for the office
    return [ListRow(i, seat, name) for i, seat, name in session.execute(stmt)]


def unpicked(session: Session, class_id: int, year: int) -> list[ListRow]:
    """Students with certified outcomes (or performances) this school year but none of them picked."""
    o, p = pick_outcomes(year, class_id), pick_performances(year, class_id)
    need_o = and_(o.c.student_id.is_not(None), o.c.picked == 0)
    need_p = and_(p.c.student_id.is_not(None), p.c.picked == 0)
    stmt = (_students(class_id, need_o.label("o"), need_p.label("p"))
            .outerjoin(o, o.c.student_id == Student.id).outerjoin(p, p.c.student_id == Student.id)
            .where(or_(need_o, need_p)))
    return [ListRow(i, seat, name, unpicked=tuple(kind for kind, on in ((OUTCOMES, o), (PERFORMANCES, p)) if on))
            for i, seat, name, o, p in session.execute(stmt)]


def failed(session: Session, class_id: int, term_id: int) -> list[ListRow]:
    """Students with outcomes of this term still 認證失敗 (not fixed and sent again)."""
    subjects = func.count(Outcome.id)
    stmt = (select(Student.id, Student.seat, Student.name, Course.subject, subjects)
            .join(Outcome, Outcome.student_id == Student.id).join(Course, Outcome.course_id == Course.id)
            .where(Student.class_id == class_id, Student.enrolled, Course.term_id == term_id,
                   Outcome.status == OutcomeStatus.failed)
            .group_by(Student.id, Student.seat, Student.name, Course.subject)
            .order_by(Student.seat, Student.id, Course.subject))
    rows: dict[int, ListRow] = {}
    for i, seat, name, subject, count in session.execute(stmt):
        prev = rows.get(i)
        rows[i] = ListRow(i, seat, name, failed=(*(prev.failed if prev else ()), (subject, count)))
    return list(rows.values())


def nothing_uploaded(session: Session, class_id: int, term: Term, tz: ZoneInfo) -> list[ListRow]:
    """Students with no 課程學習成果 in this term's courses and no 多元表現 uploaded this term."""
    any_outcome = exists().where(Outcome.student_id == Student.id, Outcome.course_id == Course.id,
                                 Course.term_id == term.id)
    since = term_start(term, tz)
    any_performance = exists().where(Performance.student_id == Student.id, Performance.year == term.year,
                                     or_(Performance.uploaded_at.is_(None), Performance.uploaded_at >= since))
    stmt = _students(class_id).where(~any_outcome, ~any_performance)
    return [ListRow(i, seat, name) for i, seat, name in session.execute(stmt)]


def class_list(session: Session, class_id: int, key: str, now: datetime, tz: ZoneInfo) -> ClassList | None:
    """One list of the class; None when the class or the term is unknown. ``key`` must be in LIST_KEYS."""
    if key not in LIST_KEYS:
        raise ValueError(f"unknown list {key!r}")
    klass = session.get(SchoolClass, class_id)
    term = current_term(session, now, tz)
    if klass is None or term is None:
        return None
    return _list(session, klass, term, key, now, tz)


def _list(session: Session, klass: SchoolClass, term: Term, key: str, now: datetime, tz: ZoneInfo) -> ClassList:
    """One list of ``klass`` in ``term`` (the class and the term already looked up)."""
    class_id = klass.id
    window = class_window(session, klass, LIST_WINDOW[key], now,
                          None if key in (UNCONFIRMED, UNPICKED) else term.id)
    label = term.label
    if key == UNCONFIRMED:  # the batch of the receipt window's term (e.g. last term's, confirmed now)
        label = window.term_label if window else term.label
        rows = unconfirmed(session, class_id, window.term_id if window else term.id)
    elif key == UNPICKED:
        # an open 勾選 window decides whose picks: in September, last school year's
        # (seed: 「113年09月13日前 112學年度 學習歷程檔案資料勾選」); otherwise this term's year and window
        if window is not None and window.is_open(now):
            label, year = window.term_label, window.year
        else:
            window, year = class_window(session, klass, LIST_WINDOW[key], now, term.id), term.year
        rows = unpicked(session, class_id, year)
    elif key == FAILED:
        rows = failed(session, class_id, term.id)
    else:
        rows = nothing_uploaded(session, class_id, term, tz)
    return ClassList(key, class_id, klass.code, label, tuple(rows), window)


def all_lists(session: Session, class_id: int, now: datetime, tz: ZoneInfo) -> list[ClassList]:
    klass = session.get(SchoolClass, class_id)
    term = current_term(session, now, tz)
    if klass is None or term is None:
        return []
    return [_list(session, klass, term, key, now, tz) for key in LIST_KEYS]
