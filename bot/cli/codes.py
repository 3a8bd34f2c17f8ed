"""`portfolio-bot codes`: one-time binding codes, with the LINE link that carries each, for people not yet bound.

The CSV (UTF-8 with BOM, for Excel) is the only place the plain codes appear: the
console shows counts and the output path only. Issuing a code for a person makes
their earlier unused codes stop working.

``--class 101`` is for handing out a class's codes: its students only. The class's 導師 keeps the
code they were given (a new one would make it stop working) unless ``--role teacher`` asks for
the 導師's own.
"""
from __future__ import annotations

import os
from pathlib import Path

import click
from sqlalchemy import select

from bot.cli.runtime import BadArgument, Runtime, pass_runtime
from bot.cli.zh_tw import ZhCommand
from bot.domain.binding_codes import CodeRow, basic_id_of, issue_rows, unbound_people, write_csv_atomically
from bot.infra.models import SchoolClass
from bot.infra.vocab import PersonKind

CLASS_NOTE = "只產生 {code} 班學生的綁定碼；導師先前拿到的綁定碼仍然有效（要重新產生導師的，請加 --role teacher）。"


@click.command(cls=ZhCommand)
@click.option("--role", type=click.Choice([k.value for k in PersonKind]), default=None,
              help="只產生學生（student）或教師（teacher）的綁定碼；預設兩者皆產生（有 --class 時只產生學生的）。")
@click.option("--class", "class_code", default=None, metavar="班級",
              help="只產生這個班級學生的綁定碼，例如 101；加上 --role teacher 則只產生該班導師的。")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), metavar="檔案.csv",
              help="輸出的 CSV 檔（UTF-8 with BOM，可直接用 Excel 開啟）。")
@pass_runtime
def codes_command(run: Runtime, role: str | None, class_code: str | None, out: Path) -> None:
    """為尚未綁定的人產生一次性綁定碼與綁定連結，寫入 CSV 檔。

    產生新的綁定碼後，這些人先前未使用的綁定碼就會失效。
    """
    role = role_for(role, class_code)
    out = out.resolve()
    if not out.parent.is_dir():
        raise BadArgument(f"輸出資料夾不存在：{out.parent}")
    services = run.services
    tmp: Path | None = None
    try:
        with services.db.session() as session:
            klass = None
            if class_code is not None:
                klass = session.scalar(select(SchoolClass).where(SchoolClass.code == class_code.strip()))
                if klass is None:
                    raise BadArgument(f"找不到班級 {class_code}：請先匯入學生名冊，或確認班級代碼。")
            people = unbound_people(session, role, klass)
            basic_id, why = basic_id_of(services) if people else (None, "")
            rows = issue_rows(session, people, basic_id)
            tmp = write_csv_atomically(out, rows)
        # The session has committed: the codes are valid only now that the file holding them exists.
        os.replace(tmp, out)
    finally:
        if tmp is not None and tmp.exists():
            tmp.unlink()
    if why:
        click.echo(f"注意：{why}，CSV 的「綁定連結」欄留空，請改用綁定碼綁定。", err=True)
    report(rows, out)
    if class_code is not None and role == PersonKind.student.value:
        click.echo(CLASS_NOTE.format(code=class_code.strip()))


def role_for(role: str | None, class_code: str | None) -> str | None:
    """Whose codes to issue: ``--role`` when given; with ``--class`` alone, the class's students (its
    導師's code is theirs already: a new one would stop it working); else everyone."""
    if role is None and class_code is not None:
        return PersonKind.student.value
    return role


def report(rows: list[CodeRow], out: Path) -> None:
    """Counts and the path only: codes never reach the console."""
    if not rows:
        click.echo(f"沒有尚未綁定的人員，未產生綁定碼；已寫入只有標題列的 {out}")
        return
    students = sum(1 for r in rows if r.kind == PersonKind.student)
    click.echo(f"已產生 {len(rows)} 組綁定碼（學生 {students}、教師 {len(rows) - students}），寫入 {out}")
    click.echo("每組綁定碼只能使用一次；這些人先前未使用的綁定碼已失效。請妥善保管這個檔案。")
