"""Small helpers that put a school into the database for tests: classes, students, teachers, bindings.

Every helper takes an open session, flushes, and returns the model (ids are set);
the caller's ``with db.session()`` commits. Numbers and names default to unique values.

    with db.session() as s:
        c101 = school_class(s, "101")
        amy = student(s, c101, seat=5, name="王小明")
        lee = teacher(s, name="李老師", homeroom=c101, duties=[Duty.registry])
        bind(s, amy, "U" + "a" * 32)
"""
from __future__ import annotations

import itertools
from datetime import datetime, timezone
from typing import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.binding import issue_code
from bot.infra.models import LineBinding, SchoolClass, Student, Teacher, TeacherDuty
from bot.infra.vocab import Duty, PersonKind

_numbers = itertools.count(1)


def line_user_id(n: int | str) -> str:
    """A well-formed LINE user id (U + 32 hex digits) made from a small number or tag."""
    return "U" + str(n).encode().hex().rjust(32, "0")[-32:]


def school_class(session: Session, code: str = "101", grade: int | None = None) -> SchoolClass:
    """The class with this code, created if missing (grade defaults to the code's first digit)."""
    found = session.scalar(select(SchoolClass).where(SchoolClass.code == code))
    if found is not None:
        return found
    created = SchoolClass(code=code, grade=grade if grade is not None else int(code[0]))
    session.add(created)
    session.flush()
    return created


def student(session: Session, klass: SchoolClass | str = "101", seat: int | None = None, name: str | None = None,
            student_no: str | None = None, enrolled: bool = True) -> Student:
    if isinstance(klass, str):
        klass = school_class(session, klass)
    n = next(_numbers)
    created = Student(student_no=student_no or f"S{n:07d}", name=name or f"學生{n}", class_id=klass.id,
                      seat=seat if seat is not None else n % 50 + 1, enrolled=enrolled)
    session.add(created)
    session.flush()
    return created


def teacher(session: Session, name: str | None = None, teacher_no: str | None = None,
            homeroom: SchoolClass | str | None = None, duties: Iterable[Duty] = (Duty.subject_teacher,)) -> Teacher:
    if isinstance(homeroom, str):
        homeroom = school_class(session, homeroom)
    n = next(_numbers)
    created = Teacher(teacher_no=teacher_no or f"T{n:05d}", name=name or f"教師{n}",
                      homeroom_class_id=homeroom.id if homeroom else None)
    created.duties = [TeacherDuty(duty=d) for d in duties]
    session.add(created)
    session.flush()
    return created


def kind_of(person: Student | Teacher) -> PersonKind:
    return PersonKind.student if isinstance(person, Student) else PersonKind.teacher


def bind(session: Session, person: Student | Teacher, user_id: str, when: datetime | None = None) -> LineBinding:
    """Bind a LINE account to a person directly (no code), as if they had bound earlier."""
    binding = LineBinding(line_user_id=user_id, person_kind=kind_of(person), person_id=person.id,
                          bound_at=when or datetime.now(timezone.utc))
    session.add(binding)
    session.flush()
    return binding


def code_for(session: Session, person: Student | Teacher) -> str:
    """A fresh one-time binding code for a person (earlier unused codes stop working)."""
    return issue_code(session, kind_of(person), person.id)
