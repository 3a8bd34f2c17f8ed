"""教師名冊: teachers upserted by 教師編號; 導師班級 must be a known class; 職務 replaced on upsert."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from bot.domain.importer.bulk import delete_where_in, insert_all, insert_returning_ids, update_by_id
from bot.domain.importer.checks import Record, drop_duplicates
from bot.domain.importer.context import ImportContext
from bot.domain.importer.fields import Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import FileReport
from bot.domain.importer.spec import KindSpec
from bot.infra.models import Teacher, TeacherDuty
from bot.infra.vocab import DUTY_LABELS, Duty

DUTIES: dict[str, Duty] = {label: duty for duty, label in DUTY_LABELS.items()}


@dataclass(frozen=True)
class TeacherRow:
    teacher_no: str
    name: str
    homeroom_class_id: int | None
    duties: frozenset[Duty]


def _parse(table: Table, ctx: ImportContext) -> list[Record[TeacherRow]]:
    classes = ctx.classes()
    records: list[Record[TeacherRow]] = []
    for row in table.consume():
        f = Fields(row, ctx.tz)
        no = f.text("教師編號", max_len=32)
        name = f.text("姓名", max_len=64)
        homeroom = f.text("導師班級", required=False)
        if homeroom is not None and homeroom not in classes:
            f.fail(f"導師班級「{homeroom}」不是已知的班級（請先匯入學生名冊）")
        duties: set[Duty] = set()
        for label in f.items("職務"):
            if label in DUTIES:
                duties.add(DUTIES[label])
            else:
                f.fail(f"職務「{label}」不是可用的值（{'、'.join(DUTIES)}）")
        if not ctx.reject(table, f):
            class_id = classes[homeroom].id if homeroom else None
            records.append(Record(row.number, no, TeacherRow(no, name, class_id, frozenset(duties))))
    return drop_duplicates(ctx, table, records, lambda key: f"教師編號 {key} ")


def run(table: Table, ctx: ImportContext, report: FileReport) -> None:
    records = _parse(table, ctx)
    session = ctx.session
    existing = {no: (id_, name, homeroom) for id_, no, name, homeroom in session.execute(
        select(Teacher.id, Teacher.teacher_no, Teacher.name, Teacher.homeroom_class_id))}
    duties: dict[int, set[Duty]] = defaultdict(set)
    for teacher_id, duty in session.execute(select(TeacherDuty.teacher_id, TeacherDuty.duty)):
        duties[teacher_id].add(Duty(duty))

    new: list[TeacherRow] = []
    updates: list[dict] = []
    duty_changed: dict[int, frozenset[Duty]] = {}
    for record in records:
        t = record.data
        old = existing.get(t.teacher_no)
        if old is None:
            new.append(t)
            continue
        id_, name, homeroom = old
        changed = False
        if (name, homeroom) != (t.name, t.homeroom_class_id):
            updates.append({"id": id_, "name": t.name, "homeroom_class_id": t.homeroom_class_id})
            changed = True
        if duties.get(id_, set()) != set(t.duties):
            duty_changed[id_] = t.duties
            changed = True
        if changed:
            report.counts.updated += 1
        else:
            report.counts.unchanged += 1

    ids = insert_returning_ids(session, Teacher, [
        {"teacher_no": t.teacher_no, "name": t.name, "homeroom_class_id": t.homeroom_class_id} for t in new],
        ("teacher_no",))
    update_by_id(session, Teacher, updates)
    delete_where_in(session, TeacherDuty.teacher_id, list(duty_changed))
    duty_rows = [{"teacher_id": id_, "duty": d} for t, id_ in zip(new, ids) for d in sorted(t.duties)]
    duty_rows += [{"teacher_id": id_, "duty": d} for id_, ds in duty_changed.items() for d in sorted(ds)]
    insert_all(session, TeacherDuty, duty_rows)
    report.counts.inserted += len(new)


SPEC = KindSpec("teachers", "教師名冊", ("教師編號", "姓名", "導師班級", "職務"), run)
