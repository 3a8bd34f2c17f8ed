"""Who is talking: a LINE user id resolved to a person and their roles."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, or_, select
from sqlalchemy.orm import Session

from bot.infra.models import Course, CourseProxy, LineBinding, SchoolClass, Student, Teacher, TeacherDuty
from bot.infra.prepared import Prepared
from bot.infra.vocab import STAFF_DUTIES, Duty, Enrolment, PersonKind

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
    enrolment: Enrolment | None = None  # a student's 在學狀態; the router answers only 在學 students
    class_grade: int | None = None      # a student's grade (whose windows are theirs: ``Audience``)

    @property
    def enrolled(self) -> bool:
        return self.enrolment in (None, Enrolment.enrolled)


def teaches(teacher_id) -> ColumnElement[bool]:
    """Whether a teacher teaches (so has 待認證 to do): a course of their own or as a proxy (代理教師), or
    職務 任課教師, or no 職務 at all (the import's 職務 may be empty). A 註冊組 who teaches nothing does not."""
    return or_(exists().where(Course.teacher_id == teacher_id),
               exists().where(CourseProxy.teacher_id == teacher_id),
               exists().where(TeacherDuty.teacher_id == teacher_id, TeacherDuty.duty == Duty.subject_teacher),
               ~exists().where(TeacherDuty.teacher_id == teacher_id))


def student_person(student_id: int, name: str, class_id: int, class_code: str, grade: int,
                   enrolment: Enrolment) -> Person:
    roles = frozenset({STUDENT}) if enrolment == Enrolment.enrolled else frozenset()  # who left holds no role
    return Person(PersonKind.student, student_id, name, roles, class_id, class_code, enrolment=enrolment,
                  class_grade=grade)


def person_of(student_or_teacher: Student | Teacher, teaching: bool = True) -> Person:
    """The person and their roles; ``teaching``: whether a teacher teaches (``teaches``)."""
    if isinstance(student_or_teacher, Student):
        s = student_or_teacher
        return student_person(s.id, s.name, s.class_id, s.school_class.code, s.school_class.grade, s.enrolment)
    t = student_or_teacher
    roles = {TEACHER} if teaching else set()
    if t.homeroom_class_id is not None:
        roles.add(HOMEROOM)
    if t.duty_set & STAFF_DUTIES:
        roles.add(STAFF)
    return Person(
        PersonKind.teacher, t.id, t.name, frozenset(roles), t.homeroom_class_id,
        t.homeroom_class.code if t.homeroom_class else None, t.duty_set,
    )


_ACTIVE_BINDING = select(LineBinding).where(LineBinding.line_user_id == bindparam("user"),
                                            LineBinding.unbound_at.is_(None)).limit(1)  # built once: every event


def active_binding(session: Session, line_user_id: str) -> LineBinding | None:
    return session.scalars(_ACTIVE_BINDING, {"user": line_user_id}).first()


def students_on_line(session: Session, student_ids: Iterable[int]) -> dict[int, str]:
    """Student id -> LINE user id of those who may be pushed: 在學, bound, not blocking the bot.
    (Anyone not 在學 gets no push: 「由原就讀學校利用紙本郵寄方式通知學生」.)"""
    ids = list(student_ids)
    if not ids:
        return {}
    return dict(session.execute(
        select(LineBinding.person_id, LineBinding.line_user_id)
        .join(Student, and_(LineBinding.person_kind == PersonKind.student, LineBinding.person_id == Student.id))
        .where(LineBinding.person_id.in_(ids), LineBinding.unbound_at.is_(None), LineBinding.blocked.is_(False),
               Student.enrolled)).all())


# The binding and, for a student (most who write), the student and their class in the same statement.
BOUND_COLUMNS = (LineBinding.person_kind, LineBinding.person_id, Student.id, Student.name, Student.class_id,
                 Student.enrolment, SchoolClass.code, SchoolClass.grade)


def bound_to(user, *before) -> Select:
    """``BOUND_COLUMNS`` of the active binding of the LINE user ``user`` (at most one row: a unique index),
    after the columns ``before`` (a union's tag and the NULLs of its other branches' columns)."""
    return (select(*before, *BOUND_COLUMNS)
            .outerjoin(Student, and_(LineBinding.person_kind == PersonKind.student, Student.id == LineBinding.person_id))
            .outerjoin(SchoolClass, SchoolClass.id == Student.class_id)
            .where(LineBinding.line_user_id == user, LineBinding.unbound_at.is_(None)))


_BOUND = Prepared(bound_to(bindparam("user")).limit(1))
# A teacher, and whether they teach.
_TEACHER = select(Teacher, teaches(Teacher.id)).where(Teacher.id == bindparam("id"))


def load_person(session: Session, line_user_id: str | None) -> Person | None:
    """The person bound to this LINE account (a student who left too: the router tells them so), or None
    when unbound. One statement for a student (on the driver's cursor: every tap runs it); a teacher's
    row (and whether they teach) is a second, their 職務 a third. The person is kept in the session's
    ``info`` for this unit of work (我的進度 reads the student's name and class from it)."""
    if not line_user_id:
        return None
    return person_from_bound(session, _BOUND.first(session, {"user": line_user_id}))


def person_from_bound(session: Session, row: tuple | None) -> Person | None:
    """The person of a row of ``BOUND_COLUMNS`` (None: not bound), kept as ``load_person`` keeps it; a
    teacher's row and 職務 are read here."""
    if row is None:
        return None
    kind, person_id, student_id, name, class_id, enrolment, class_code, grade = row
    if kind == PersonKind.student:
        if student_id is None:
            return None
        person = student_person(student_id, name, class_id, class_code, grade, enrolment)
    else:
        found, teaching = session.execute(_TEACHER, {"id": person_id}).first() or (None, False)
        if found is None:
            return None
        person = person_of(found, teaching)
    keep_person(session, person)
    return person


def keep_person(session: Session, person: Person | None) -> None:
    """Keep the person who is talking in the session's ``info`` for its unit of work (我的進度 reads the
    student's name and class from it: ``queries.student.who``)."""
    session.info[_KEPT] = person


def kept_person(session: Session) -> Person | None:
    """The person ``keep_person`` kept for this unit of work, if any."""
    return session.info.get(_KEPT)


_KEPT = "person"  # the session.info key of the person who is talking
