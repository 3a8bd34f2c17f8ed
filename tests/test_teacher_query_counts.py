"""Set-based: 待認證, 班級名單 (with the nudge plan) and 統計 run the same number of SQL statements
whatever the number of students, items and courses."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.domain import nudge
from bot.domain.queries.homeroom import LIST_KEYS, class_list
from bot.domain.queries.rates import rates
from bot.domain.queries.teacher import pending_for_teacher
from bot.domain.queries.terms import current_term
from bot.domain.stages import StageConfig
from bot.infra.models import (
    Course, CourseProxy, LineBinding, Outcome, Performance, ReceiptBatch, SchoolClass, Student, Teacher,
)
from bot.infra.vocab import OutcomeStatus, PersonKind
from tests.helpers import counting
from tests.roles_school import NOW, TZ, build


def grow(s, school, n: int) -> None:
    """n more students in 101 (bound), each with a pending math item, a failed one, a batch, a performance;
    and n more courses of wang's with proxies."""
    for i in range(n):
        st = Student(student_no=f"X{i}", name=f"X{i}", class_id=school.classes["101"], seat=10 + i)
        s.add(st)
        s.flush()
        s.add(LineBinding(line_user_id=f"U{i:032x}", person_kind=PersonKind.student, person_id=st.id))
        course = Course(term_id=school.term_id, code=f"EL{i}", subject=f"選修{i}", class_id=school.classes["101"],
                        teacher_id=school.ids["wang"])
        course.proxies = [CourseProxy(position=1, teacher_id=school.ids["lin"])]
        s.add(course)
        s.flush()
        for status, key in ((OutcomeStatus.pending, school.courses["math101"]), (OutcomeStatus.failed, course.id)):
            s.add(Outcome(outcome_no=f"X{i}-{status}", student_id=st.id, course_id=key, title="t", status=status,
                          submitted_at=NOW - timedelta(days=i % 7), certified_at=NOW if status == "failed" else None))
        s.add(ReceiptBatch(student_id=st.id, term_id=school.term_id))
        s.add(Performance(performance_no=f"XP{i}", student_id=st.id, year=114, category="c", title="t"))
    s.flush()


def statements_for(db) -> list[int]:
    counts = []
    with db.session() as s, counting(db) as seen:
        pending_for_teacher(s, _id(s, "T-wang"), NOW, StageConfig(), TZ)
        counts.append(len(seen))
        for key in LIST_KEYS:
            listing = class_list(s, _class(s), key, NOW, TZ)
            nudge.plan(s, listing, NOW, TZ)
        counts.append(len(seen) - counts[0])
        rates(s, current_term(s, NOW, TZ), NOW, TZ)
        counts.append(len(seen) - sum(counts))
    return counts


def _id(s, teacher_no: str) -> int:
    return s.scalar(select(Teacher.id).where(Teacher.teacher_no == teacher_no))


def _class(s) -> int:
    return s.scalar(select(SchoolClass.id).where(SchoolClass.code == "101"))


def test_statement_counts_do_not_grow_with_the_school(db):
    with db.session() as s:
        school = build(s)
    small = statements_for(db)
    with db.session() as s:
        grow(s, school, 40)
    large = statements_for(db)
    assert large == small, (small, large)
    assert small[0] <= 6 and small[1] <= 4 * 8 and small[2] <= 10
