"""`portfolio-bot console-link 教師編號`: a one-time sign-in link to the staff console, printed for a staff
member (first set-up, before anyone is bound to LINE). Valid 10 minutes, once."""
from __future__ import annotations

from datetime import datetime, timezone

import click
from sqlalchemy import select

from bot.cli.runtime import Runtime, pass_runtime
from bot.cli.zh_tw import ZhCommand
from bot.domain import console_access
from bot.infra.models import Teacher


@click.command("console-link", cls=ZhCommand)
@click.argument("teacher_no", metavar="教師編號")
@pass_runtime
def console_link_command(run: Runtime, teacher_no: str) -> None:
    """印出行政人員的後台登入連結（10 分鐘內有效，只能使用一次）。"""
    settings = run.settings
    if not settings.public_url:
        raise click.UsageError("請先設定 PUBLIC_URL（機器人對外的網址，例如 https://bot.example.edu.tw），"
                               "登入連結才有地方可以開。")
    with run.services.db.session() as session:
        teacher = session.scalar(select(Teacher).where(Teacher.teacher_no == teacher_no.strip()))
        if teacher is None:
            raise click.BadParameter(f"找不到教師編號 {teacher_no}（請先匯入教師名冊）。", param_hint="教師編號")
        if console_access.staff_member(session, teacher.id) is None:
            raise click.BadParameter(f"{teacher.name}（{teacher.teacher_no}）不具行政職務（註冊組、教學組、訓育組、"
                                     "管理者），不能登入後台。", param_hint="教師編號")
        token = console_access.issue(session, teacher.id, datetime.now(timezone.utc))
        name = f"{teacher.name}（{teacher.teacher_no}）"
    click.echo(f"{name}的後台登入連結（{console_access.LINK_MINUTES} 分鐘內有效，只能使用一次）：")
    click.echo(console_access.link(settings.public_url, token))
    if not settings.secret_key and not settings.local_mode:
        click.echo("注意：web 尚未設定 SECRET_KEY（至少 32 bytes），後台不會啟用。", err=True)
