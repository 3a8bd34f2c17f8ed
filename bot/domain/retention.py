"""Retention: students who left school (轉出, 畢業, 離校) lose their personal data after the school's
retention years; their rows stay, anonymous, so past rates still count them.

Seeds: 「已畢業學生之學習歷程檔案資料，封存 2年；達保存年限後，始得刪除。」 (臺南二中) and 「離校生之學習歷程檔案
資料，保存○年(以1年至5年間為宜)；達保存年限後，始得刪除。」 A 休學 student may come back: never purged.

What goes: name, 學號 and seat (the row is kept as 「已刪除」 for the counts), LINE bindings and binding
codes, 收訖明細 lines and 疑義, 成果名稱 and the teachers' reasons, 多元表現 titles, reminder ledger
rows and mutes, and the pushes written to them (a multicast keeps its other recipients). What stays:
each item's status, picks, dates and batch confirmations, with no name attached.
A few statements per table, whatever the number of students.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from bot.infra.models import (
    BindingCode, LineBinding, Objection, OutboxMessage, Outcome, OutcomeEvent, Performance, ReceiptBatch,
    ReceiptLine, ReminderLedger, ReminderMute, Student,
)
from bot.infra.vocab import LEFT_SCHOOL, PersonKind

PURGED_NAME = "（已刪除）"


@dataclass
class PurgeReport:
    """What a purge deleted (or, dry, would delete)."""

    students: list[tuple[str, str]] = field(default_factory=list)  # (學號, 姓名), as they were
    counts: dict[str, int] = field(default_factory=dict)           # what -> rows
    clocks_started: int = 0  # left without a date (rows from before 在學狀態 was kept): dated today


def years_before(moment: datetime, years: int) -> datetime:
    """The same instant ``years`` calendar years earlier (29 Feb falls back to 28 Feb)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


def due(session: Session, now: datetime, years: int) -> list[Student]:
    """Students who left at least ``years`` ago and still carry personal data."""
    return list(session.scalars(select(Student).where(
        Student.enrolment.in_(LEFT_SCHOOL), Student.purged_at.is_(None),
        Student.enrolment_since.is_not(None), Student.enrolment_since <= years_before(now, years))
        .order_by(Student.id)))


def _start_clocks(session: Session, now: datetime) -> int:
    """Date the leavers whose leaving was never dated, so their retention years start now."""
    return session.execute(
        update(Student).where(Student.enrolment.in_(LEFT_SCHOOL), Student.enrolment_since.is_(None))
        .values(enrolment_since=now).execution_options(synchronize_session=False)).rowcount or 0


def purge(session: Session, now: datetime, years: int, dry_run: bool = False) -> PurgeReport:
    """Remove the personal data of students due (see ``due``); with ``dry_run`` only count it."""
    report = PurgeReport()
    students = due(session, now, years)
    report.students = [(s.student_no, s.name) for s in students]
    ids = [s.id for s in students]
    if not dry_run:
        report.clocks_started = _start_clocks(session, now)
    if not ids:
        return report
    mine = (LineBinding.person_kind == PersonKind.student, LineBinding.person_id.in_(ids))
    users = set(session.scalars(select(LineBinding.line_user_id).where(*mine)))
    batches = select(ReceiptBatch.id).where(ReceiptBatch.student_id.in_(ids)).scalar_subquery()
    outcomes = select(Outcome.id).where(Outcome.student_id.in_(ids)).scalar_subquery()
    deleted = (  # what is deleted, under the name the report gives it: (name, table, which rows)
        ("LINE 綁定", LineBinding, mine),
        ("綁定碼", BindingCode, (BindingCode.person_kind == PersonKind.student, BindingCode.person_id.in_(ids))),
        ("收訖明細內容", ReceiptLine, (ReceiptLine.batch_id.in_(batches),)),
        ("疑義", Objection, (Objection.batch_id.in_(batches),)),
        ("提醒紀錄", ReminderLedger, (ReminderLedger.person_kind == PersonKind.student,
                                  ReminderLedger.person_id.in_(ids))),
        ("提醒設定", ReminderMute, (ReminderMute.person_kind == PersonKind.student, ReminderMute.person_id.in_(ids))),
    )
    pushes, multicasts = _their_outbox(session, users)
    for name, table, where in deleted:
        report.counts[name] = session.scalar(select(func.count()).select_from(table).where(*where)) or 0
    report.counts["推播紀錄"] = len(pushes) + len(multicasts)
    if dry_run:
        return report

    for _, table, where in deleted:  # their ledger rows first: the pushes below may then go
        session.execute(delete(table).where(*where))
    if pushes:
        session.execute(update(ReminderLedger).where(ReminderLedger.outbox_id.in_(pushes)).values(outbox_id=None))
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(pushes)))
    if multicasts:
        session.execute(update(OutboxMessage), [{"id": oid, "recipients": rest} for oid, rest in multicasts.items()])
    session.execute(update(Outcome).where(Outcome.student_id.in_(ids)).values(title="", reason=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(OutcomeEvent).where(OutcomeEvent.outcome_id.in_(outcomes)).values(reason=None)
                    .execution_options(synchronize_session=False))
    session.execute(update(Performance).where(Performance.student_id.in_(ids)).values(title="")
                    .execution_options(synchronize_session=False))
    session.execute(update(Student), [
        {"id": sid, "name": PURGED_NAME, "student_no": f"purged-{sid}", "seat": 0, "purged_at": now} for sid in ids])
    return report


def _their_outbox(session: Session, users: set[str]) -> tuple[list[int], dict[int, list[str]]]:
    """Outbox rows addressed to ``users``: pushes (and multicasts to nobody else) to delete, and the
    other multicasts with those users taken out."""
    if not users:
        return [], {}
    pushes: list[int] = []
    multicasts: dict[int, list[str]] = {}
    rows = session.execute(select(OutboxMessage.id, OutboxMessage.recipients)
                           .where(or_(OutboxMessage.kind == "push", OutboxMessage.kind == "multicast")))
    for oid, recipients in rows:
        recipients = list(recipients or [])
        rest = [r for r in recipients if r not in users]
        if len(rest) == len(recipients):
            continue
        if rest:
            multicasts[oid] = rest
        else:
            pushes.append(oid)
    return pushes, multicasts
