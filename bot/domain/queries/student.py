"""What one student sees about themselves: this term's outcomes, this year's performances and picks,
the schedule windows that concern them, and their 收訖明細 batches.

Every function takes the student's id from the bound person (never from postback data) and runs
a fixed handful of queries, whatever the number of items.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Cast, Select, bindparam, case, cast, func, literal, literal_column, null, select, union_all
from sqlalchemy.orm import Session, aliased, selectinload

from bot.domain.audience import Audience
from bot.domain.people import BOUND_COLUMNS, Person, bound_to, kept_person, person_from_bound
from bot.domain.queries.awaiting import AWAITING_STUDENT
from bot.domain.queries.picks import COUNTED_PICK
from bot.domain.queries.terms import TermKey, calendar, current_term_cte, nearest_term_key
from bot.infra.models import (
    Course, LineBinding, Objection, Outcome, Performance, ReceiptBatch, SchoolClass, Student, Term, Window,
)
from bot.infra.prepared import Prepared
from bot.infra.config import SchoolRules
from bot.infra.vocab import OutcomeStatus, PersonKind, ReceiptItem, WindowKind


@dataclass(frozen=True)
class OutcomeRow:
    """One 課程學習成果 of this term, as the student sees it."""

    id: int
    subject: str
    title: str
    status: OutcomeStatus
    reason: str | None
    picked: bool


@dataclass(frozen=True)
class PerformanceRow:
    id: int
    category: str
    title: str
    picked: bool


@dataclass(frozen=True)
class WindowRow:
    """A schedule window that concerns the student."""

    id: int
    kind: WindowKind
    term_id: int
    term_label: str
    starts_at: datetime
    ends_at: datetime

    def is_open(self, now: datetime) -> bool:
        return self.starts_at <= now < self.ends_at

    @property
    def year(self) -> int:
        """The window's 學年度 (of its term)."""
        return int(self.term_label.split("-")[0])


@dataclass(frozen=True)
class StudentStatus:
    """Everything 我的進度 shows."""

    name: str
    term_label: str | None
    year: int | None
    outcomes: tuple[OutcomeRow, ...]
    performances: int            # this school year's 多元表現 uploads
    outcome_picks: int           # this school year's picked 課程學習成果
    performance_picks: int       # this school year's picked 多元表現
    windows: tuple[WindowRow, ...]  # open and coming, soonest end first
    unconfirmed_terms: frozenset[int] = frozenset()  # terms of their 收訖明細 awaiting them (no 疑義 open)
    pick_year: int | None = None    # the 學年度 whose picks count now: an open 勾選 window's, else ``year``
    school: SchoolRules = field(default_factory=SchoolRules)  # the school's own limits (本校規定)

    def by_status(self, status: OutcomeStatus) -> list[OutcomeRow]:
        return [o for o in self.outcomes if o.status == status]

    def window(self, kind: WindowKind, now: datetime) -> WindowRow | None:
        """The open window of a kind (the one ending soonest)."""
        return next((w for w in self.windows if w.kind == kind and w.is_open(now)), None)

    def next_deadline(self, now: datetime) -> WindowRow | None:
        """The soonest end among open windows of things the student has to do: not the teachers' 認證,
        and 收訖明細確認 only when they have a batch of that term awaiting confirmation."""
        return next((w for w in self.windows if w.is_open(now) and w.kind != WindowKind.certification
                     and (w.kind != WindowKind.receipt or w.term_id in self.unconfirmed_terms)), None)


@dataclass(frozen=True)
class BatchView:
    """One 收訖明細 batch with its lines grouped by item, its window and its objections."""

    id: int
    term_id: int
    term_label: str
    confirmed_at: datetime | None
    confirmed_how: str | None
    lines: dict[ReceiptItem, list[str]]
    window: WindowRow | None
    objections: tuple[Objection, ...] = field(default_factory=tuple)

    def open_objection(self, item: ReceiptItem) -> Objection | None:
        return next((o for o in self.objections if o.item == item and o.resolved_at is None), None)

    @property
    def objection_open(self) -> bool:
        """A 疑義 on any item is still being handled: the batch is neither confirmed nor deemed meanwhile."""
        return any(o.resolved_at is None for o in self.objections)


# 我的進度's statements, built once and run on the driver's cursor (``Prepared``): every tap runs them, and
# SQLAlchemy's own execution cost several times the query.
_STUDENT, _TERM, _NOW = bindparam("student"), bindparam("term"), bindparam("now")
_WHO = Prepared(select(Student.name, SchoolClass.grade, SchoolClass.code)
                .join(SchoolClass, Student.class_id == SchoolClass.id).where(Student.id == _STUDENT))
