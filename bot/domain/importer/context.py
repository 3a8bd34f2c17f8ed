"""One import's shared state: the session, the clock, bad rows, and look-ups loaded in one query each.

Look-ups are cached until `forget()`, which the runner calls after each file so the next
file sees what the previous one wrote (all inside one transaction).
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from bot.domain.importer.fields import Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import RowError
from bot.infra.models import Course, SchoolClass, Student, Teacher, Term
from bot.infra.config import SchoolRules

T = TypeVar("T")


@dataclass(frozen=True)
class ClassInfo:
    id: int
    grade: int
    division: str


@dataclass(frozen=True)
class StudentInfo:
    id: int
    class_id: int


@dataclass
class CourseIndex:
    exact: dict[tuple[int, str, int], int]        # (term_id, code, class_id) -> course id
    by_code: dict[tuple[int, str], list[int]]     # (term_id, code) -> course ids in any class


class ImportContext:
    def __init__(self, session: Session, tz: ZoneInfo, now: datetime,
                 school: SchoolRules = SchoolRules()) -> None:
        self.session = session
        self.tz = tz
        self.now = now
        self.school = school  # the school's own limits (本校規定)
        self.outbox: list[int] = []  # pushes written in the import's transaction (sent once it commits)
        self.errors: list[RowError] = []
        self._cache: dict[str, object] = {}

    # -- bad rows -------------------------------------------------------------------------
    def error(self, table: Table, row_number: int | None, reason: str) -> None:
        self.errors.append(RowError(table.file, row_number, reason))

    def reject(self, table: Table, fields: Fields) -> bool:
        """Record the row's problems; True when it had any."""
        if fields.problems:
            self.error(table, fields.row.number, "；".join(fields.problems))
            return True
        return False

    # -- look-ups -------------------------------------------------------------------------
    def forget(self) -> None:
        self._cache.clear()

    def _cached(self, name: str, load: Callable[[], T]) -> T:
        if name not in self._cache:
            self._cache[name] = load()
        return self._cache[name]  # type: ignore[return-value]

    def classes(self) -> dict[str, ClassInfo]:
        return self._cached("classes", lambda: {
            code: ClassInfo(id_, grade, division) for id_, code, grade, division in self.session.execute(
                select(SchoolClass.id, SchoolClass.code, SchoolClass.grade, SchoolClass.division))
        })

    def teachers(self) -> dict[str, int]:
        return self._cached("teachers", lambda: dict(
            (no, id_) for id_, no in self.session.execute(select(Teacher.id, Teacher.teacher_no))))

    def students(self) -> dict[str, StudentInfo]:
        return self._cached("students", lambda: {
            no: StudentInfo(id_, class_id) for id_, no, class_id in self.session.execute(
                select(Student.id, Student.student_no, Student.class_id))
        })

    def terms(self) -> dict[tuple[int, int], int]:
        return self._cached("terms", lambda: {
            (year, semester): id_ for id_, year, semester in self.session.execute(
                select(Term.id, Term.year, Term.semester))
        })

    def term_id(self, year: int, semester: int) -> int:
        """The term's id, creating the term when it is new."""
        terms = self.terms()
        if (year, semester) not in terms:
            terms[(year, semester)] = self.session.scalar(
                insert(Term).values(year=year, semester=semester).returning(Term.id))
        return terms[(year, semester)]

    def courses(self) -> CourseIndex:
        def load() -> CourseIndex:
            exact: dict[tuple[int, str, int], int] = {}
            by_code: dict[tuple[int, str], list[int]] = defaultdict(list)
            for id_, term_id, code, class_id in self.session.execute(
                    select(Course.id, Course.term_id, Course.code, Course.class_id)):
                exact[(term_id, code, class_id)] = id_
                by_code[(term_id, code)].append(id_)
            return CourseIndex(exact, dict(by_code))
        return self._cached("courses", load)
