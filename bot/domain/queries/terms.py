"""Which term is "this term": the ROC school term of the local day, as the database knows it, except
while an earlier term's 課程學習成果 upload or certification is still open: that term stays "this
term" until they close (seed: uploads run to 「休業式後14日」, so term 1's run past Feb 1)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import CTE, Select, and_, bindparam, exists, or_, select, tuple_
from sqlalchemy.orm import Session

from bot.infra.models import Term, Window
from bot.infra.vocab import WindowKind

STILL_OPEN = (WindowKind.outcome_upload, WindowKind.certification)  # what keeps an earlier term current

# Built once: every chat answer asks it, and building the statement cost three times running it.
_YEAR, _SEMESTER, _NOW = bindparam("year"), bindparam("semester"), bindparam("now")


def _calendar_or_unfinished(*columns) -> Select:
    """The unfinished earlier term first, else the calendar's (``kind`` compared one by one, not with
    IN, so the statement has no parameter expanded at execution: ``Prepared`` runs it in 我的進度)."""
    still_open = or_(*(Window.kind == kind for kind in STILL_OPEN))
    return (select(*columns).where(or_(
        and_(Term.year == _YEAR, Term.semester == _SEMESTER),
        and_(tuple_(Term.year, Term.semester) < tuple_(_YEAR, _SEMESTER),
             exists().where(Window.term_id == Term.id, still_open, Window.starts_at <= _NOW, Window.ends_at > _NOW))))
        .order_by(Term.year, Term.semester).limit(1))


_CALENDAR_OR_UNFINISHED = _calendar_or_unfinished(Term)


def current_term_cte() -> CTE:
    """``current_term``'s usual answer (the calendar's or an unfinished earlier term) as a common table
    of at most one row (id, year, semester), for a statement that reads it together with what hangs on
    it; its parameters are ``year``, ``semester`` and ``now``, as ``calendar`` gives them. When it has
    no row, ``nearest_term_key`` is the answer."""
    return _calendar_or_unfinished(Term.id, Term.year, Term.semester).cte("current_term")


def calendar(now: datetime, tz: ZoneInfo) -> dict[str, object]:
    """The parameters of ``current_term_cte``."""
    year, semester = roc_term(now.astimezone(tz).date())
    return {"year": year, "semester": semester, "now": now}


@dataclass(frozen=True)
class TermKey:
    """A term as a tap needs it, without its ORM row: id, 學年度 and 學期."""

    id: int
    year: int
    semester: int

    @property
    def label(self) -> str:
        return f"{self.year}-{self.semester}"


def roc_term(today: date) -> tuple[int, int]:
    """(學年度, 學期) of a day: the school year starts Aug 1; term 1 is Aug-Jan, term 2 Feb-Jul."""
    if today.month >= 8:
        return today.year - 1911, 1
    return today.year - 1912, 1 if today.month == 1 else 2


def current_term(session: Session, now: datetime, tz: ZoneInfo) -> Term | None:
    """The term of ``now``'s local date, unless an earlier term's upload or certification is still open
    (then that one); if the school has not loaded it, the latest term before it (or, failing that, the
    earliest one after it). None when there are no terms at all."""
    params = calendar(now, tz)
    found = session.scalar(_CALENDAR_OR_UNFINISHED, params)
    return found if found is not None else _nearest(session, params["year"], params["semester"])


def nearest_term_key(session: Session, now: datetime, tz: ZoneInfo) -> TermKey | None:
    """``current_term`` when neither the calendar's term nor an unfinished earlier one exists (what
    ``current_term_cte`` found no row for), as a ``TermKey``."""
    params = calendar(now, tz)
    term = _nearest(session, params["year"], params["semester"])
    return TermKey(term.id, term.year, term.semester) if term is not None else None


def _nearest(session: Session, year: int, semester: int) -> Term | None:
    """When the calendar's term is not loaded: the latest term before it, else the earliest one."""
    earlier = session.scalar(select(Term).where(tuple_(Term.year, Term.semester) < (year, semester))
                             .order_by(Term.year.desc(), Term.semester.desc()).limit(1))
    if earlier is not None:
        return earlier
    return session.scalar(select(Term).order_by(Term.year, Term.semester).limit(1))