# The columns a window and an outcome are read with (``_window``, ``OutcomeRow``), alone or in ``_STATUS``.
_W, _T = aliased(Window), aliased(Term)
_WINDOW_COLUMNS = (_W.id, _W.kind, _W.term_id, _T.year, _T.semester, _W.starts_at, _W.ends_at, _W.audience)
_OUTCOME_COLUMNS = (Course.subject, Outcome.title, Outcome.status, Outcome.reason, COUNTED_PICK)  # after its id
_WINDOWS = Prepared(
    select(*_WINDOW_COLUMNS).select_from(_W).join(_T, _W.term_id == _T.id).where(_W.ends_at > _NOW)
    .order_by(_W.ends_at, _W.id))
_OUTCOMES = Prepared(
    select(Outcome.id, *_OUTCOME_COLUMNS)
    .join(Course, Outcome.course_id == Course.id)
    .where(Outcome.student_id == _STUDENT, Course.term_id == _TERM)
    .order_by(Course.subject, Outcome.id))


def _nulls(*columns) -> list[Cast]:
    """NULLs of these columns' types, for the branches of ``_STATUS`` that have no such values."""
    return [cast(null(), column.type) for column in columns]


# 我的進度 in one statement (one round trip), a UNION ALL of tagged rows. The current term is a common
# table (at most one row) that the windows' row and the outcomes hang on. Columns by tag:
#   "w": the current term (1-3) and a window ending after now (4-11), NULLs when no window ends later;
#   "r": an outcome of the current term: id (1), subject, title, status, reason, counted pick (12-16);
#   "p": per 學年度 (1) the 多元表現 uploaded (2) and picked (3); "o": per 學年度 (1) the 課程學習成果
#        picked (2); "u": a term (1) whose 收訖明細 awaits the student.
# With no current term no "w" and no "r" row comes: ``status_of`` then asks for the nearest term apart.
_NOW_TERM = current_term_cte()
_TERM_COLUMNS = (_NOW_TERM.c.id, _NOW_TERM.c.year, _NOW_TERM.c.semester)
_WINDOWS_AND_OUTCOME = _nulls(*_WINDOW_COLUMNS, *_OUTCOME_COLUMNS)


def _status_branches(student, *after) -> list[Select]:
    """The tagged branches of 我的進度 for ``student`` (a parameter, or an expression giving the id),
    each followed by the columns ``after`` (NULLs of a wider union's other columns)."""
    return [
        select(literal("w"), *_TERM_COLUMNS, *_WINDOW_COLUMNS, *_nulls(*_OUTCOME_COLUMNS), *after)
        .select_from(_NOW_TERM).outerjoin(_W, _W.ends_at > _NOW).outerjoin(_T, _W.term_id == _T.id),
        select(literal("r"), Outcome.id, *_nulls(*_TERM_COLUMNS[1:], *_WINDOW_COLUMNS), *_OUTCOME_COLUMNS, *after)
        .join(Course, Outcome.course_id == Course.id).join(_NOW_TERM, Course.term_id == _NOW_TERM.c.id)
        .where(Outcome.student_id == student),
        select(literal("p"), Performance.year, func.count(Performance.id),
               func.sum(case((Performance.picked.is_(True), 1), else_=0)), *_WINDOWS_AND_OUTCOME, *after)
        .where(Performance.student_id == student).group_by(Performance.year),
        select(literal("o"), Term.year, func.count(Outcome.id), literal(0), *_WINDOWS_AND_OUTCOME, *after)
        .join(Course, Outcome.course_id == Course.id).join(Term, Course.term_id == Term.id)
        .where(Outcome.student_id == student, COUNTED_PICK).group_by(Term.year),
        select(literal("u"), ReceiptBatch.term_id, literal(0), literal(0), *_WINDOWS_AND_OUTCOME, *after)
        .where(ReceiptBatch.student_id == student, AWAITING_STUDENT),
    ]


# by tag; windows by end, then id; outcomes by subject, then id (as _WINDOWS and _OUTCOMES order them)
_STATUS_ORDER = tuple(literal_column(str(position)) for position in (1, 11, 5, 13, 2))
_STATUS = Prepared(union_all(*_status_branches(_STUDENT)).order_by(*_STATUS_ORDER))
_OUTCOME_AT = slice(12, 17)  # an "r" row's outcome after its id
# The same for a LINE user, with the person: a "b" row (sorted first) holds ``BOUND_COLUMNS`` from column 18,
# as ``load_person`` reads them; the other branches hang on the bound student's id (none for anyone else).
_USER = bindparam("user")
_BOUND_STUDENT = (select(LineBinding.person_id)
                  .where(LineBinding.line_user_id == _USER, LineBinding.person_kind == PersonKind.student,
                         LineBinding.unbound_at.is_(None)).scalar_subquery())
