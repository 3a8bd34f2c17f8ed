"""`portfolio-bot remind [--now ISO-8601] [--dry-run]`: one reminder sweep, and what it cost.

Stages and send time are the school's settings (REMINDER_DAYS_BEFORE, default 3;
REMINDER_SEND_TIME, default 08:00 local; ESCALATE_DAYS_BEFORE, default 2), as the worker
uses them; the options below override them for this run only (e.g. to price a change).

The header says when, in the school's local time (``提醒掃描 2026-11-28 09:51``). A sweep that
reaches nobody says why and when the next reminder falls due (``bot.cli.remind_why``).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time
from typing import TYPE_CHECKING

import click

from bot.cli.runtime import Runtime, pass_runtime
from bot.cli.zh_tw import ZhCommand

if TYPE_CHECKING:
    from bot.domain.stages import StageConfig
    from scheduler.sweep import SweepReport



def parse_now(value: str | None, tz) -> datetime | None:
    """ISO-8601; a time without an offset is the school's local time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"請用 ISO-8601 時間，例如 2025-09-28T08:00（收到 {value!r}）", param_hint="--now") from exc
    if not 2000 <= moment.year <= 2200:  # also keeps time-zone arithmetic away from year 1 and 9999
        raise click.BadParameter(f"時間 {value} 超出可用的範圍（西元 2000 到 2200 年）", param_hint="--now")
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def _send_time(_ctx, _param, value: str | None) -> time | None:
    if value is None:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"請用 HH:MM，例如 08:00（收到 {value!r}）") from exc


@click.command("remind", cls=ZhCommand)
@click.option("--now", "now_text", default=None, metavar="時間",
              help="以此時間掃描（ISO-8601；未帶時區即學校當地時間；預設：現在）。")
@click.option("--dry-run", is_flag=True, help="試算：只列出會傳送的提醒，不寫入也不發送。")
@click.option("--days-before", type=click.IntRange(1, 60), default=None, metavar="天數",
              help="「截止前」的提醒在期程最後一天的前幾天（環境變數 REMINDER_DAYS_BEFORE，預設 3）。")
@click.option("--send-time", callback=_send_time, default=None, metavar="HH:MM",
              help="每天提醒的當地時間（環境變數 REMINDER_SEND_TIME，預設 08:00）。")
@click.option("--escalate-days-before", type=click.IntRange(1, 60), default=None, metavar="天數",
              help="課程學習成果認證：最後一天的前幾天加強提醒（環境變數 ESCALATE_DAYS_BEFORE，預設 2）。")
@pass_runtime
def remind_command(run: Runtime, now_text: str | None, dry_run: bool, days_before: int | None, send_time: time | None,
                   escalate_days_before: int | None) -> None:
    """執行一次提醒掃描，列出各規則與階段提醒的人數與計費訊息數。

    沒有需要提醒的人時，說明原因與下一次提醒的時間。
    """
    from scheduler.sweep import run_sweep

    now = parse_now(now_text, run.settings.tz)
    overrides = {"days_before": days_before, "send_time": send_time, "escalate_days_before": escalate_days_before}
    cfg = replace(run.settings.stages, **{k: v for k, v in overrides.items() if v is not None})
    report = run_sweep(run.services, now=now, dry_run=dry_run, cfg=cfg)
    for line in report.lines(run.settings.tz):
        click.echo(line)
    if reached_nobody(report):
        for line in why_nobody(run, report.now, cfg):
            click.echo(line)


def reached_nobody(report: SweepReport) -> bool:
    """Whether the sweep found no one to remind: not held for quiet hours, not kept back by LINE's
    quota or the month's budget, not skipped for another sweep."""
    skipped_for_budget = report.month is not None and sum(report.month.skipped.values()) > 0
    return (not report.skipped and report.people == 0 and report.held == 0 and report.deferred == 0
            and not skipped_for_budget)


def why_nobody(run: Runtime, now: datetime, cfg: StageConfig) -> list[str]:
    """Why nobody was reached and when the next reminder falls due (`bot.cli.remind_why`)."""
    from bot.cli.remind_why import explain
    from scheduler.rules import SweepContext

    settings = run.settings
    ctx = SweepContext(now=now, cfg=cfg, tz=settings.tz, school=settings.school)
    with run.services.db.session() as session:
        return explain(session, ctx, settings.quiet_hours)
