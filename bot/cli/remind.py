"""`portfolio-bot remind [--now ISO-8601] [--dry-run]`: one reminder sweep, and what it cost.

Stages and send time are the school's settings (REMINDER_DAYS_BEFORE, default 3;
REMINDER_SEND_TIME, default 08:00 local; ESCALATE_DAYS_BEFORE, default 2), as the worker
uses them; the options below override them for this run only (e.g. to price a change).
"""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time

import click

from bot.cli.runtime import Runtime, pass_runtime


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


@click.command("remind")
@click.option("--now", "now_text", default=None, help="Sweep as of this moment (ISO-8601; local time if no offset).")
@click.option("--dry-run", is_flag=True, help="Only print what would be sent; write and send nothing.")
@click.option("--days-before", type=click.IntRange(1, 60), default=None,
              help="The 'before' stage: N days before a window's last day (env REMINDER_DAYS_BEFORE, 3).")
@click.option("--send-time", callback=_send_time, default=None,
              help="Local time reminders fall due each day, HH:MM (env REMINDER_SEND_TIME, 08:00).")
@click.option("--escalate-days-before", type=click.IntRange(1, 60), default=None,
              help="Certification: proxies are told from N days before the last day (env ESCALATE_DAYS_BEFORE, 2).")
@pass_runtime
def remind_command(run: Runtime, now_text: str | None, dry_run: bool, days_before: int | None, send_time: time | None,
                   escalate_days_before: int | None) -> None:
    """Run one reminder sweep and print people reached and counted messages per rule and stage."""
    from scheduler.sweep import run_sweep

    now = parse_now(now_text, run.settings.tz)
    overrides = {"days_before": days_before, "send_time": send_time, "escalate_days_before": escalate_days_before}
    cfg = replace(run.settings.stages, **{k: v for k, v in overrides.items() if v is not None})
    report = run_sweep(run.services, now=now, dry_run=dry_run, cfg=cfg)
    for line in report.lines():
        click.echo(line)
