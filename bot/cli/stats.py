"""`portfolio-bot stats [--term 114-1] [--xlsx FILE] [--now ISO-8601]`: the rates staff see in chat
(統計), printed as tables, and optionally written to an XLSX workbook (openpyxl)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.cli.runtime import BadArgument, Runtime, pass_runtime
from bot.cli.zh_tw import ZhCommand
from bot.infra.cells import append_row
from bot.infra.models import Term

from bot.domain.queries.leavers import Leaver
from bot.domain.queries.rates import Rates
from messages import staff as words

CLASS_HEADER = ["班級", "學生數", "送出認證", "已認證", "認證失敗", "待認證", "認證率", "可勾選人數", "已勾選人數", "勾選率",
                "收訖明細份數", "已確認", "確認率"]
TEACHER_HEADER = ["教師編號", "姓名", "已處理件數", "認證天數中位數", "待認證", "最久等待天數"]
DAY_HEADER = ["批次", "對象", "日期", "已確認", "應確認", "確認率"]


def class_cells(c) -> list:
    return [c.code, c.students, c.submitted, c.certified, c.failed, c.pending, c.certification_rate,
            c.can_pick, c.picked, c.pick_rate, c.batches, c.confirmed, c.confirmation_rate]


def teacher_cells(t) -> list:
    return [t.teacher_no, t.name, t.done, t.median_days, t.pending, t.oldest_days]


def day_rows(r: Rates) -> list[list]:
    return [[c.term_label, c.audience, d.day.isoformat(), d.confirmed, d.total, d.rate]
            for c in r.confirmations for d in c.days]


def _shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def report_lines(r: Rates, tz: ZoneInfo, leavers: list[Leaver] = ()) -> list[str]:
    """The printed report: totals, furthest behind, confirmation per day, the tables, then who left
    with 收訖明細 still to confirm."""
    out = [f"{r.term_label} 學期統計（{words.as_of(r.as_of, tz)}）", "全校"]
    out += [f"  {line}" for line in words.totals_lines(r)]
    out.append("最落後的班級")
    out += [f"  {words.behind_class_line(c)}" for c in r.behind_classes()] or ["  （無）"]
    out.append("最落後的教師")
    out += [f"  {words.teacher_line(t)}" for t in r.behind_teachers()] or ["  （無）"]
    for c in r.confirmations:
        out.append(words.confirmation_heading(c))
        out += [f"  {words.day_line(d)}" for d in c.days] or ["  期程尚未開始"]
    out.append("各班")
    out.append("\t".join(CLASS_HEADER))
    for c in r.classes:
        cells = class_cells(c)
        cells[6], cells[9], cells[12] = (words.pct(c.certification_rate), words.pct(c.pick_rate),
                                         words.pct(c.confirmation_rate))
        out.append("\t".join(_shown(v) for v in cells))
    out.append("各教師")
    out.append("\t".join(TEACHER_HEADER))
    out += ["\t".join(_shown(v) for v in teacher_cells(t)) for t in r.teachers]
    out.append(words.LEAVERS_HEADING)
    out += [f"  {words.leaver_line(leaver)}" for leaver in leavers] or ["  （無）"]
    return out


def write_xlsx(r: Rates, path: Path, tz: ZoneInfo, leavers: list[Leaver] = ()) -> None:
    """One sheet each: 摘要, 各班, 收訖明細確認率, 各教師, 離校待通知; written to a temp file, then moved
    into place."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    summary = book.active
    summary.title = "摘要"
    append_row(summary, [f"{r.term_label} 學期統計", words.as_of(r.as_of, tz)])
    for line in words.totals_lines(r):
        append_row(summary, [line])
    append_row(summary, ["最落後的班級"])
    for c in r.behind_classes():
        append_row(summary, [words.behind_class_line(c)])
    append_row(summary, ["最落後的教師"])
    for t in r.behind_teachers():
        append_row(summary, [words.teacher_line(t)])

    def sheet(title: str, header: list[str], rows: list[list], pct_columns: tuple[int, ...]) -> None:
        ws = book.create_sheet(title)
        append_row(ws, header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            append_row(ws, row)
        for column in pct_columns:
            for cells in ws.iter_rows(min_row=2, min_col=column, max_col=column):
                cells[0].number_format = "0%"
        ws.freeze_panes = "A2"

    sheet("各班", CLASS_HEADER, [class_cells(c) for c in r.classes] + [class_cells(r.totals)], (7, 10, 13))
    sheet("收訖明細確認率", DAY_HEADER, day_rows(r), (6,))
    sheet("各教師", TEACHER_HEADER, [teacher_cells(t) for t in r.teachers], ())
    sheet("離校待通知", words.LEAVER_HEADER, [words.leaver_cells(leaver, tz) for leaver in leavers], ())
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(suffix=".xlsx", dir=path.parent)
    os.close(fd)
    try:
        book.save(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def loaded_terms(session: Session) -> list[str]:
    """The terms the school has imported, oldest first: ``["114-1", "114-2"]``."""
    return [t.label for t in session.scalars(select(Term).order_by(Term.year, Term.semester))]


def unknown_term(label: str, loaded: list[str]) -> str:
    """Why ``--term`` found nothing, and what there is (zh-TW)."""
    from bot.domain.queries.rates import term_parts

    if term_parts(label) is None:  # not written as 學年度-學期 (114-1; 114/1 too)
        head = f"找不到學期 {label}：請寫成 學年度-學期，例如 114-1"
    else:
        head = f"找不到學期 {label} 的資料"
    if not loaded:
        return f"{head}；還沒有匯入任何學期，請先用 portfolio-bot import 匯入開課資料與作業期程。"
    return f"{head}；已匯入的學期：{'、'.join(loaded)}。"


@click.command("stats", cls=ZhCommand)
@click.option("--term", "term_label", default=None, metavar="學期", help="學期，例如 114-1（預設：本學期）。")
@click.option("--xlsx", "xlsx_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              metavar="檔案.xlsx", help="另將報表寫入這個 XLSX 檔。")
@click.option("--now", "now_text", default=None, metavar="時間",
              help="以此時間計算（ISO-8601；未帶時區即學校當地時間）。")
@pass_runtime
def stats_command(run: Runtime, term_label: str | None, xlsx_path: Path | None, now_text: str | None) -> None:
    """各班的認證率、勾選率、收訖明細確認率，以及教師的認證天數。"""
    from datetime import datetime, timezone

    from bot.cli.remind import parse_now
    from bot.domain.queries.leavers import leavers_to_tell
    from bot.domain.queries.rates import find_term, rates
    from bot.domain.queries.terms import current_term

    tz = run.settings.tz
    now = parse_now(now_text, tz) or datetime.now(timezone.utc)
    with run.services.db.session() as session:
        term = find_term(session, term_label) if term_label else current_term(session, now, tz)
        if term is None:
            if term_label:
                raise BadArgument(unknown_term(term_label, loaded_terms(session)))
            raise click.ClickException(words.NO_TERM)
        report = rates(session, term, now, tz, explicit_term=term_label is not None)
        leavers = leavers_to_tell(session)
    for line in report_lines(report, tz, leavers):
        click.echo(line)
    if xlsx_path is not None:
        try:
            write_xlsx(report, xlsx_path, tz, leavers)
        except OSError as exc:
            raise BadArgument(f"無法寫入 {xlsx_path}：{exc.strerror or exc}（請換一個可寫入的位置）") from None
        click.echo(f"已寫入 {xlsx_path}")
