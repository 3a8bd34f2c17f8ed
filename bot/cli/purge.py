"""`portfolio-bot purge [--dry-run] [--now ISO-8601]`: remove the personal data of students who left
school (轉出, 畢業, 離校) longer ago than the school's RETENTION_YEARS; print what goes."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from bot.cli.remind import parse_now
from bot.cli.runtime import Runtime, pass_runtime
from bot.cli.zh_tw import ZhCommand
from bot.domain.retention import purge, years_before


@click.command("purge", cls=ZhCommand)
@click.option("--dry-run", is_flag=True, help="只列出會刪除的資料，不刪除。")
@click.option("--now", "now_text", default=None, metavar="時間", help="以此時間計算（ISO-8601；未帶時區即學校當地時間）。")
@pass_runtime
def purge_command(run: Runtime, dry_run: bool, now_text: str | None) -> None:
    """刪除離校超過保存年限的學生個人資料；--dry-run 只列出。

    離校包括轉出、畢業與離校；保存年限是 RETENTION_YEARS。
    """
    tz, years = run.settings.tz, run.settings.school.retention_years
    now = parse_now(now_text, tz) or datetime.now(timezone.utc)
    with run.services.db.session() as session:
        report = purge(session, now, years, dry_run=dry_run)
    cutoff = years_before(now, years).astimezone(tz).date().isoformat()
    click.echo(f"保存年限：離校後 {years} 年（RETENTION_YEARS）；{cutoff} 以前離校的學生到期。")
    if not report.students:
        click.echo("沒有到期的學生，沒有刪除任何資料。")
    else:
        verb = "將刪除" if dry_run else "已刪除"
        click.echo(f"{verb} {len(report.students)} 位學生的個人資料（姓名、學號、座號改為「已刪除」）：")
        for student_no, name in report.students:
            click.echo(f"  {student_no} {name}")
        for what, count in report.counts.items():
            click.echo(f"  {what}：{count} 筆")
        click.echo("各項目的狀態與勾選、收訖明細的確認紀錄保留為不具名資料，過去的統計不受影響。")
        if dry_run:
            click.echo("（試算，沒有刪除任何資料；去掉 --dry-run 才會刪除。）")
    if report.clocks_started:
        click.echo(f"另有 {report.clocks_started} 位已離校、但名冊沒有離校日期的學生，保存年限自今天起算。")