_PERSON_AT = slice(17, None)
_STATUS_WITH_PERSON = Prepared(union_all(
    bound_to(_USER, literal("b"), *_nulls(*_TERM_COLUMNS, *_WINDOW_COLUMNS, *_OUTCOME_COLUMNS)),
    *_status_branches(_BOUND_STUDENT, *_nulls(*BOUND_COLUMNS))).order_by(*_STATUS_ORDER))


@dataclass(frozen=True)
class Who:
    """The student as their own answers need them: name and class (whose windows are theirs)."""

    name: str
    grade: int
    class_code: str


def who(session: Session, student_id: int) -> Who | None:
    """The student's name and class: from the person ``load_person`` kept for this unit of work when it
    is them (no statement), else one statement. None if the student is not in the database."""
    person = kept_person(session)
    if (person is not None and person.kind == PersonKind.student and person.id == student_id
            and person.class_grade is not None):
        return Who(person.name, person.class_grade, person.class_code)
    row = _WHO.first(session, {"student": student_id})
    return Who(*row) if row is not None else None


def _window(student: Who, wid, kind, term_id, year, semester, starts, ends, audience) -> WindowRow | None:
    """The window as the student sees it, or None if its audience leaves them out (or is unreadable)."""
    try:
        included = Audience.from_db(audience).includes(student.grade, student.class_code)
    except ValueError:
        return None
    return WindowRow(wid, WindowKind(kind), term_id, f"{year}-{semester}", starts, ends) if included else None


def windows_for(session: Session, student: Who, now: datetime) -> list[WindowRow]:
    """Open and coming windows whose audience includes the student, soonest end first."""
    return [w for row in _WINDOWS.rows(session, {"now": now}) if (w := _window(student, *row)) is not None]


def status_of(session: Session, student_id: int, now: datetime, tz: ZoneInfo,
              school: SchoolRules = SchoolRules()) -> StudentStatus | None:
    """我的進度 for one student; None if the student is not in the database. One statement (``_STATUS``)
    with the person already loaded, as it is in chat; when the school has no current term (neither
    the calendar's nor an unfinished one), the nearest term, its windows and outcomes are asked apart."""
    student = who(session, student_id)
    if student is None:
        return None
    rows = _STATUS.rows(session, {**calendar(now, tz), "student": student_id})
    return _status_from(session, student_id, student, rows, now, tz, school)


def status_with_person(session: Session, line_user_id: str | None, now: datetime, tz: ZoneInfo,
                       school: SchoolRules = SchoolRules()) -> tuple[Person | None, StudentStatus | None]:
    """The person bound to this LINE account, as ``load_person`` finds (and keeps) them, and for a student
    their 我的進度 as ``status_of`` gives it: both in one statement, one round trip for a tap on 我的進度.
    The status is None for anyone who is not a student."""
    if not line_user_id:
        return None, None
    rows = _STATUS_WITH_PERSON.rows(session, {**calendar(now, tz), "user": line_user_id})
    has_person = bool(rows) and rows[0][0] == "b"
    person = person_from_bound(session, rows[0][_PERSON_AT] if has_person else None)
    if person is None or person.kind != PersonKind.student:
        return person, None
    student = Who(person.name, person.class_grade, person.class_code)
    return person, _status_from(session, person.id, student, rows[1:], now, tz, school)


def _status_from(session: Session, student_id: int, student: Who, rows: list[tuple], now: datetime, tz: ZoneInfo,
                 school: SchoolRules) -> StudentStatus:
    """``StudentStatus`` from the rows of ``_STATUS`` (or ``_STATUS_WITH_PERSON``'s after its "b" row); the
    nearest term is asked apart when they hold no current term."""
    term: TermKey | None = None
    windows: list[WindowRow] = []
    outcomes: list[OutcomeRow] = []
    uploaded: dict[int, tuple[int, int]] = {}   # 學年度 -> (多元表現 uploaded, picked)
    outcome_picks: dict[int, int] = {}          # 學年度 -> 課程學習成果 picked
    unconfirmed: set[int] = set()
    for row in rows:
        tag, key, count, picked = row[:4]
        if tag == "w":
            term = TermKey(key, count, picked)
            if row[4] is not None and (window := _window(student, *row[4:12])) is not None:
                windows.append(window)
        elif tag == "r":
            outcomes.append(OutcomeRow(key, *row[_OUTCOME_AT]))
        elif tag == "p":
            uploaded[key] = (int(count), int(picked or 0))
        elif tag == "o":
            outcome_picks[key] = int(count)
        else:
            unconfirmed.add(key)
    if term is None:  # no calendar term nor an unfinished one: the nearest term, asked apart
        term = nearest_term_key(session, now, tz)
        windows = windows_for(session, student, now)
        if term is not None:
            outcomes = [OutcomeRow(*row) for row in _OUTCOMES.rows(session, {"student": student_id, "term": term.id})]
    year = pick_year(windows, now, term.year if term else None)
    performances = performance_picks = picks = 0
    if term is not None:
        performances = uploaded.get(term.year, (0, 0))[0]
        performance_picks = uploaded.get(year, (0, 0))[1]
        picks = outcome_picks.get(year, 0)
    return StudentStatus(
        name=student.name, term_label=term.label if term else None, year=term.year if term else None,
        outcomes=tuple(outcomes), performances=performances, outcome_picks=picks,
        performance_picks=performance_picks, windows=tuple(windows), unconfirmed_terms=frozenset(unconfirmed),
        pick_year=year, school=school,
    )


