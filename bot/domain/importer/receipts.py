"""收訖明細: one batch per (student, term of 提交批次); the file's lines of a batch's item are that
item's whole content (key 學號+提交批次+項目+內容): new lines are added, and lines of that item the
file no longer has are removed — the school's corrected re-submission replaces what it corrects.
Items the file does not mention are left as they are. A batch a re-import changed is a correction:
see `corrected`."""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import delete, select, update

from bot.domain.importer.bulk import insert_all, insert_returning_ids
from bot.domain.importer.checks import Record, drop_duplicates
from bot.domain.importer.context import ImportContext
from bot.domain.importer.fields import MAX_YEAR, MIN_YEAR, Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import FileReport
from bot.domain.importer.spec import KindSpec
from bot.domain.audience import Audience
from bot.domain.people import students_on_line
from bot.infra.models import Objection, ReceiptBatch, ReceiptLine, SchoolClass, Student, Term, Window
from bot.infra.sender import outbox_row
from bot.infra.vocab import RECEIPT_ITEM_LABELS, ReceiptItem, WindowKind
from messages import receipts as words

ITEMS: dict[str, ReceiptItem] = {label: item for item, label in RECEIPT_ITEM_LABELS.items()}
BATCH = re.compile(r"(\d{2,3})-([12])")
CORRECTION_BY = "更正匯入"
CORRECTION_PURPOSE = "receipt_corrected"


@dataclass(frozen=True)
class ReceiptRow:
    student_id: int
    year: int
    semester: int
    item: ReceiptItem
    content: str


def _parse(table: Table, ctx: ImportContext) -> list[Record[ReceiptRow]]:
    students = ctx.students()
    records: list[Record[ReceiptRow]] = []
    for row in table.consume():
        f = Fields(row, ctx.tz)
        student_no = f.text("學號")
        if student_no is not None and student_no not in students:
            f.fail(f"學號「{student_no}」不是已知的學生（請先匯入學生名冊）")
        batch = f.text("提交批次")
        match = BATCH.fullmatch(batch) if batch else None
        if batch is not None and (match is None or not MIN_YEAR <= int(match[1]) <= MAX_YEAR):
            f.fail(f"提交批次「{batch}」須像 113-2（學年度-學期）")
        item = f.choice("項目", ITEMS)
        content = f.text("內容", max_len=500)
        if not ctx.reject(table, f):
            data = ReceiptRow(students[student_no].id, int(match[1]), int(match[2]), item, content)
            records.append(Record(row.number, (student_no, batch, item, content), data))
    return drop_duplicates(ctx, table, records, lambda k: f"學號 {k[0]} 批次 {k[1]} 的同一{RECEIPT_ITEM_LABELS[k[2]]}內容")


