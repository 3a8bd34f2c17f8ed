"""Who is talking: a LINE user id resolved to a person and their roles."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.models import LineBinding, Student, Teacher
from bot.infra.vocab import STAFF_DUTIES, Duty, PersonKind

STUDENT, TEACHER, HOMEROOM, STAFF = "student", "teacher", "homeroom", "staff"


@dataclass(frozen=True)
class Person:
    kind: PersonKind
    id: int
    name: str
    roles: frozenset[str]
    class_id: int | None = None        # a student's class, or a 導師's homeroom class
    class_code: str | None = None
    duties: frozenset[Duty] = frozenset()


def person_of(student_or_teacher: Student | Teacher) -> Person:
    if isinstance(student_or_teacher, Student):
        s = student_or_teacher
        return Person(PersonKind.student, s.id, s.name, frozenset({STUDENT}), s.class_id, s.school_class.code)
    t = student_or_teacher
    roles = {TEACHER}
    if t.homeroom_class_id is not None:
        roles.add(HOMEROOM)
    if t.duty_set & STAFF_DUTIES:
        roles.add(STAFF)
    return Person(
        PersonKind.teacher, t.id, t.name, frozenset(roles), t.homeroom_class_id,
        t.homeroom_class.code if t.homeroom_class else None, t.duty_set,
    )


def active_binding(session: Session, line_user_id: str) -> LineBinding | None:
    return session.scalars(
        select(LineBinding).where(LineBinding.line_user_id == line_user_id, LineBinding.unbound_at.is_(None))
    ).first()


def load_person(session: Session, line_user_id: str | None) -> Person | None:
    """The person bound to this LINE account, or None when unbound (or no longer enrolled)."""
    if not line_user_id:
        return None
    binding = active_binding(session, line_user_id)
    if binding is None:
        return None
    model = Student if binding.person_kind == PersonKind.student else Teacher
    found = session.get(model, binding.person_id)
    if found is None or (isinstance(found, Student) and not found.enrolled):
        return None
    return person_of(found)