def pick_year(windows: list[WindowRow], now: datetime, year: int | None) -> int | None:
    """Whose picks count now: the 學年度 of an open 勾選 window (in September, last school year's:
    seed 「113年09月13日前 112學年度 學習歷程檔案資料勾選」), else this term's."""
    return next((w.year for w in windows if w.kind == WindowKind.pick and w.is_open(now)), year)


def performances_of(session: Session, student_id: int, year: int) -> list[PerformanceRow]:
    return [PerformanceRow(*row) for row in session.execute(
        select(Performance.id, Performance.category, Performance.title, Performance.picked)
        .where(Performance.student_id == student_id, Performance.year == year)
        .order_by(Performance.uploaded_at, Performance.id))]


def picked_outcomes(session: Session, student_id: int, year: int) -> list[OutcomeRow]:
    """This school year's picked 課程學習成果 (both terms)."""
    return [OutcomeRow(*row) for row in session.execute(
        select(Outcome.id, *_OUTCOME_COLUMNS)
        .join(Course, Outcome.course_id == Course.id).join(Term, Course.term_id == Term.id)
        .where(Outcome.student_id == student_id, Term.year == year, COUNTED_PICK)
        .order_by(Term.semester, Course.subject, Outcome.id))]


def receipt_windows(session: Session, student: Who, term_ids: list[int], now: datetime) -> dict[int, WindowRow]:
    """Per term, the 收訖明細確認 window whose audience includes the student: the open one if any,
    else the next to open, else the last to have closed. One query for all the terms."""
    if not term_ids:
        return {}
    rows = session.execute(
        select(Window.id, Window.term_id, Term.year, Term.semester, Window.starts_at, Window.ends_at,
               Window.audience)
        .join(Term, Window.term_id == Term.id)
        .where(Window.kind == WindowKind.receipt, Window.term_id.in_(term_ids)).order_by(Window.starts_at))
    mine: dict[int, list[WindowRow]] = {}
    for wid, tid, year, semester, starts, ends, audience in rows:
        try:
            if Audience.from_db(audience).includes(student.grade, student.class_code):
                mine.setdefault(tid, []).append(WindowRow(wid, WindowKind.receipt, tid, f"{year}-{semester}",
                                                          starts, ends))
        except ValueError:
            continue
    chosen = {}
    for tid, windows in mine.items():
        open_now = [w for w in windows if w.is_open(now)]
        coming = [w for w in windows if w.starts_at > now]
        closed = sorted((w for w in windows if w.ends_at <= now), key=lambda w: w.ends_at)
        chosen[tid] = (open_now or coming or closed[-1:])[0]
    return chosen


def batches_of(session: Session, student_id: int, now: datetime) -> list[BatchView]:
    """The student's 收訖明細 batches, newest term first, with lines, window and objections."""
    student = who(session, student_id)
    if student is None:
        return []
    batches = session.scalars(
        select(ReceiptBatch).join(Term, ReceiptBatch.term_id == Term.id)
        .where(ReceiptBatch.student_id == student_id)
        .options(selectinload(ReceiptBatch.lines))
        .order_by(Term.year.desc(), Term.semester.desc())).all()
    objections: dict[int, list[Objection]] = {}
    if batches:
        for objection in session.scalars(select(Objection).where(
                Objection.batch_id.in_([b.id for b in batches])).order_by(Objection.id)):
            objections.setdefault(objection.batch_id, []).append(objection)
    windows = receipt_windows(session, student, [b.term_id for b in batches], now)
    views = []
    for batch in batches:
        grouped: dict[ReceiptItem, list[str]] = {}
        for item in ReceiptItem:
            contents = [line.content for line in batch.lines if line.item == item]
            if contents:
                grouped[item] = contents
        views.append(BatchView(batch.id, batch.term_id, batch.term.label, batch.confirmed_at, batch.confirmed_how,
                               grouped, windows.get(batch.term_id),
                               tuple(objections.get(batch.id, ()))))
    return views


def batch_of(session: Session, student_id: int, batch_id: int, now: datetime) -> BatchView | None:
    """One of the student's batches; None when it does not exist or belongs to someone else."""
    return next((b for b in batches_of(session, student_id, now) if b.id == batch_id), None)