def run(table: Table, ctx: ImportContext, report: FileReport) -> None:
    records = _parse(table, ctx)
    session = ctx.session
    term_ids = {(r.data.year, r.data.semester): ctx.term_id(r.data.year, r.data.semester) for r in records}
    wanted_terms = sorted(set(term_ids.values()))
    batches: dict[tuple[int, int], int] = {}
    lines: dict[tuple[int, ReceiptItem], set[str]] = defaultdict(set)
    if wanted_terms:
        batches = {(s, t): id_ for id_, s, t in session.execute(
            select(ReceiptBatch.id, ReceiptBatch.student_id, ReceiptBatch.term_id)
            .where(ReceiptBatch.term_id.in_(wanted_terms)))}
        for b, i, c in session.execute(
                select(ReceiptLine.batch_id, ReceiptLine.item, ReceiptLine.content)
                .join(ReceiptBatch, ReceiptBatch.id == ReceiptLine.batch_id)
                .where(ReceiptBatch.term_id.in_(wanted_terms))):
            lines[(b, ReceiptItem(i))].add(c)
    had_lines = {b for b, _ in lines}
    missing = sorted({(r.data.student_id, term_ids[(r.data.year, r.data.semester)]) for r in records} - set(batches))
    ids = insert_returning_ids(session, ReceiptBatch, [{"student_id": s, "term_id": t} for s, t in missing],
                               ("student_id", "term_id"))
    batches.update(zip(missing, ids))
    if missing:
        report.notes.append(f"新增收訖批次 {len(missing)} 個")
    wanted: dict[tuple[int, ReceiptItem], set[str]] = defaultdict(set)
    for record in records:
        r = record.data
        wanted[(batches[(r.student_id, term_ids[(r.year, r.semester)])], r.item)].add(r.content)
    inserts, removed = [], 0
    changed: dict[int, set[ReceiptItem]] = defaultdict(set)  # batch -> items whose lines the file changed
    for (batch_id, item), contents in wanted.items():
        old = lines.get((batch_id, item), set())
        report.counts.unchanged += len(contents & old)
        inserts += [{"batch_id": batch_id, "item": item, "content": c} for c in sorted(contents - old)]
        gone = old - contents  # the file is the item's whole content now: a correction replaces it
        if gone:
            session.execute(delete(ReceiptLine).where(
                ReceiptLine.batch_id == batch_id, ReceiptLine.item == item, ReceiptLine.content.in_(sorted(gone))))
            removed += len(gone)
        if batch_id in had_lines and (gone or contents - old):
            changed[batch_id].add(item)
    insert_all(session, ReceiptLine, inserts)
    report.counts.inserted += len(inserts)
    if removed:
        report.notes.append(f"移除被更正的舊明細 {removed} 筆")
    if changed:
        corrected(ctx, changed)
        report.notes.append(f"更正收訖明細 {len(changed)} 份（已通知學生重新確認）")


def corrected(ctx: ImportContext, changed: dict[int, set[ReceiptItem]]) -> None:
    """Batches whose lines a re-import changed: the 疑義 on those items are answered by the correction,
    the batch asks to be confirmed again while its window is open, and the student gets one push
    (an outbox row in the import's transaction, so it is sent exactly when the import commits).
    A few statements whatever the number of batches (one UPDATE of objections per batch)."""
    session, now = ctx.session, ctx.now
    batches = [(b, student, term, f"{year}-{semester}") for b, student, term, year, semester in session.execute(
        select(ReceiptBatch.id, ReceiptBatch.student_id, ReceiptBatch.term_id, Term.year, Term.semester)
        .join(Term, ReceiptBatch.term_id == Term.id).where(ReceiptBatch.id.in_(sorted(changed))))]
    students = [student_id for _, student_id, _, _ in batches]
    where = {sid: (grade, code) for sid, grade, code in session.execute(
        select(Student.id, SchoolClass.grade, SchoolClass.code)
        .join(SchoolClass, Student.class_id == SchoolClass.id).where(Student.id.in_(students)))}
    windows = [(w.term_id, Audience.from_db(w.audience), w.ends_at) for w in session.scalars(select(Window).where(
        Window.kind == WindowKind.receipt, Window.starts_at <= now, Window.ends_at > now).order_by(Window.ends_at))]
    users = students_on_line(session, students)
    reopened, pushes = [], []
    for batch_id, student_id, term_id, term_label in batches:
        items = sorted(changed[batch_id])
        session.execute(update(Objection).where(
            Objection.batch_id == batch_id, Objection.item.in_(items), Objection.resolved_at.is_(None))
            .values(resolved_at=now, resolution=words.CORRECTION_RESOLVES, resolved_by=CORRECTION_BY))
        grade, code = where[student_id]
        confirm_by = next((end for t, audience, end in windows if t == term_id and audience.includes(grade, code)),
                          None)  # the batch's window open now for the student's class
        if confirm_by is not None:
            reopened.append(batch_id)
        if student_id in users:
            pushes.append(outbox_row("push", [users[student_id]],
                                     [words.corrected_notice(term_label, items, confirm_by, ctx.tz)],
                                     CORRECTION_PURPOSE))
    session.add_all(pushes)
    session.flush()
    ctx.outbox += [row.id for row in pushes]
    if reopened:
        session.execute(update(ReceiptBatch).where(ReceiptBatch.id.in_(reopened))
                        .values(confirmed_at=None, confirmed_how=None))


SPEC = KindSpec("receipts", "收訖明細", ("學號", "提交批次", "項目", "內容"), run)
