"""Names and classes from imported files never become live formulas in the files the project writes
(OWASP, CSV injection): `stats --xlsx` and `codes --out` (the console's CSV export is in test_console)."""
from __future__ import annotations

import csv
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main

EVIL = ['=HYPERLINK("http://evil.example","按我")', "=CMD|' /C calc'!A0", "@SUM(1+1)", "+1+2", "-3+4"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def run(env, *args):
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def test_imported_text_is_text_in_the_workbook_and_the_codes_csv(cli_env, tmp_path: Path):
    students = tmp_path / "students.csv"
    with students.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["學號", "姓名", "班級", "座號", "年級", "在學狀態"])
        writer.writerows([f"S{i}", name, "=1+1", i + 1, "高一", "離校" if i == 0 else "在學"]
                         for i, name in enumerate(EVIL))
    teachers = tmp_path / "teachers.csv"
    teachers.write_text('教師編號,姓名,導師班級,職務\nT1,"=HYPERLINK(""http://evil.example"",""老師"")",,任課教師\n',
                        encoding="utf-8")
    courses = tmp_path / "courses.csv"
    courses.write_text("學年度,學期,課程代碼,科目名稱,班級,授課教師,代理教師\n115,1,X,=2+2,=1+1,T1,\n", encoding="utf-8")
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("學號,提交批次,項目,內容\nS0,114-2,修課紀錄,=cmd\n", encoding="utf-8")
    assert run(cli_env, "db", "upgrade").exit_code == 0
    imported = run(cli_env, "import", str(students), str(teachers), str(courses), str(receipts))
    assert imported.exit_code == 0, imported.output

    book_path = tmp_path / "stats.xlsx"
    assert run(cli_env, "stats", "--term", "115-1", "--now", "2026-10-01T08:00", "--xlsx", str(book_path)).exit_code == 0
    book = load_workbook(book_path)
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(FORMULA_STARTS), (sheet.title, cell.coordinate, cell.value)
    assert "'=1+1" in texts                      # the class, in 各班
    assert "'" + EVIL[0] in texts                # the leaver, in 離校待通知
    assert any(t.startswith("'=HYPERLINK") and "老師" in t for t in texts)  # the teacher, in 各教師

    out = tmp_path / "codes.csv"
    assert run(cli_env, "codes", "--out", str(out)).exit_code == 0
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    cells = [cell for row in rows[1:] for cell in row]
    assert not any(cell.startswith(FORMULA_STARTS) for cell in cells), cells
    assert {"'" + name for name in EVIL[1:]} <= set(cells) and "'=1+1" in cells


def test_every_start_owasp_names_is_neutralised_and_stays_text_in_a_saved_workbook(tmp_path: Path):
    """OWASP's list: ``=``, ``+``, ``-``, ``@``, a tab and a carriage return; what the importer would strip
    (a leading tab or CR) is still neutralised if it reaches a cell some other way."""
    from openpyxl import Workbook

    from bot.infra.cells import append_row, as_text
    risky = ["=1+1", "+1", "-1", "@SUM(1)", "\t=1+1", "\r=1+1"]
    safe = ["plain", "王小明", "1+1", ""]
    book = Workbook()
    append_row(book.active, [*risky, *safe, 7, None])
    path = tmp_path / "cells.xlsx"
    book.save(path)
    row = [cell for cell in next(load_workbook(path).active.iter_rows())]
    assert all(cell.data_type != "f" for cell in row)
    # (the workbook's XML reads a carriage return back as a line feed)
    assert [cell.value for cell in row[:len(risky)]] == ["'" + value.replace("\r", "\n") for value in risky]
    assert [cell.value for cell in row[len(risky):len(risky) + 3]] == safe[:3]
    assert row[len(risky) + len(safe)].value == 7  # numbers stay numbers
    assert [as_text(value) for value in risky] == ["'" + value for value in risky]
    assert [as_text(value) for value in safe] == safe and as_text(None) == ""
