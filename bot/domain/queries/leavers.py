"""Students who are no longer 在學 but still have 收訖明細 to confirm: the office's hand-off list.

The bot does not push to them; the seed says the school tells them on paper: 「學生在學期/學年度結束後離校，
若無法利用原就讀學校學習歷程學校平臺進行收訖明細確認時，由原就讀學校利用紙本郵寄方式通知學生進行收訖明細確認。」
One query; batches are folded per student in Python.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.infra.models import ReceiptBatch, SchoolClass, Student, Term
from bot.infra.vocab import Enrolment


@dataclass(frozen=True)
class Leaver:
    student_no: str
    name: str
    class_code: str
    seat: int
    enrolment: Enrolment
    since: datetime | None        # when the roster changed their 在學狀態
    unconfirmed: tuple[str, ...]  # 提交批次 labels awaiting confirmation, oldest first


def leavers_to_tell(session: Session) -> list[Leaver]:
    """Not-在學 students (not yet purged) with a 收訖明細 batch neither confirmed nor deemed, by class and seat."""
    rows = session.execute(
        select(Student.id, Student.student_no, Student.name, SchoolClass.code, Student.seat, Student.enrolment,
               Student.enrolment_since, Term.year, Term.semester)
        .join(SchoolClass, Student.class_id == SchoolClass.id)
        .join(ReceiptBatch, ReceiptBatch.student_id == Student.id)
        .join(Term, ReceiptBatch.term_id == Term.id)
        .where(~Student.enrolled, Student.purged_at.is_(None), ReceiptBatch.confirmed_at.is_(None))
        .order_by(SchoolClass.code, Student.seat, Student.id, Term.year, Term.semester)).all()
    found: dict[int, Leaver] = {}
    for sid, no, name, code, seat, enrolment, since, year, semester in rows:
        before = found.get(sid)
        labels = (before.unconfirmed if before else ()) + (f"{year}-{semester}",)
        found[sid] = Leaver(no, name, code, seat, Enrolment(enrolment), since, labels)
    return list(found.values())
