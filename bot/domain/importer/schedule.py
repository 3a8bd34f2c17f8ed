"""作業期程: windows upserted by 項目+學年度+學期+對象 (對象 stored canonically, see bot/audience.py).

Times are local; a date-only 開始 is 00:00 and a date-only 截止 23:59:59 that day.
開始 must be before 截止; a 收訖明細確認 window lasts at least RECEIPT_WINDOW_MIN_DAYS days.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.domain.audience import Audience
from bot.domain.importer.bulk import insert_all, update_by_id
from bot.domain.importer.checks import Record, drop_duplicates
from bot.domain.importer.context import ImportContext
from bot.domain.importer.fields import END_OF_DAY, Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import FileReport
from bot.domain.importer.spec import KindSpec
from bot.infra.models import Window
from bot.infra.vocab import RECEIPT_WINDOW_MIN_DAYS, WINDOW_KIND_LABELS, WindowKind

KINDS: dict[str, WindowKind] = {label: kind for kind, label in WINDOW_KIND_LABELS.items()}


@dataclass(frozen=True)
class WindowRow:
    kind: WindowKind
    year: int
    semester: int
    audience: Audience
    starts_at: datetime
    ends_at: datetime


def _audience(f: Fields, ctx: ImportContext) -> Audience | None:
    text = f.text("對象")
    if text is None:
        return None
    try:
        audience = Audience.parse(text)
    except ValueError as exc:
        f.fail(str(exc))
        return None
    unknown = [c for c in audience.classes if c not in ctx.classes()]
    if unknown:
        f.fail(f"對象的班級「{'、'.join(unknown)}」不是已知的班級")
        return None
    return audience


def _length(starts_at: datetime, ends_at: datetime, ctx: ImportContext) -> timedelta:
    """How long a window runs; a date-only 截止 (23:59:59 local) counts its whole last day."""
    whole_day = ends_at.astimezone(ctx.tz).time() == END_OF_DAY
    return ends_at - starts_at + (timedelta(seconds=1) if whole_day else timedelta(0))


def _parse(table: Table, ctx: ImportContext) -> list[Record[WindowRow]]:
    records: list[Record[WindowRow]] = []
    for row in table.consume():
        f = Fields(row, ctx.tz)
        kind = f.choice("項目", KINDS)
        year, semester = f.year(), f.semester()
        audience = _audience(f, ctx)
        starts_at = f.when("開始", required=True)
        ends_at = f.when("截止", required=True, end_of_day=True)
        if starts_at and ends_at:
            if starts_at >= ends_at:
                f.fail("開始須早於截止")
            elif kind is WindowKind.receipt and _length(starts_at, ends_at, ctx) < timedelta(days=RECEIPT_WINDOW_MIN_DAYS):
                f.fail(f"收訖明細確認期間至少要 {RECEIPT_WINDOW_MIN_DAYS} 天")
        if not ctx.reject(table, f):
            data = WindowRow(kind, year, semester, audience, starts_at, ends_at)
            records.append(Record(row.number, (kind, year, semester, audience.to_db()), data))
    return drop_duplicates(ctx, table, records, lambda k: f"{k[1]}-{k[2]} {WINDOW_KIND_LABELS[k[0]]}（{Audience.from_db(k[3]).label}）")


def run(table: Table, ctx: ImportContext, report: FileReport) -> None:
    records = _parse(table, ctx)
    existing = {(WindowKind(kind), term_id, audience): (id_, starts, ends) for id_, kind, term_id, audience, starts, ends
                in ctx.session.execute(select(Window.id, Window.kind, Window.term_id, Window.audience,
                                              Window.starts_at, Window.ends_at))}
    inserts, updates = [], []
    for record in records:
        w = record.data
        term_id = ctx.term_id(w.year, w.semester)
        old = existing.get((w.kind, term_id, w.audience.to_db()))
        if old is None:
            inserts.append({"kind": w.kind, "term_id": term_id, "audience": w.audience.to_db(),
                            "starts_at": w.starts_at, "ends_at": w.ends_at})
        elif (old[1], old[2]) != (w.starts_at, w.ends_at):
            updates.append({"id": old[0], "starts_at": w.starts_at, "ends_at": w.ends_at})
        else:
            report.counts.unchanged += 1
    insert_all(ctx.session, Window, inserts)
    update_by_id(ctx.session, Window, updates)
    report.counts.inserted += len(inserts)
    report.counts.updated += len(updates)


SPEC = KindSpec("schedule", "作業期程", ("項目", "學年度", "學期", "對象", "開始", "截止"), run)
