"""What students put in their portfolio, and the schedule it runs on.

課程學習成果 (outcomes) with their status history, 多元表現 (performances), the yearly
pick (the ``picked`` flag), 收訖明細 (receipt batches and lines) with confirmation and
objections (疑義), and the school's schedule windows (作業期程).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.infra.vocab import OutcomeStatus, ReceiptItem, WindowKind
from .base import Base, utcnow
from .school import Course, Student, Term, str_enum


class Outcome(Base):
    """A 課程學習成果 item: one upload for one course, certified by its teacher."""

    __tablename__ = "outcome"
    __table_args__ = (Index("ix_outcome_course_status", "course_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_no: Mapped[str] = mapped_column(String(64), unique=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("course.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[OutcomeStatus] = mapped_column(str_enum(OutcomeStatus, "outcome_status"))
    submitted_at: Mapped[datetime | None]
    certified_at: Mapped[datetime | None]  # when certified or failed
    reason: Mapped[str | None] = mapped_column(Text)  # the teacher's reason for a failure
    picked: Mapped[bool] = mapped_column(default=False)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    student: Mapped[Student] = relationship()
    course: Mapped[Course] = relationship()
    history: Mapped[list["OutcomeEvent"]] = relationship(
        cascade="all, delete-orphan", order_by="OutcomeEvent.id", back_populates="outcome"
    )


class OutcomeEvent(Base):
    """One status an outcome entered, when it happened, and when we learnt of it."""

    __tablename__ = "outcome_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    outcome_id: Mapped[int] = mapped_column(ForeignKey("outcome.id", ondelete="CASCADE"), index=True)
    status: Mapped[OutcomeStatus] = mapped_column(str_enum(OutcomeStatus, "outcome_status"))
    happened_at: Mapped[datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    outcome: Mapped[Outcome] = relationship(back_populates="history")


class Performance(Base):
    """A 多元表現 item, uploaded by the student in a school year."""

    __tablename__ = "performance"

    id: Mapped[int] = mapped_column(primary_key=True)
    performance_no: Mapped[str] = mapped_column(String(64), unique=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    # 學期 of the upload (the file's 學期, else the term of 上傳時間; None when neither was given).
    semester: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime | None]
    picked: Mapped[bool] = mapped_column(default=False)

    student: Mapped[Student] = relationship()


class ReceiptBatch(Base):
    """A student's 收訖明細 for one submission batch (提交批次, a term)."""

    __tablename__ = "receipt_batch"
    __table_args__ = (UniqueConstraint("student_id", "term_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    student_id: Mapped[int] = mapped_column(ForeignKey("student.id"), index=True)
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    confirmed_at: Mapped[datetime | None]
    # "student" when confirmed in chat, "deemed" when the window closed unconfirmed (視為確認).
    confirmed_how: Mapped[str | None] = mapped_column(String(16))

    student: Mapped[Student] = relationship()
    term: Mapped[Term] = relationship(lazy="joined")
    lines: Mapped[list["ReceiptLine"]] = relationship(
        cascade="all, delete-orphan", order_by="ReceiptLine.id", back_populates="batch"
    )


class ReceiptLine(Base):
    __tablename__ = "receipt_line"
    __table_args__ = (UniqueConstraint("batch_id", "item", "content"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("receipt_batch.id", ondelete="CASCADE"), index=True)
    item: Mapped[ReceiptItem] = mapped_column(str_enum(ReceiptItem, "receipt_item"))
    content: Mapped[str] = mapped_column(String(500))

    batch: Mapped[ReceiptBatch] = relationship(back_populates="lines")


class Objection(Base):
    """A student's 疑義 on one item of a receipt batch, and how the office resolved it."""

    __tablename__ = "objection"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("receipt_batch.id", ondelete="CASCADE"), index=True)
    item: Mapped[ReceiptItem] = mapped_column(str_enum(ReceiptItem, "receipt_item"))
    reason: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    resolved_by: Mapped[str | None] = mapped_column(String(64))

    batch: Mapped[ReceiptBatch] = relationship()


class Window(Base):
    """A window of the school's schedule (作業期程) for one audience (對象)."""

    __tablename__ = "window"
    __table_args__ = (UniqueConstraint("kind", "term_id", "audience"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[WindowKind] = mapped_column(str_enum(WindowKind, "window_kind"))
    term_id: Mapped[int] = mapped_column(ForeignKey("term.id"), index=True)
    # 全校, or grades "1;2", or class codes "101;102" (normalised on import).
    audience: Mapped[str] = mapped_column(String(200))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]

    term: Mapped[Term] = relationship(lazy="joined")
