"""`portfolio-bot import FILE...`: import the school's templates, print a zh-TW summary per
file, or every bad row (`檔名 第N列：原因`) and exit 1 with nothing changed."""
from __future__ import annotations

import click
from sqlalchemy.exc import DBAPIError

from bot.cli.runtime import Runtime, database_problem, pass_runtime
from bot.cli.zh_tw import ZhCommand
from bot.domain.importer.runner import import_files
from bot.domain.importer.follow_up import follow_up


@click.command(cls=ZhCommand)
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False), metavar="檔案...")
@pass_runtime
def import_command(run: Runtime, files: tuple[str, ...]) -> None:
    """匯入學校範本格式的 CSV／XLSX 檔（依標題列判斷是哪一種資料）。

    任何一列有誤就整批不匯入，並列出每一列錯誤的列號與原因。
    """
    try:
        report = import_files(run.services.db, files, run.settings.tz,
                              school=run.settings.school)
    except DBAPIError as exc:  # the top group would say it too, without the promise that nothing was imported
        raise click.ClickException(database_problem(exc, undone="沒有匯入任何資料")) from None
    if not report.ok:
        for error in report.errors:
            click.echo(str(error), err=True)
        rows = len({(e.file, e.row_number) for e in report.errors})
        click.echo(f"匯入失敗：{rows} 處有誤，資料庫沒有任何變更。", err=True)
        raise SystemExit(1)
    for file_report in report.files:
        click.echo(file_report.summary())
    click.echo(f"匯入完成：{len(report.files)} 個檔案。")
    for line in follow_up(run.services, report):
        click.echo(line if line.endswith("。") else line + "。")
