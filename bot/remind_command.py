"""`portfolio-bot remind [--now ISO-8601] [--dry-run]`: one reminder sweep, and what it cost."""
from __future__ import annotations

from datetime import datetime

import click


def parse_now(value: str | None, tz) -> datetime | None:
    """ISO-8601; a time without an offset is the school's local time."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"請用 ISO-8601 時間，例如 2025-09-28T08:00（收到 {value!r}）") from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


@click.command("remind")
@click.option("--now", "now_text", default=None, help="Sweep as of this moment (ISO-8601; local time if no offset).")
@click.option("--dry-run", is_flag=True, help="Only print what would be sent; write and send nothing.")
def remind_command(now_text: str | None, dry_run: bool) -> None:
    """Run one reminder sweep and print people reached and counted messages per rule and stage."""
    from bot.cli import load_settings
    from bot.services import Services
    from scheduler.sweep import run_sweep
    from scheduler.stages import stage_config_from_env

    settings = load_settings()
    now = parse_now(now_text, settings.tz)
    try:
        cfg = stage_config_from_env()
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    services = Services.build(settings)
    try:
        report = run_sweep(services, now=now, dry_run=dry_run, cfg=cfg)
    finally:
        services.close()
    for line in report.lines():
        click.echo(line)
