"""`portfolio-bot`: the command line for staff and operators (see README)."""
from __future__ import annotations

import logging
import sys

import click

from bot.infra.config import Settings


def load_settings() -> Settings:
    return Settings.from_env()


@click.group()
def main() -> None:
    """學習歷程檔案 LINE bot."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


@main.group()
def db() -> None:
    """The portfolio database."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema (Alembic)."""
    from bot.infra.migrate import upgrade

    settings = load_settings()
    upgrade(settings.database_url)
    click.echo("資料庫已更新至最新版本。")


@main.command()
def worker() -> None:
    """Run the scheduler: reminder sweeps, retries of unsent pushes, deemed confirmation, retention."""
    from bot.services import Services
    from bot.domain.stages import stage_config_from_env
    from scheduler.worker import run_forever

    try:
        stage_config_from_env()  # a bad REMINDER_*/ESCALATE_* setting stops the worker at once
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    run_forever(Services.build(load_settings()))


def _register() -> None:
    from bot.cli.codes import codes_command
    from bot.demo import demo_command
    from bot.cli.imports import import_command

    main.add_command(import_command, "import")
    main.add_command(codes_command, "codes")
    main.add_command(demo_command, "demo")
    from bot.cli.remind import remind_command; main.add_command(remind_command, "remind")  # noqa: E702
    from bot.cli.objections import objections_group; main.add_command(objections_group, "objections")  # noqa: E702,E501
    from bot.cli.richmenu import richmenu_group; main.add_command(richmenu_group, "richmenu")  # noqa: E702
    from bot.cli.teacher import teacher_group; main.add_command(teacher_group, "teacher")  # noqa: E702
    from bot.cli.stats import stats_command; main.add_command(stats_command, "stats")  # noqa: E702


_register()
