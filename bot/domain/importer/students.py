"""學生名冊: students upserted by 學號; their classes created or updated from 班級/年級/部別.

Students missing from a later roster are kept (never deleted). 在學狀態 (optional; absent: 在學) says
who is reminded, listed and counted; when it changes, the day is kept (the retention clock).
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.domain.importer.bulk import insert_all, insert_returning_ids, update_by_id
from bot.domain.importer.checks import Record, drop_duplicates
from bot.domain.importer.context import ImportContext
from bot.domain.importer.fields import Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import FileReport
from bot.domain.importer.spec import KindSpec
from bot.infra.models import SchoolClass, Student
from bot.infra.vocab import DEFAULT_DIVISION, ENROLMENT_LABELS, GRADE_LABELS, Enrolment, reverse

GRADES: dict[str, int] = {**{label: g for g, label in GRADE_LABELS.items()}, **{str(g): g for g in GRADE_LABELS}}
ENROLMENTS = reverse(ENROLMENT_LABELS)


@dataclass(frozen=True)
class StudentRow:
    student_no: str
    name: str
    class_code: str
    seat: int
    grade: int
    division: str
    enrolment: Enrolment


def _parse(table: Table, ctx: ImportContext) -> list[Record[StudentRow]]:
    records: list[Record[StudentRow]] = []
    for row in table.consume():
        f = Fields(row, ctx.tz)
        no = f.text("學號", max_len=32)
        name = f.text("姓名", max_len=64)
        code = f.text("班級", max_len=16)
        seat = f.integer("座號", 1, 999, "須為正整數")
        grade = f.choice("年級", GRADES)
        division = f.text("部別", required=False, max_len=16) or DEFAULT_DIVISION
        enrolment = f.choice("在學狀態", ENROLMENTS, required=False) or Enrolment.enrolled
        if not ctx.reject(table, f):
            records.append(Record(row.number, no, StudentRow(no, name, code, seat, grade, division, enrolment)))
    return drop_duplicates(ctx, table, records, lambda key: f"學號 {key} ")


def _check_classes(table: Table, ctx: ImportContext, records: list[Record[StudentRow]]) -> list[Record[StudentRow]]:
    """年級 must agree with an existing class and, for a new class, across the file; so must 部別."""
    existing = ctx.classes()
    first: dict[str, Record[StudentRow]] = {}
    kept: list[Record[StudentRow]] = []
    for record in records:
        s = record.data
        known = existing.get(s.class_code)
        seen = first.get(s.class_code)
        if known is not None and known.grade != s.grade:
            ctx.error(table, record.row, f"年級{GRADE_LABELS[s.grade]}與既有班級 {s.class_code} 的年級"
                                         f"（{GRADE_LABELS.get(known.grade, known.grade)}）不符")
        elif seen is not None and seen.data.grade != s.grade:
            ctx.error(table, record.row, f"班級 {s.class_code} 的年級與第{seen.row}列不一致")
        elif seen is not None and seen.data.division != s.division:
            ctx.error(table, record.row, f"班級 {s.class_code} 的部別與第{seen.row}列不一致")
        else:
            first.setdefault(s.class_code, record)
            kept.append(record)
    return kept


def _apply_classes(ctx: ImportContext, records: list[Record[StudentRow]], report: FileReport) -> dict[str, int]:
    existing = ctx.classes()
    wanted: dict[str, StudentRow] = {}
    for record in records:
        wanted.setdefault(record.data.class_code, record.data)
    new = [s for code, s in wanted.items() if code not in existing]
    changed = [{"id": existing[code].id, "division": s.division}
               for code, s in wanted.items() if code in existing and existing[code].division != s.division]
    ids = insert_returning_ids(ctx.session, SchoolClass, [
        {"code": s.class_code, "grade": s.grade, "division": s.division} for s in new], ("code",))
    update_by_id(ctx.session, SchoolClass, changed)
    if new:
        report.notes.append(f"新增班級 {len(new)} 個")
    if changed:
        report.notes.append(f"更新班級 {len(changed)} 個")
    class_ids = {code: info.id for code, info in existing.items()}
    class_ids.update({s.class_code: id_ for s, id_ in zip(new, ids)})
    return class_ids


def run(table: Table, ctx: ImportContext, report: FileReport) -> None:
    records = _check_classes(table, ctx, _parse(table, ctx))
    class_ids = _apply_classes(ctx, records, report)
    existing = {row.student_no: row for row in ctx.session.execute(
        select(Student.id, Student.student_no, Student.name, Student.class_id, Student.seat, Student.enrolment,
               Student.enrolment_since))}
    inserts, updates = [], []
    for record in records:
        s = record.data
        values = {"name": s.name, "class_id": class_ids[s.class_code], "seat": s.seat, "enrolment": s.enrolment}
        old = existing.get(s.student_no)
        if old is None:
            since = None if s.enrolment == Enrolment.enrolled else ctx.now
            inserts.append({"student_no": s.student_no, **values, "enrolment_since": since})
        elif (old.name, old.class_id, old.seat, old.enrolment) != tuple(values.values()):
            since = ctx.now if old.enrolment != s.enrolment else old.enrolment_since
            updates.append({"id": old.id, **values, "enrolment_since": since})
        else:
            report.counts.unchanged += 1
    insert_all(ctx.session, Student, inserts)
    update_by_id(ctx.session, Student, updates)
    report.counts.inserted += len(inserts)
    report.counts.updated += len(updates)


SPEC = KindSpec("students", "學生名冊", ("學號", "姓名", "班級", "座號", "年級", "部別", "在學狀態"), run,
                optional=frozenset({"部別", "在學狀態"}))
