"""收訖明細 confirmation and objections (疑義): record them, tell the office, resolve them.

A student confirms a whole batch or raises an objection on one item, only inside the batch's
收訖明細確認 window (a Window of kind receipt whose audience includes them). Both are recorded
with their time and are idempotent: confirming twice changes nothing, and an item with an
objection still open takes no second one. While an objection is open the batch cannot be
confirmed (nor is it deemed confirmed when the window closes). The office in charge of the item (the school's
setting, Settings.school.office: the teachers holding that 職務) gets one push or multicast; `resolve` records the outcome and
tells the student by push.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo
from enum import Enum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.people import students_on_line
from bot.domain.queries.student import BatchView, WindowRow, batch_of
from bot.infra.models import LineBinding, Objection, ReceiptBatch, SchoolClass, Student, TeacherDuty, Term
from bot.infra.sender import Sender, SendResult
from bot.infra.vocab import Duty, PersonKind, ReceiptItem

log = logging.getLogger(__name__)

MAX_REASON = 300
MAX_RESOLUTION = 1000
CONFIRMED_BY_STUDENT = "student"
OBJECTION_PURPOSE = "objection"
RESOLUTION_PURPOSE = "objection_resolved"


class Refusal(Enum):
    not_found = "not_found"          # no such batch of this student (or someone else's)
    no_window = "no_window"          # no 收訖明細確認 window for the batch's term
    not_open_yet = "not_open_yet"
    closed = "closed"
    confirmed = "confirmed"          # already confirmed (objection refused)
    pending = "pending"              # an objection on this item is still open
    objection_open = "objection_open"  # confirming while a 疑義 on the batch is being handled
    empty = "empty"
    too_long = "too_long"


@dataclass(frozen=True)
class Decision:
    """What a confirm or objection came to: done (``fresh`` False for a repeat) or a refusal."""

    batch: BatchView | None
    refusal: Refusal | None = None
    fresh: bool = False
    objection: Objection | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None


def window_refusal(window: WindowRow | None, now: datetime) -> Refusal | None:
    if window is None:
        return Refusal.no_window
    if now < window.starts_at:
        return Refusal.not_open_yet
    if now >= window.ends_at:
        return Refusal.closed
    return None


def confirm(session: Session, student_id: int, batch_id: int, now: datetime) -> Decision:
    """確認無誤: mark the student's batch confirmed (once); refused outside its window."""
    batch = batch_of(session, student_id, batch_id, now)
    if batch is None:
        return Decision(None, Refusal.not_found)
    if batch.confirmed_at is not None:
        return Decision(batch)  # a second tap: nothing more happens
    refusal = window_refusal(batch.window, now) or (Refusal.objection_open if batch.objection_open else None)
    if refusal is not None:
        return Decision(batch, refusal)
    done = session.execute(
        update(ReceiptBatch)
        .where(ReceiptBatch.id == batch_id, ReceiptBatch.student_id == student_id, ReceiptBatch.confirmed_at.is_(None))
        .values(confirmed_at=now, confirmed_how=CONFIRMED_BY_STUDENT)
        .execution_options(synchronize_session=False))
    session.expire_all()
    return Decision(batch_of(session, student_id, batch_id, now), fresh=done.rowcount == 1)


def can_object(session: Session, student_id: int, batch_id: int, now: datetime) -> Decision:
    """Whether the student may raise an objection on this batch now (before asking for the reason)."""
    batch = batch_of(session, student_id, batch_id, now)
    if batch is None:
        return Decision(None, Refusal.not_found)
    if batch.confirmed_at is not None:
        return Decision(batch, Refusal.confirmed)
    refusal = window_refusal(batch.window, now)
    return Decision(batch, refusal)


def _printable(text: str | None) -> str:
    """Without NUL and the other C0 controls but newline and tab (no database keeps a NUL)."""
    return "".join(ch for ch in (text or "") if ch in "\n\t" or ord(ch) >= 32).strip()


def clean_reason(reason: str) -> tuple[str, Refusal | None]:
    reason = _printable(reason)
    if not reason:
        return reason, Refusal.empty
    if len(reason) > MAX_REASON:
        return reason, Refusal.too_long
    return reason, None


def raise_objection(session: Session, student_id: int, batch_id: int, item: ReceiptItem, reason: str,
                    now: datetime) -> Decision:
    """提出疑義 on one item; an item whose objection is still open takes no second one."""
    decision = can_object(session, student_id, batch_id, now)
    if not decision.ok:
        return decision
    reason, bad = clean_reason(reason)
    if bad is not None:
        return Decision(decision.batch, bad)
    existing = decision.batch.open_objection(item)
    if existing is not None:
        return Decision(decision.batch, Refusal.pending, objection=existing)
    objection = Objection(batch_id=batch_id, item=item, reason=reason, created_at=now)
    session.add(objection)
    session.flush()
    return Decision(decision.batch, fresh=True, objection=objection)


