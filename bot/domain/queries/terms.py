"""Which term is "this term": the ROC school term of the local day, as the database knows it, except
while an earlier term's 課程學習成果 upload or certification is still open: that term stays "this
term" until they close (seed: uploads run to 「休業式後14日」, so term 1's run past Feb 1)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, exists, or_, select, tuple_
from sqlalchemy.orm import Session

from bot.infra.models import Term, Window
from bot.infra.vocab import WindowKind

STILL_OPEN = (WindowKind.outcome_upload, WindowKind.certification)  # what keeps an earlier term current

# Built once: every chat answer asks it, and building the statement cost three times running it.
_YEAR, _SEMESTER, _NOW = bindparam("year"), bindparam("semester"), bindparam("now")
_CALENDAR_OR_UNFINISHED = (
    select(Term).where(or_(
        and_(Term.year == _YEAR, Term.semester == _SEMESTER),
        and_(tuple_(Term.year, Term.semester) < tuple_(_YEAR, _SEMESTER),
             exists().where(Window.term_id == Term.id, Window.kind.in_(STILL_OPEN),
                            Window.starts_at <= _NOW, Window.ends_at > _NOW))))
    .order_by(Term.year, Term.semester).limit(1))  # the unfinished earlier term first, else the calendar's


def roc_term(today: date) -> tuple[int, int]:
    """(學年度, 學期) of a day: the school year starts Aug 1; term 1 is Aug-Jan, term 2 Feb-Jul."""
    if today.month >= 8:
        return today.year - 1911, 1
    return today.year - 1912, 1 if today.month == 1 else 2


def current_term(session: Session, now: datetime, tz: ZoneInfo) -> Term | None:
    """The term of ``now``'s local date, unless an earlier term's upload or certification is still open
    (then that one); if the school has not loaded it, the latest term before it (or, failing that, the
    earliest one after it). None when there are no terms at all."""
    year, semester = roc_term(now.astimezone(tz).date())
    found = session.scalar(_CALENDAR_OR_UNFINISHED, {"year": year, "semester": semester, "now": now})
    if found is not None:
        return found
    earlier = session.scalar(select(Term).where(tuple_(Term.year, Term.semester) < (year, semester))
                             .order_by(Term.year.desc(), Term.semester.desc()).limit(1))
    if earlier is not None:
        return earlier
    return session.scalar(select(Term).order_by(Term.year, Term.semester).limit(1))
