"""`portfolio-bot`: the command line for staff and operators (see README); the CLI's composition root.

The group's callback gives every command one ``Runtime`` through ``ctx.obj``: the settings,
read from the environment once (a bad value stops the command, naming the variable), and the
services, built once when a command first needs them and closed when the command ends.
Every command's help is zh-TW (``bot.cli.zh_tw``), `portfolio-bot --help` included.
"""
from __future__ import annotations

import logging
import sys

import click
from sqlalchemy.exc import DBAPIError

from bot.cli.codes import codes_command
from bot.cli.console import console_link_command
from bot.cli.imports import import_command
from bot.cli.objections import objections_group
from bot.cli.purge import purge_command
from bot.cli.remind import remind_command
from bot.cli.richmenu import richmenu_group
from bot.cli.runtime import Runtime, database_problem, pass_runtime
from bot.cli.stats import stats_command
from bot.cli.teacher import teacher_group
from bot.cli.zh_tw import ZhGroup, zh_tw
from bot.demo import demo_command

class _Main(ZhGroup):
    """The top group: a command that stops on the database (no tables yet, not reachable) says so in
    zh-TW and exits 1, never with a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            raise click.ClickException(database_problem(exc)) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """學生學習歷程檔案 LINE 機器人：行政人員與系統管理者的指令。

    每個指令加上 --help 可看它的用法，例如 portfolio-bot codes --help。
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    ctx.obj = Runtime()
    ctx.call_on_close(ctx.obj.close)


@main.group()
def db() -> None:
    """資料庫：建立或更新資料表。"""


@db.command("upgrade")
@pass_runtime
def db_upgrade(run: Runtime) -> None:
    """建立或更新資料庫結構（Alembic）。"""
    from bot.infra.migrate import upgrade

    upgrade(run.settings.database_url)
    click.echo("資料庫已更新至最新版本。")


@main.command()
@pass_runtime
def worker(run: Runtime) -> None:
    """執行排程：定時提醒、重送訊息、逾期視為確認、刪除過期資料。"""
    from scheduler.worker import run_forever

    run_forever(run.services)  # the settings were checked first: a bad REMINDER_* stops it at once


main.add_command(import_command, "import")
main.add_command(codes_command, "codes")
main.add_command(console_link_command, "console-link")
main.add_command(remind_command, "remind")
main.add_command(stats_command, "stats")
main.add_command(objections_group, "objections")
main.add_command(purge_command, "purge")
main.add_command(teacher_group, "teacher")
main.add_command(richmenu_group, "richmenu")
# The demo is a whole app of its own (web + worker + simulator); its command is made in bot.demo.
main.add_command(zh_tw(demo_command), "demo")
