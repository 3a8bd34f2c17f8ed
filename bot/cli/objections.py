"""`portfolio-bot objections`: list students' 收訖明細 objections (疑義) and resolve them.

    portfolio-bot objections list [--all] [--item 修課紀錄]
    portfolio-bot objections resolve 12 --text "已更正為 3 學分" [--by 註冊組]

Resolving records the answer once and pushes it to the student (when they are on LINE).
"""
from __future__ import annotations

from datetime import datetime, timezone

import click

from bot.cli.runtime import BadArgument, Runtime, pass_runtime, record_id
from bot.cli.zh_tw import ZhGroup
from bot.domain import objections
from bot.infra.config import SchoolRules
from bot.infra.vocab import DUTY_LABELS, RECEIPT_ITEM_LABELS, reverse
from messages import receipts as msg
from messages.reminders import when

_ITEMS = reverse(RECEIPT_ITEM_LABELS)


def _line(row: objections.ObjectionRow, tz, days: int, now: datetime, school: SchoolRules) -> str:
    due = objections.answer_by(row.created_at, days, tz)
    if row.resolved_at is not None:
        state = f"已處理 {when(row.resolved_at, tz)}：{row.resolution}"
    elif objections.overdue(row, days, now, tz):
        state = f"處理中・已逾回覆期限（{when(due, tz)}）"
    else:
        state = f"處理中・回覆期限 {when(due, tz)}"
    return (f"#{row.id}  {when(row.created_at, tz)}  {row.term_label} {RECEIPT_ITEM_LABELS[row.item]}"
            f"（{DUTY_LABELS[school.office(row.item)]}）  {row.class_code} 班 {row.seat} 號 {row.student_name}"
            f"（{row.student_no}）  {state}\n    說明：{row.reason}")


@click.group(cls=ZhGroup)
def objections_group() -> None:
    """收訖明細的疑義：列出、處理並通知學生。"""


@objections_group.command("list")
@click.option("--all", "include_resolved", is_flag=True, help="連已處理的一起列出。")
@click.option("--item", type=click.Choice(sorted(_ITEMS)), default=None, help="只列這個項目。")
@pass_runtime
def list_command(run: Runtime, include_resolved: bool, item: str | None) -> None:
    """列出疑義（預設只列處理中的）。"""
    settings = run.settings
    with run.services.db.session() as session:
        rows = objections.listing(session, include_resolved, _ITEMS[item] if item else None)
    if not rows:
        click.echo("沒有待處理的疑義。" if not include_resolved else "沒有任何疑義。")
        return
    now = datetime.now(timezone.utc)
    for row in rows:
        click.echo(_line(row, settings.tz, settings.objection_answer_days, now, settings.school))
    late = sum(objections.overdue(r, settings.objection_answer_days, now, settings.tz) for r in rows)
    if late:
        click.echo(f"其中 {late} 筆已逾回覆期限（學校規定 {settings.objection_answer_days} 個上課日內回覆）。")
    click.echo(f"共 {len(rows)} 筆。")


@objections_group.command("resolve")
@click.argument("objection_id", callback=record_id, metavar="編號")
@click.option("--text", "text", required=True, metavar="文字", help="處理結果（會傳給學生）。")
@click.option("--by", "by", default="", metavar="處理人", help="處理人或處室（記錄用）。")
@pass_runtime
def resolve_command(run: Runtime, objection_id: int, text: str, by: str) -> None:
    """記錄這筆疑義（編號）的處理結果，並用 LINE 通知學生。"""
    settings, services = run.settings, run.services
    with services.db.session() as session:
        outcome, user = objections.resolve(session, objection_id, text, by, datetime.now(timezone.utc))
        row = objections.one(session, objection_id)
    if outcome == objections.Resolution.not_found:
        raise BadArgument(f"找不到疑義 #{objection_id}。")
    if outcome == objections.Resolution.already:
        raise click.ClickException(f"疑義 #{objection_id} 已於 {when(row.resolved_at, settings.tz)} 處理過，"
                                   "沒有再次通知學生。")
    if outcome == objections.Resolution.empty:
        raise click.ClickException("處理結果不可空白（--text）。")
    if outcome == objections.Resolution.too_long:
        raise click.ClickException(f"處理結果最多 {objections.MAX_RESOLUTION} 字。")
    sent = objections.tell_student(services.sender, user, [msg.resolution_notice(row, settings.tz, settings.school)])
    click.echo(f"疑義 #{objection_id} 已記錄為已處理。")
    if sent is None:
        click.echo("學生沒有綁定 LINE（或已封鎖），沒有傳送通知；請另行告知。")
    elif sent.ok:
        click.echo("已用 LINE 通知學生處理結果。")
    else:
        click.echo(f"通知學生暫未送出（{sent.status}），已留在待送佇列，worker 會再試。")

