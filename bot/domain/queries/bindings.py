"""Who of each class is on LINE: bound, blocked (bound but the bot is blocked), or not bound; 在學 only."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from bot.infra.models import LineBinding, SchoolClass, Student
from bot.infra.vocab import PersonKind

BOUND, BLOCKED, UNBOUND = "已綁定", "已封鎖", "未綁定"


@dataclass
class ClassBindings:
    code: str
    grade: int
    students: list[tuple[int, str, str]] = field(default_factory=list)  # (seat, name, state)

    def count(self, state: str) -> int:
        return sum(1 for *_, s in self.students if s == state)


def by_class(session: Session) -> list[ClassBindings]:
    """Every class with its 在學 students in seat order and their LINE state; one query."""
    rows = session.execute(
        select(SchoolClass.code, SchoolClass.grade, Student.seat, Student.name, LineBinding.id, LineBinding.blocked)
        .join(Student, Student.class_id == SchoolClass.id)
        .outerjoin(LineBinding, and_(LineBinding.person_kind == PersonKind.student,
                                     LineBinding.person_id == Student.id, LineBinding.unbound_at.is_(None)))
        .where(Student.enrolled)
        .order_by(SchoolClass.code, Student.seat, Student.id))
    classes: dict[str, ClassBindings] = {}
    for code, grade, seat, name, binding_id, blocked in rows:
        state = UNBOUND if binding_id is None else BLOCKED if blocked else BOUND
        classes.setdefault(code, ClassBindings(code, grade)).students.append((seat, name, state))
    return list(classes.values())
