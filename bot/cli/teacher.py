"""`portfolio-bot teacher ...`: staff mark teachers unavailable (請假) so proxies cover their certifications.

    portfolio-bot teacher unavailable T012 --from 2025-11-20 --to 2025-11-27 [--note 病假]
    portfolio-bot teacher absences [T012] [--all]
    portfolio-bot teacher available T012 [--id 3]
"""
from __future__ import annotations

from datetime import datetime, timezone

import click

from bot.cli.runtime import BadArgument, Runtime, pass_runtime, record_id

from bot.domain.absences import AbsenceError, add_absence, clear_absences, list_absences, parse_local


def _when(moment: datetime, tz) -> str:
    return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M")


@click.group("teacher")
def teacher_group() -> None:
    """Teacher availability (請假) and who covers their certifications."""


@teacher_group.command("unavailable")
@click.argument("teacher_no")
@click.option("--from", "starts", required=True, help="First day (local): 2025-11-20 or 2025-11-20 08:00.")
@click.option("--to", "ends", required=True, help="Last day, inclusive (local): 2025-11-27, or an exact end time.")
@click.option("--note", default=None, help="A short note (e.g. 病假).")
@pass_runtime
def unavailable(run: Runtime, teacher_no: str, starts: str, ends: str, note: str | None) -> None:
    """Mark TEACHER_NO unavailable; their courses' pending items go to the first available proxy."""
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
@click.argument("teacher_no", required=False)
@click.option("--all", "include_past", is_flag=True, help="Include absences that have ended.")
@pass_runtime
def absences(run: Runtime, teacher_no: str | None, include_past: bool) -> None:
    """List running and coming absences (of one teacher, or everyone)."""
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
@click.argument("teacher_no")
@click.option("--id", "absence_id", callback=record_id, default=None, help="Only this absence (see `teacher absences`).")
@pass_runtime
def available(run: Runtime, teacher_no: str, absence_id: int | None) -> None:
    """TEACHER_NO is back: running absences end now, coming ones are cancelled."""
    try:
        with run.services.db.session() as session:
            changed = clear_absences(session, teacher_no, datetime.now(timezone.utc), absence_id)
    except AbsenceError as exc:
        raise BadArgument(str(exc)) from exc
    click.echo(f"已取消 {changed} 筆請假；{teacher_no} 的待認證項目回到本人。" if changed
               else f"{teacher_no} 目前沒有進行中或未來的請假。")
