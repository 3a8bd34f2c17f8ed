"""多元表現: performances upserted by 表現編號 (year = 學年度; 類別 free text, not empty).

學期 is an optional column; absent, it is the term of 上傳時間 (which must then fall in the 學年度).
Limits per student (DB merged with file): uploads per term and per school year (the school's numbers,
臺南二中: 「每學期至多10件，每學年其件數至多20件」) and picks per school year (national: 至多10件)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bot.domain.importer.bulk import insert_all, update_by_id
from bot.domain.importer.checks import Record, check_limit, drop_duplicates
from bot.domain.importer.context import ImportContext
from bot.domain.importer.fields import Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import FileReport
from bot.domain.importer.spec import KindSpec
from bot.infra.models import Performance
from bot.domain.queries.terms import roc_term
from bot.infra.vocab import PERFORMANCE_PICKS_PER_YEAR

COMPARED = ("student_id", "year", "semester", "category", "title", "uploaded_at", "picked")


@dataclass(frozen=True)
class PerformanceRow:
    performance_no: str
    student_no: str
    student_id: int
    year: int
    semester: int | None
    category: str
    title: str
    uploaded_at: datetime | None
    picked: bool

    def values(self) -> dict:
        return {name: getattr(self, name) for name in COMPARED}


def _parse(table: Table, ctx: ImportContext) -> list[Record[PerformanceRow]]:
    students = ctx.students()
    records: list[Record[PerformanceRow]] = []
    for row in table.consume():
        f = Fields(row, ctx.tz)
        no = f.text("表現編號", max_len=64)
        student_no = f.text("學號")
        if student_no is not None and student_no not in students:
            f.fail(f"學號「{student_no}」不是已知的學生（請先匯入學生名冊）")
        year = f.year()
        category = f.text("類別", max_len=64)
        title = f.text("名稱", max_len=200)
        uploaded_at = f.when("上傳時間")
        picked = f.flag()
        semester = f.semester(required=False)
        if semester is None and uploaded_at is not None and year is not None:
            uploaded_year, semester = roc_term(uploaded_at.astimezone(ctx.tz).date())
            if uploaded_year != year:
                f.fail(f"上傳時間不在 {year} 學年度內，無法判斷學期（請填寫學期欄）")
        if not ctx.reject(table, f):
            records.append(Record(row.number, no, PerformanceRow(
                no, student_no, students[student_no].id, year, semester, category, title, uploaded_at, picked)))
    return drop_duplicates(ctx, table, records, lambda key: f"表現編號 {key} ")


def _check_limits(table: Table, ctx: ImportContext, records: list[Record[PerformanceRow]],
                  existing: dict[str, dict]) -> list[Record[PerformanceRow]]:
    student_nos = {info.id: no for no, info in ctx.students().items()}
    per_year, per_term = ctx.school.performance_uploads_per_year, ctx.school.performance_uploads_per_term
    uploads = check_limit(
        ctx, table, records, {no: (student_nos[p["student_id"]], p["year"]) for no, p in existing.items()},
        lambda r: (r.data.student_no, r.data.year), per_year,
        lambda g, n: f"學號 {g[0]} 在 {g[1]} 學年度的多元表現共 {n} 件，超過本校規定每學年 {per_year} 件的上限")
    term_uploads = check_limit(
        ctx, table, records,
        {no: (student_nos[p["student_id"]], p["year"], p["semester"]) if p["semester"] else None
         for no, p in existing.items()},
        lambda r: (r.data.student_no, r.data.year, r.data.semester) if r.data.semester else None, per_term,
        lambda g, n: f"學號 {g[0]} 在 {g[1]}-{g[2]} 的多元表現共 {n} 件，超過本校規定每學期 {per_term} 件的上限")
    picks = check_limit(
        ctx, table, records,
        {no: (student_nos[p["student_id"]], p["year"]) if p["picked"] else None for no, p in existing.items()},
        lambda r: (r.data.student_no, r.data.year) if r.data.picked else None, PERFORMANCE_PICKS_PER_YEAR,
        lambda g, n: f"學號 {g[0]} 在 {g[1]} 學年度勾選的多元表現共 {n} 件，超過 {PERFORMANCE_PICKS_PER_YEAR} 件的上限")
    bad = uploads | term_uploads | picks
    return [r for r in records if r.row not in bad]


def run(table: Table, ctx: ImportContext, report: FileReport) -> None:
    records = _parse(table, ctx)
    existing = {r.performance_no: r._asdict() for r in ctx.session.execute(
        select(Performance.id, Performance.performance_no, *(getattr(Performance, c) for c in COMPARED)))}
    records = _check_limits(table, ctx, records, existing)
    inserts, updates = [], []
    for record in records:
        p = record.data
        old = existing.get(p.performance_no)
        if old is None:
            inserts.append({"performance_no": p.performance_no, **p.values()})
            continue
        changed = {k: v for k, v in p.values().items() if old[k] != v}
        if changed:
            updates.append({"id": old["id"], **changed})
        else:
            report.counts.unchanged += 1
    insert_all(ctx.session, Performance, inserts)
    update_by_id(ctx.session, Performance, updates)
    report.counts.inserted += len(inserts)
    report.counts.updated += len(updates)


SPEC = KindSpec("performances", "多元表現", ("表現編號", "學號", "學年度", "學期", "類別", "名稱", "上傳時間", "勾選"),
                run, optional=frozenset({"學期"}))
