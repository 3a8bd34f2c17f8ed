"""`portfolio-bot richmenu deploy|link`: put each role's rich menu on LINE, and link people to theirs."""
from __future__ import annotations

import click

from bot.cli.runtime import Runtime, pass_runtime
from bot.cli.zh_tw import ZhGroup

ROLE_NAMES = {"guest": "未綁定（預設）", "student": "學生", "teacher": "任課教師", "homeroom": "導師", "staff": "行政",
              "office": "行政（未任課）"}


@click.group(cls=ZhGroup)
def richmenu_group() -> None:
    """圖文選單：部署各身分的選單，並連結已綁定的人。

    每種身分一份：學生、任課教師、導師、行政，以及未綁定者的預設選單。
    """


def _services(run: Runtime):
    if not run.settings.channel_access_token:
        raise click.ClickException("需要 LINE_CHANNEL_ACCESS_TOKEN 才能設定圖文選單。")
    return run.services


@richmenu_group.command("deploy")
@click.option("--font", type=click.Path(dir_okay=False), default=None, metavar="字型檔",
              help="畫選單用的中文字型檔（預設：專案內附的 Noto Sans TC 字型子集）。")
@click.option("--force", is_flag=True, help="即使選單沒有變更也重新建立。")
@pass_runtime
def deploy_command(run: Runtime, font: str | None, force: bool) -> None:
    """畫出並建立每種身分的圖文選單、設定預設選單，並連結每位已綁定的人。"""
    from linebot.v3.messaging.exceptions import ApiException

    from bot.domain.richmenu import RichMenuError, deploy

    services = _services(run)
    try:
        results = deploy(services, font=font, force=force)
    except RichMenuError as exc:
        raise click.ClickException(str(exc)) from None
    except ApiException as exc:
        raise click.ClickException(f"LINE 拒絕了圖文選單的請求（{exc.status}）：{exc.body!r}") from None
    for r in results:
        state = "已建立" if r.created else "未變更，沿用"
        linked = f"，連結 {r.linked} 人" if r.role != "guest" else "，設為預設選單"
        click.echo(f"{ROLE_NAMES[r.role]}：{state} {r.rich_menu_id}{linked}")


@richmenu_group.command("link")
@pass_runtime
def link_command(run: Runtime) -> None:
    """重新為每位已綁定的人連結其身分的圖文選單（匯入資料改變身分之後）。"""
    from bot.domain.richmenu import relink_everyone

    counts = relink_everyone(_services(run))
    if not counts:
        click.echo("尚未部署圖文選單（請先執行 portfolio-bot richmenu deploy），或沒有已綁定的人。")
        return
    click.echo("、".join(f"{ROLE_NAMES[role]} {n} 人" for role, n in counts.items()) + " 已連結圖文選單。")