def office_recipients(session: Session, duty: Duty) -> list[str]:
    """LINE accounts of an office, bound and not blocked, in order."""
    return list(session.scalars(
        select(LineBinding.line_user_id)
        .join(TeacherDuty, TeacherDuty.teacher_id == LineBinding.person_id)
        .where(LineBinding.person_kind == PersonKind.teacher, LineBinding.unbound_at.is_(None),
               LineBinding.blocked.is_(False), TeacherDuty.duty == duty)
        .order_by(LineBinding.line_user_id).distinct()))


@dataclass(frozen=True)
class Notice:
    """Who was told of an objection: the office in charge, else 管理者; ``duty`` None when nobody was."""

    outbox_id: int | None
    duty: Duty | None


def enqueue_office_notice(session: Session, sender: Sender, office: Duty, messages: list[dict]) -> Notice:
    """Write one push/multicast to ``office``, the one in charge (nobody of it on LINE: to 管理者) in this
    transaction. ``sender.deliver(notice.outbox_id)`` sends it once the transaction is committed."""
    for duty in (office, Duty.admin):
        recipients = office_recipients(session, duty)
        if recipients:
            kind = "push" if len(recipients) == 1 else "multicast"
            return Notice(sender.enqueue(kind, recipients, messages, OBJECTION_PURPOSE, session=session).id, duty)
        log.warning("objection: nobody of %s is bound to LINE", duty.value)
    return Notice(None, None)


# -- the office's side ---------------------------------------------------------------
@dataclass(frozen=True)
class ObjectionRow:
    """An objection as the office lists it."""

    id: int
    created_at: datetime
    term_label: str
    item: ReceiptItem
    reason: str
    student_no: str
    student_name: str
    class_code: str
    seat: int
    resolved_at: datetime | None
    resolution: str | None
    resolved_by: str | None


def _rows(session: Session, *conditions) -> list[ObjectionRow]:
    stmt = (select(Objection.id, Objection.created_at, Term.year, Term.semester, Objection.item, Objection.reason,
                   Student.student_no, Student.name, SchoolClass.code, Student.seat, Objection.resolved_at,
                   Objection.resolution, Objection.resolved_by)
            .join(ReceiptBatch, Objection.batch_id == ReceiptBatch.id)
            .join(Term, ReceiptBatch.term_id == Term.id)
            .join(Student, ReceiptBatch.student_id == Student.id)
            .join(SchoolClass, Student.class_id == SchoolClass.id)
            .where(*conditions).order_by(Objection.id))
    return [ObjectionRow(oid, created, f"{year}-{sem}", ReceiptItem(item), reason, no, name, code, seat, resolved,
                         resolution, by)
            for oid, created, year, sem, item, reason, no, name, code, seat, resolved, resolution, by
            in session.execute(stmt)]


def answer_by(created_at: datetime, school_days: int, tz: ZoneInfo) -> datetime:
    """When the office must have answered: the end of the ``school_days``-th school day (Mon-Fri, local)
    after the objection was raised."""
    day = created_at.astimezone(tz).date()
    left = school_days
    while left:
        day += timedelta(days=1)
        if day.weekday() < 5:
            left -= 1
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(timezone.utc)


def overdue(row: "ObjectionRow", school_days: int, now: datetime, tz: ZoneInfo) -> bool:
    return row.resolved_at is None and now > answer_by(row.created_at, school_days, tz)


def listing(session: Session, include_resolved: bool = False, item: ReceiptItem | None = None) -> list[ObjectionRow]:
    conditions = [] if include_resolved else [Objection.resolved_at.is_(None)]
    if item is not None:
        conditions.append(Objection.item == item)
    return _rows(session, *conditions)


def one(session: Session, objection_id: int) -> ObjectionRow | None:
    found = _rows(session, Objection.id == objection_id)
    return found[0] if found else None


class Resolution(Enum):
    resolved = "resolved"
    not_found = "not_found"
    already = "already"
    empty = "empty"
    too_long = "too_long"


def resolve(session: Session, objection_id: int, text: str, by: str, now: datetime) -> tuple[Resolution, str | None]:
    """Record the office's answer (once); returns the outcome and the student's LINE user id to tell."""
    text = _printable(text)
    if not text:
        return Resolution.empty, None
    if len(text) > MAX_RESOLUTION:
        return Resolution.too_long, None
    objection = session.get(Objection, objection_id)
    if objection is None:
        return Resolution.not_found, None
    if objection.resolved_at is not None:
        return Resolution.already, None
    done = session.execute(
        update(Objection).where(Objection.id == objection_id, Objection.resolved_at.is_(None))
        .values(resolved_at=now, resolution=text, resolved_by=by[:64] or None)
        .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        return Resolution.already, None
    student_id = session.scalar(select(ReceiptBatch.student_id).where(ReceiptBatch.id == objection.batch_id))
    user = students_on_line(session, [student_id]).get(student_id)
    session.expire_all()
    return Resolution.resolved, user


def tell_student(sender: Sender, user_id: str | None, messages: list[dict]) -> SendResult | None:
    """Push the outcome to the student (None when they are not on LINE)."""
    if user_id is None:
        return None
    return sender.push(user_id, messages, purpose=RESOLUTION_PURPOSE)
