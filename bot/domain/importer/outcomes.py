"""課程學習成果: outcomes upserted by 成果編號, with their status history.

The course is (term, 課程代碼, the student's class), else the only course with that code in
the term. A new or changed status appends an OutcomeEvent and sets status_changed_at;
an unchanged status appends nothing, so re-importing a file changes nothing.
Limits: uploads per student per term, picks per student per school year (DB merged with file).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.domain.importer.bulk import CHUNK, insert_all, insert_returning_ids, update_by_id
from bot.domain.importer.checks import Record, check_limit, drop_duplicates
from bot.domain.importer.context import ImportContext
from bot.domain.importer.fields import Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import FileReport
from bot.domain.importer.spec import KindSpec
from bot.infra.models import Course, Outcome, OutcomeEvent, Term
from bot.infra.vocab import OUTCOME_PICKS_PER_YEAR, OUTCOME_STATUS_ALIASES, OutcomeStatus

COMPARED = ("student_id", "course_id", "title", "status", "submitted_at", "certified_at", "reason", "picked")


@dataclass(frozen=True)
class OutcomeRow:
    outcome_no: str
    student_no: str
    student_id: int
    course_id: int
    year: int
    semester: int
    title: str
    status: OutcomeStatus
    submitted_at: datetime | None
    certified_at: datetime | None
    reason: str | None
    picked: bool

    def values(self) -> dict:
        return {name: getattr(self, name) for name in COMPARED}


def _resolve_course(ctx: ImportContext, f: Fields, year: int, semester: int, code: str, class_id: int) -> int | None:
    index = ctx.courses()
    term_id = ctx.terms().get((year, semester))
    if term_id is not None:
        exact = index.exact.get((term_id, code, class_id))
        if exact is not None:
            return exact
        anywhere = index.by_code.get((term_id, code), [])
        if len(anywhere) == 1:
            return anywhere[0]
        if len(anywhere) > 1:
            f.fail(f"課程代碼「{code}」在 {year}-{semester} 有多個班級開課，學生的班級卻沒有這門課，無法判斷是哪一門")
            return None
    f.fail(f"{year}-{semester} 沒有課程代碼「{code}」的課程（請先匯入開課資料）")
    return None


def _parse(table: Table, ctx: ImportContext) -> list[Record[OutcomeRow]]:
    students = ctx.students()
    records: list[Record[OutcomeRow]] = []
    for row in table.consume():
        f = Fields(row, ctx.tz)
        no = f.text("成果編號", max_len=64)
        student_no = f.text("學號")
        student = students.get(student_no) if student_no else None
        if student_no is not None and student is None:
            f.fail(f"學號「{student_no}」不是已知的學生（請先匯入學生名冊）")
        year, semester = f.year(), f.semester()
        code = f.text("課程代碼")
        title = f.text("成果名稱", max_len=200)
        status = f.choice("狀態", OUTCOME_STATUS_ALIASES)
        submitted_at = f.when("送出時間")
        certified_at = f.when("認證時間")
        reason = f.text("認證說明", required=False)
        picked = f.flag()
        if picked and status is not None and status is not OutcomeStatus.certified:
            f.fail("只有「已認證」的課程學習成果可以勾選（勾選=是，但狀態不是已認證）")
        course_id = None
        if student is not None and year is not None and semester is not None and code is not None:
            course_id = _resolve_course(ctx, f, year, semester, code, student.class_id)
        if not ctx.reject(table, f):
            records.append(Record(row.number, no, OutcomeRow(
                no, student_no, student.id, course_id, year, semester, title, status,
                submitted_at, certified_at, reason, picked)))
    return drop_duplicates(ctx, table, records, lambda key: f"成果編號 {key} ")


def _load_existing(ctx: ImportContext) -> dict[str, dict]:
    rows = ctx.session.execute(
        select(Outcome.id, Outcome.outcome_no, *(getattr(Outcome, c) for c in COMPARED),
               Term.year, Term.semester)
        .join(Course, Course.id == Outcome.course_id).join(Term, Term.id == Course.term_id))
    return {r.outcome_no: r._asdict() for r in rows}


def _check_limits(table: Table, ctx: ImportContext, records: list[Record[OutcomeRow]],
                  existing: dict[str, dict]) -> list[Record[OutcomeRow]]:
    student_nos = {info.id: no for no, info in ctx.students().items()}
    per_term = check_limit(
        ctx, table, records,
        {no: (student_nos[o["student_id"]], o["year"], o["semester"]) for no, o in existing.items()},
        lambda r: (r.data.student_no, r.data.year, r.data.semester), ctx.school.outcome_uploads_per_term,
        lambda g, n: f"學號 {g[0]} 在 {g[1]}-{g[2]} 的課程學習成果共 {n} 件，超過本校規定每學期 {ctx.school.outcome_uploads_per_term} 件的上限")
    picks = check_limit(
        ctx, table, records,
        {no: (student_nos[o["student_id"]], o["year"]) if o["picked"] and o["status"] == OutcomeStatus.certified
         else None for no, o in existing.items()},
        lambda r: (r.data.student_no, r.data.year) if r.data.picked else None, OUTCOME_PICKS_PER_YEAR,
        lambda g, n: f"學號 {g[0]} 在 {g[1]} 學年度勾選的課程學習成果共 {n} 件，超過 {OUTCOME_PICKS_PER_YEAR} 件的上限")
    bad = per_term | picks
    return [r for r in records if r.row not in bad]


def _event(outcome_id: int, o: OutcomeRow, now: datetime) -> dict:
    happened = {OutcomeStatus.certified: o.certified_at, OutcomeStatus.failed: o.certified_at,
                OutcomeStatus.pending: o.submitted_at}.get(o.status)
    return {"outcome_id": outcome_id, "status": o.status, "happened_at": happened,
            "reason": o.reason, "recorded_at": now}


def run(table: Table, ctx: ImportContext, report: FileReport) -> None:
    records = _parse(table, ctx)
    existing = _load_existing(ctx)
    records = _check_limits(table, ctx, records, existing)

    new: list[OutcomeRow] = []
    updates: list[dict] = []
    events: list[dict] = []
    for record in records:
        o = record.data
        old = existing.get(o.outcome_no)
        if old is None:
            new.append(o)
            continue
        values = o.values()
        changed = {k: v for k, v in values.items() if old[k] != v}
        if not changed:
            report.counts.unchanged += 1
            continue
        if "status" in changed:
            changed["status_changed_at"] = ctx.now
            events.append(_event(old["id"], o, ctx.now))
        updates.append({"id": old["id"], **changed})
    for start in range(0, len(new), CHUNK):  # the new rows and their first events, a chunk at a time
        batch = new[start:start + CHUNK]
        ids = insert_returning_ids(ctx.session, Outcome, [
            {"outcome_no": o.outcome_no, **o.values(), "status_changed_at": ctx.now} for o in batch], ("outcome_no",))
        insert_all(ctx.session, OutcomeEvent, [_event(id_, o, ctx.now) for o, id_ in zip(batch, ids)])
    update_by_id(ctx.session, Outcome, updates)
    insert_all(ctx.session, OutcomeEvent, events)
    report.counts.inserted += len(new)
    report.counts.updated += len(updates)


SPEC = KindSpec("outcomes", "課程學習成果", (
    "成果編號", "學號", "學年度", "學期", "課程代碼", "成果名稱", "狀態", "送出時間", "認證時間", "認證說明", "勾選"), run)
