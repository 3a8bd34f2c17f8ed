"""A small school for the teacher, homeroom and staff tests (term 114-1, "now" is 2025-11-20 10:00 Taipei).

classes   101 (高一), 102 (高一), 201 (高二)
teachers  wang  數學 101 and 102 (proxies: lin 1st, chen 2nd); 導師 of 101
          lin   英文 102 (proxy: wang);                      導師 of 102
          chen  no course of his own
          hsu   註冊組 (staff only)
          kao   國文 201; 導師 of 201 and 教學組 (three roles)
students  101: amy 1, ben 2, cat 3, dan 4, ida 5      102: eve 1, fay 2      201: gus 1 (NOT BOUND)
outcomes  math 101: amy pending (10 days), ben pending (2 days), cat certified (picked), dan failed
          math 102: eve pending (4 days), fay certified after 3 days
          english 102: fay pending (1 day)          國文 201: gus certified after 5 days
receipts  114-1 batches: amy, cat confirmed; ben, dan unconfirmed (101); eve confirmed, fay not (102)
windows   certification 全校 2025-11-01..2026-01-20; receipt 高一 2025-11-18..2025-11-25;
          pick 全校 2025-11-01..2025-12-31
uploads   ida uploaded nothing (no batch either); ben has a performance (not picked)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.orm import Session

from bot.infra.models import (
    Course, CourseProxy, LineBinding, Outcome, Performance, ReceiptBatch, SchoolClass, Student, Teacher,
    TeacherDuty, Term, Window,
)
from bot.infra.vocab import Duty, OutcomeStatus, PersonKind, WindowKind
from tests.factories import line_user_id as uid
from tests.reminder_factories import TZ, local

NOW = local("2025-11-20 10:00")
__all__ = ["NOW", "TZ", "School", "build", "local", "uid"]


@dataclass
class School:
    term_id: int = 0
    ids: dict[str, int] = field(default_factory=dict)
    classes: dict[str, int] = field(default_factory=dict)
    courses: dict[str, int] = field(default_factory=dict)


STUDENTS = [("amy", "101", 1), ("ben", "101", 2), ("cat", "101", 3), ("dan", "101", 4), ("ida", "101", 5),
            ("eve", "102", 1), ("fay", "102", 2), ("gus", "201", 1)]
UNBOUND = {"gus"}


def build(session: Session) -> School:
    school = School()
    term = Term(year=114, semester=1)
    session.add(term)
    classes = {code: SchoolClass(code=code, grade=int(code[0])) for code in ("101", "102", "201")}
    session.add_all(classes.values())
    session.flush()
    school.term_id = term.id
    school.classes = {code: c.id for code, c in classes.items()}
    people: dict[str, Student | Teacher] = {}
    for name, code, seat in STUDENTS:
        people[name] = Student(student_no=f"S-{name}", name=name.upper(), class_id=classes[code].id, seat=seat)
    duties = {"wang": [Duty.subject_teacher], "lin": [Duty.subject_teacher], "chen": [Duty.subject_teacher],
              "hsu": [Duty.registry], "kao": [Duty.subject_teacher, Duty.academic]}
    homeroom = {"wang": "101", "lin": "102", "kao": "201"}
    for name, its in duties.items():
        t = Teacher(teacher_no=f"T-{name}", name=f"{name.upper()}老師",
                    homeroom_class_id=classes[homeroom[name]].id if name in homeroom else None)
        t.duties = [TeacherDuty(duty=d) for d in its]
        people[name] = t
    session.add_all(people.values())
    session.flush()
    for name, person in people.items():
        school.ids[name] = person.id
        if name not in UNBOUND:
            kind = PersonKind.student if isinstance(person, Student) else PersonKind.teacher
            session.add(LineBinding(line_user_id=uid(name), person_kind=kind, person_id=person.id))

    def course(key: str, code: str, subject: str, klass: str, teacher: str, proxies: list[str]) -> Course:
        c = Course(term_id=term.id, code=code, subject=subject, class_id=classes[klass].id,
                   teacher_id=people[teacher].id)
        c.proxies = [CourseProxy(position=n, teacher_id=people[p].id) for n, p in enumerate(proxies, start=1)]
        session.add(c)
        session.flush()
        school.courses[key] = c.id
        return c

    course("math101", "MATH", "數學", "101", "wang", ["lin", "chen"])
    course("math102", "MATH", "數學", "102", "wang", ["lin", "chen"])
    course("eng102", "ENG", "英文", "102", "lin", ["wang"])
    course("chi201", "CHI", "國文", "201", "kao", [])

    def outcome(who: str, key: str, status: OutcomeStatus, waited_days: float = 0, took_days: float | None = None,
                picked: bool = False, reason: str | None = None) -> None:
        submitted = NOW - timedelta(days=waited_days)
        certified = submitted + timedelta(days=took_days) if took_days is not None else None
        session.add(Outcome(outcome_no=f"O-{who}-{key}", student_id=people[who].id, course_id=school.courses[key],
                            title=f"{who}的作品", status=status, submitted_at=submitted, certified_at=certified,
                            picked=picked, reason=reason, status_changed_at=certified or submitted))

    outcome("amy", "math101", OutcomeStatus.pending, 10)
    outcome("ben", "math101", OutcomeStatus.pending, 2)
    outcome("cat", "math101", OutcomeStatus.certified, 20, took_days=1, picked=True)
    outcome("dan", "math101", OutcomeStatus.failed, 9, took_days=2, reason="檔案無法開啟")
    outcome("eve", "math102", OutcomeStatus.pending, 4)
    outcome("fay", "math102", OutcomeStatus.certified, 12, took_days=3)
    outcome("fay", "eng102", OutcomeStatus.pending, 1)
    outcome("gus", "chi201", OutcomeStatus.certified, 15, took_days=5)
    session.add(Performance(performance_no="P-ben", student_id=people["ben"].id, year=114, category="幹部",
                            title="班長", uploaded_at=NOW - timedelta(days=30)))
    for who, confirmed in (("amy", True), ("ben", False), ("cat", True), ("dan", False), ("eve", True),
                           ("fay", False)):
        session.add(ReceiptBatch(student_id=people[who].id, term_id=term.id,
                                 confirmed_at=local("2025-11-19 12:00") if confirmed else None,
                                 confirmed_how="student" if confirmed else None))
    session.add_all([
        Window(kind=WindowKind.certification, term_id=term.id, audience="全校",
               starts_at=local("2025-11-01 00:00"), ends_at=local("2026-01-20 00:00")),
        Window(kind=WindowKind.receipt, term_id=term.id, audience="grades:1",
               starts_at=local("2025-11-18 00:00"), ends_at=local("2025-11-25 00:00")),
        Window(kind=WindowKind.pick, term_id=term.id, audience="全校",
               starts_at=local("2025-11-01 00:00"), ends_at=local("2025-12-31 00:00")),
    ])
    session.flush()
    return school
