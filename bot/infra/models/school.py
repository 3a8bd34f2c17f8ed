"""Who is in the school: terms, classes, students, teachers with duties, courses with proxies."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint, Enum
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.infra.vocab import DEFAULT_DIVISION, Duty, Enrolment
from .base import Base, utcnow


def str_enum(enum_cls, name: str):
    return Enum(enum_cls, name=name, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Term(Base):
    """A school term: 學年度 (ROC year) and 學期 (1 or 2)."""

    __tablename__ = "term"
    __table_args__ = (UniqueConstraint("year", "semester"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    semester: Mapped[int] = mapped_column(Integer)

    @property
    def label(self) -> str:
        return f"{self.year}-{self.semester}"


class SchoolClass(Base):
    """A class (班級) such as 101; its grade is 1-3."""

    __tablename__ = "school_class"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    grade: Mapped[int] = mapped_column(Integer)
    division: Mapped[str] = mapped_column(String(16), default=DEFAULT_DIVISION)


class Student(Base):
    __tablename__ = "student"

    id: Mapped[int] = mapped_column(primary_key=True)
    student_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    seat: Mapped[int] = mapped_column(Integer)
    # 在學狀態 (the roster's optional column); only 在學 students are reminded, listed and counted.
    enrolment: Mapped[Enrolment] = mapped_column(str_enum(Enrolment, "enrolment"), default=Enrolment.enrolled,
                                                 server_default=Enrolment.enrolled.value)
    # When the roster last changed 在學狀態: the retention clock of a student who left.
    enrolment_since: Mapped[datetime | None]
    # When the retention job removed their personal data (the row stays, anonymous, for past rates).
    purged_at: Mapped[datetime | None]

    school_class: Mapped[SchoolClass] = relationship(lazy="joined")

    @hybrid_property
    def enrolled(self) -> bool:
        """在學: reminded, listed and counted."""
        return self.enrolment == Enrolment.enrolled

    @enrolled.inplace.setter
    def _enrolled_setter(self, value: bool) -> None:
        self.enrolment = Enrolment.enrolled if value else Enrolment.left

    @enrolled.inplace.expression
    @classmethod
    def _enrolled_expression(cls):
        return cls.enrolment == Enrolment.enrolled


class Teacher(Base):
    __tablename__ = "teacher"

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_no: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(64))
    homeroom_class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)

    homeroom_class: Mapped[SchoolClass | None] = relationship(lazy="joined")
    duties: Mapped[list["TeacherDuty"]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="teacher"
    )

    @property
    def duty_set(self) -> frozenset[Duty]:
        return frozenset(d.duty for d in self.duties)


class TeacherDuty(Base):
    """One of a teacher's duties (職務)."""

    __tablename__ = "teacher_duty"

    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id", ondelete="CASCADE"), primary_key=True)
    duty: Mapped[Duty] = mapped_column(str_enum(Duty, "duty"), primary_key=True)

    teacher: Mapped[Teacher] = relationship(back_populates="duties")


class Course(Base):
    """A course taught to one class in one term, with its teacher."""

    __tablename__ = "course"
    __table_args__ = (UniqueConstraint("term_id", "code", "class_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(64))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"), index=True)

    term: Mapped[Term] = relationship(lazy="joined")
    school_class: Mapped[SchoolClass] = relationship(lazy="joined")
    teacher: Mapped[Teacher] = relationship()
    proxies: Mapped[list["CourseProxy"]] = relationship(
        cascade="all, delete-orphan", order_by="CourseProxy.position", lazy="selectin"
    )


class CourseProxy(Base):
    """A course's proxy teacher (代理教師); position 1 is asked first."""

    __tablename__ = "course_proxy"

    course_id: Mapped[int] = mapped_column(ForeignKey("course.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id"), index=True)

    teacher: Mapped[Teacher] = relationship(lazy="joined")


class TeacherAbsence(Base):
    """A period when a teacher is unavailable (請假); their courses' pending items go to proxies."""

    __tablename__ = "teacher_absence"

    id: Mapped[int] = mapped_column(primary_key=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id", ondelete="CASCADE"), index=True)
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    note: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    teacher: Mapped[Teacher] = relationship()
