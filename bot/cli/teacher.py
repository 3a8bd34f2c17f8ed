"""`portfolio-bot teacher ...`: staff mark teachers unavailable (請假) so proxies cover their certifications.

    portfolio-bot teacher unavailable T012 --from 2025-11-20 --to 2025-11-27 [--note 病假]
    portfolio-bot teacher absences [T012] [--all]
    portfolio-bot teacher available T012 [--id 3]
"""
from __future__ import annotations

from datetime import datetime, timezone

import click

from bot.cli.runtime import BadArgument, Runtime, pass_runtime, record_id
from bot.cli.zh_tw import ZhGroup

from bot.domain.absences import AbsenceError, add_absence, clear_absences, list_absences, parse_local


def _when(moment: datetime, tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@click.group("teacher", cls=ZhGroup)
def teacher_group() -> None:
    """教師請假，以及請假期間由誰代理認證。"""


@teacher_group.command("unavailable")
@click.argument("teacher_no", metavar="教師編號")
@click.option("--from", "starts", required=True, metavar="日期",
              help="請假第一天（當地時間）：2025-11-20 或 2025-11-20 08:00。")
@click.option("--to", "ends", required=True, metavar="日期",
              help="請假最後一天（含當天，當地時間）：2025-11-27，或確切的結束時間。")
@click.option("--note", default=None, metavar="備註", help="簡短備註（例如 病假）。")
@pass_runtime
def unavailable(run: Runtime, teacher_no: str, starts: str, ends: str, note: str | None) -> None:
    """登記教師請假；其課程的待認證項目轉給第一位可代理的教師。"""
    tz = run.settings.tz
    try:
        with run.services.db.session() as session:
            absence, handover = add_absence(session, teacher_no, parse_local(starts, tz),
                                            parse_local(ends, tz, end_of_day=True), note)
            teacher = absence.teacher
            click.echo(f"已登記 {teacher.name}（{teacher.teacher_no}）請假："
                       f"{_when(absence.starts_at, tz)} 至 {_when(absence.ends_at, tz)}（編號 {absence.id}）")
            for h in handover:
                click.echo(f"  {h.course}：" + (f"由 {h.proxy} 代理認證" if h.proxy else "沒有可用的代理教師（未請假且已綁定 LINE）！"))
            if not handover:
                click.echo("  （這位老師沒有授課課程）")
    except AbsenceError as exc:
        raise BadArgument(str(exc)) from exc


@teacher_group.command("absences")
@click.argument("teacher_no", required=False, metavar="[教師編號]")
@click.option("--all", "include_past", is_flag=True, help="連已結束的請假一起列出。")
@pass_runtime
def absences(run: Runtime, teacher_no: str | None, include_past: bool) -> None:
    """列出進行中與之後的請假（一位教師，或全部）。"""
    settings = run.settings
    try:
        with run.services.db.session() as session:
            rows = list_absences(session, datetime.now(timezone.utc), teacher_no, include_past)
    except AbsenceError as exc:
        raise BadArgument(str(exc)) from exc
    if not rows:
        click.echo("目前沒有登記中的請假。")
    for r in rows:
        click.echo(f"#{r.id}\t{r.teacher_no}\t{r.name}\t{_when(r.starts_at, settings.tz)} 至 "
                   f"{_when(r.ends_at, settings.tz)}" + (f"\t{r.note}" if r.note else ""))


@teacher_group.command("available")
@click.argument("teacher_no", metavar="教師編號")
@click.option("--id", "absence_id", callback=record_id, default=None, metavar="編號",
              help="只取消這一筆請假（編號見 portfolio-bot teacher absences）。")
@pass_runtime
def available(run: Runtime, teacher_no: str, absence_id: int | None) -> None:
    """教師銷假：進行中的請假到現在為止，之後的請假取消。"""
    try:
        with run.services.db.session() as session:
            changed = clear_absences(session, teacher_no, datetime.now(timezone.utc), absence_id)
    except AbsenceError as exc:
        raise BadArgument(str(exc)) from exc
    click.echo(f"已取消 {changed} 筆請假；{teacher_no} 的待認證項目回到本人。" if changed
               else f"{teacher_no} 目前沒有進行中或未來的請假。")
