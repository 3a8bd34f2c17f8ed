"""Which term is "this term": the ROC school term of the local day, as the database knows it."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from bot.demo_school import roc_term
from bot.models import Term


def current_term(session: Session, now: datetime, tz: ZoneInfo) -> Term | None:
    """The term of ``now``'s local date; if the school has not loaded it, the latest term before it
    (or, failing that, the earliest one after it). None when there are no terms at all."""
    year, semester = roc_term(now.astimezone(tz).date())
    found = session.scalar(select(Term).where(Term.year == year, Term.semester == semester))
    if found is not None:
        return found
    earlier = session.scalar(select(Term).where(tuple_(Term.year, Term.semester) < (year, semester))
                             .order_by(Term.year.desc(), Term.semester.desc()).limit(1))
    if earlier is not None:
        return earlier
    return session.scalar(select(Term).order_by(Term.year, Term.semester).limit(1))
