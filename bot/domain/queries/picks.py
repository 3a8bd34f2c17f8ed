"""The yearly pick (勾選) per student as two grouped subqueries, to outer-join onto Student.

``outcomes``: students with a certified 課程學習成果 this school year (``student_id``) and whether
any is picked (``picked``: 1/0); ``performances``: the same for 多元表現 of the year. A student
missing from a subquery has nothing of that kind to pick.
"""
from __future__ import annotations

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, select

from bot.infra.models import Course, Outcome, Performance, Student, Term
from bot.infra.vocab import OutcomeStatus


# A pick counts only on a certified outcome: only 認證成功 items may be picked (勾選), so a 勾選 left on
# an item that was not (or is no longer) certified is neither counted nor shown as picked.
COUNTED_PICK: ColumnElement[bool] = and_(Outcome.picked.is_(True), Outcome.status == OutcomeStatus.certified)


def _of_class(stmt: Select, student_id, class_id: int | None) -> Select:
    if class_id is None:
        return stmt
    return stmt.where(student_id.in_(select(Student.id).where(Student.class_id == class_id)))


def pick_outcomes(year: int, class_id: int | None = None) -> Subquery:
    """Per student (of one class, if given): has a certified outcome this year; ``picked`` 1 if any is."""
    stmt = (select(Outcome.student_id, func.max(case((Outcome.picked.is_(True), 1), else_=0)).label("picked"))
            .join(Course, Outcome.course_id == Course.id).join(Term, Course.term_id == Term.id)
            .where(Term.year == year, Outcome.status == OutcomeStatus.certified))
    return _of_class(stmt, Outcome.student_id, class_id).group_by(Outcome.student_id).subquery("pick_outcomes")


def pick_performances(year: int, class_id: int | None = None) -> Subquery:
    """Per student (of one class, if given): has a 多元表現 this year; ``picked`` 1 if any is."""
    stmt = (select(Performance.student_id, func.max(case((Performance.picked.is_(True), 1), else_=0)).label("picked"))
            .where(Performance.year == year))
    return _of_class(stmt, Performance.student_id, class_id).group_by(Performance.student_id).subquery(
        "pick_performances")
