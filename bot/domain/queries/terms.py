"""Which term is "this term": the ROC school term of the local day, as the database knows it, except
while an earlier term's 課程學習成果 upload or certification is still open: that term stays "this
term" until they close (seed: uploads run to 「休業式後14日」, so term 1's run past Feb 1)."""
from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, or_, select, tuple_
from sqlalchemy.orm import Session

from bot.infra.models import Term, Window
from bot.infra.vocab import WindowKind

STILL_OPEN = (WindowKind.outcome_upload, WindowKind.certification)  # what keeps an earlier term current


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
    found = session.scalar(
        select(Term).where(or_(
            and_(Term.year == year, Term.semester == semester),
            and_(tuple_(Term.year, Term.semester) < (year, semester),
                 exists().where(Window.term_id == Term.id, Window.kind.in_(STILL_OPEN),
                                Window.starts_at <= now, Window.ends_at > now))))
        .order_by(Term.year, Term.semester).limit(1))  # the unfinished earlier term first, else the calendar's
    if found is not None:
        return found
    earlier = session.scalar(select(Term).where(tuple_(Term.year, Term.semester) < (year, semester))
                             .order_by(Term.year.desc(), Term.semester.desc()).limit(1))
    if earlier is not None:
        return earlier
    return session.scalar(select(Term).order_by(Term.year, Term.semester).limit(1))
