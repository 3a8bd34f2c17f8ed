"""收訖明細: one batch per (student, term of 提交批次); lines added when absent
(key 學號+提交批次+項目+內容). Existing lines are never removed."""
from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select

from bot.domain.importer.bulk import insert_all, insert_returning_ids
from bot.domain.importer.checks import Record, drop_duplicates
from bot.domain.importer.context import ImportContext
from bot.domain.importer.fields import MAX_YEAR, MIN_YEAR, Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import FileReport
from bot.domain.importer.spec import KindSpec
from bot.infra.models import ReceiptBatch, ReceiptLine
from bot.infra.vocab import RECEIPT_ITEM_LABELS, ReceiptItem

ITEMS: dict[str, ReceiptItem] = {label: item for item, label in RECEIPT_ITEM_LABELS.items()}
BATCH = re.compile(r"(\d{2,3})-([12])")


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
    for row in table.rows:
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
    lines: set[tuple[int, ReceiptItem, str]] = set()
    if wanted_terms:
        batches = {(s, t): id_ for id_, s, t in session.execute(
            select(ReceiptBatch.id, ReceiptBatch.student_id, ReceiptBatch.term_id)
            .where(ReceiptBatch.term_id.in_(wanted_terms)))}
        lines = {(b, ReceiptItem(i), c) for b, i, c in session.execute(
            select(ReceiptLine.batch_id, ReceiptLine.item, ReceiptLine.content)
            .join(ReceiptBatch, ReceiptBatch.id == ReceiptLine.batch_id)
            .where(ReceiptBatch.term_id.in_(wanted_terms)))}
    missing = sorted({(r.data.student_id, term_ids[(r.data.year, r.data.semester)]) for r in records} - set(batches))
    ids = insert_returning_ids(session, ReceiptBatch, [{"student_id": s, "term_id": t} for s, t in missing],
                               ("student_id", "term_id"))
    batches.update(zip(missing, ids))
    if missing:
        report.notes.append(f"新增收訖批次 {len(missing)} 個")
    inserts = []
    for record in records:
        r = record.data
        batch_id = batches[(r.student_id, term_ids[(r.year, r.semester)])]
        if (batch_id, r.item, r.content) in lines:
            report.counts.unchanged += 1
        else:
            inserts.append({"batch_id": batch_id, "item": r.item, "content": r.content})
    insert_all(session, ReceiptLine, inserts)
    report.counts.inserted += len(inserts)


SPEC = KindSpec("receipts", "收訖明細", ("學號", "提交批次", "項目", "內容"), run)
