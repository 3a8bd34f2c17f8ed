"""Import file formats: UTF-8, UTF-8 with BOM, Big5/CP950, XLSX (typed cells), messy headers,
and the shipped templates (header-only ones are recognised; the example school imports cleanly)."""
from __future__ import annotations

import csv
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import select

from bot.domain.importer.kinds import KINDS
from bot.domain.importer.readers import read_table
from bot.infra.db import Database
from bot.infra.models import Outcome, SchoolClass, Student, Teacher, Window
from bot.infra.vocab import OutcomeStatus
from tests.test_import import STUDENTS, assert_rows, count, rejected, run, school, snapshot, write  # noqa: F401

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "templates"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp950"])
def test_csv_encodings(db: Database, tmp_path: Path, encoding: str) -> None:
    path = write(tmp_path, "s.csv", "students", STUDENTS + ["S005,許淑芬,301,3,高三,進修部"], encoding=encoding)
    if encoding == "cp950":
        assert path.read_bytes().decode("cp950").startswith("學號") and b"\xe5" not in path.read_bytes()[:2]
    report = run(db, path)
    assert report.ok, report.errors
    with db.session() as s:
        names = set(s.scalars(select(Student.name)))
        assert {"王小明", "黃詩涵", "許淑芬"} <= names
        assert s.scalar(select(SchoolClass.division).where(SchoolClass.code == "301")) == "進修部"


def test_undecodable_bytes_are_a_clear_error(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_bytes("學號,姓名,班級,座號,年級\n".encode() + b"\xff\xfe\xff,\x80\x80,101,1,1\n")
    assert_rows(rejected(db, path), [("s.csv", None, "無法辨識檔案的編碼")])


@pytest.mark.parametrize("name, data, reason", [
    ("u16.csv", "學號,姓名,班級,座號,年級\n".encode("utf-16"), "UTF-16 編碼"),
    ("tabs.csv", "學號\t姓名\t班級\t座號\t年級\nS1\t甲\t101\t1\t1\n".encode(), "用 Tab 分隔欄位"),
    ("semi.csv", "學號;姓名;班級;座號;年級\nS1;甲;101;1;1\n".encode("cp950"), "用分號分隔欄位"),
    ("old.xls", b"\xd0\xcf\x11\xe0", "不支援舊版 Excel（.xls）"),
])
def test_files_saved_the_wrong_way_say_how_to_save_them(db: Database, tmp_path: Path, name, data, reason) -> None:
    (tmp_path / name).write_bytes(data)
    assert_rows(rejected(db, tmp_path / name), [(name, None, reason)])


def test_header_whitespace_bom_and_order_are_forgiven(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text("\ufeff 班級 ,學 號,姓名,\u3000座號,年級,,\n101, S001 ,王小明,1,1\n\n,,,,\n102,S002,林怡君,2,高一\n",
                    encoding="utf-8")
    table = read_table(path)
    assert table.header == ["班級", "學號", "姓名", "座號", "年級"] and [r.number for r in table.rows] == [2, 5]
    report = run(db, path)
    assert report.ok and report.files[0].kind == "students"
    with db.session() as s:
        assert set(s.scalars(select(Student.student_no))) == {"S001", "S002"}


def test_row_numbers_count_quoted_multiline_cells_as_one_row(db: Database, tmp_path: Path) -> None:
    path = tmp_path / "s.csv"
    path.write_text('學號,姓名,班級,座號,年級\nS001,"王\n小明",101,1,1\nS002,林怡君,101,x,1\n', encoding="utf-8")
    assert_rows(rejected(db, path), [("s.csv", 3, "座號「x」不正確")])


def xlsx(path: Path, header: list[str], rows: list[list[object]], formats: dict[int, str] | None = None) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    for column, fmt in (formats or {}).items():
        for cells in sheet.iter_rows(min_row=2, min_col=column, max_col=column):
            cells[0].number_format = fmt
    workbook.create_sheet("其他").append(["not", "read"])
    workbook.save(path)
    return path


def test_xlsx_first_sheet_with_numbers_and_date_cells(school: Database, tmp_path: Path) -> None:
    students = xlsx(tmp_path / "students.xlsx", ["學號", "姓名", "班級", "座號", "年級"],
                    [[114001, "王小明", 101, 1, 1], [114002, "林怡君", 101, 2.0, "高一"]])
    outcomes = xlsx(tmp_path / "outcomes.xlsx", ["成果編號", "學號", "學年度", "學期", "課程代碼", "成果名稱", "狀態",
                                                 "送出時間", "認證時間", "認證說明", "勾選"],
                    [["X1", 114001, 114, 1, "CHI", "報告", "已認證", datetime(2025, 10, 1, 20, 15),
                      date(2025, 10, 3), None, "是"]],
                    formats={8: "yyyy-mm-dd hh:mm", 9: "yyyy-mm-dd"})
    schedule = xlsx(tmp_path / "schedule.xlsx", ["項目", "學年度", "學期", "對象", "開始", "截止"],
                    [["勾選", 114, 1, 101, date(2025, 10, 1), date(2025, 10, 5)]], formats={5: "yyyy/m/d", 6: "yyyy/m/d"})
    report = run(school, schedule, outcomes, students)
    assert report.ok, report.errors
    with school.session() as s:
        assert s.scalar(select(Student).where(Student.student_no == "114002")).seat == 2
        x1 = s.scalar(select(Outcome).where(Outcome.outcome_no == "X1"))
        assert x1.status is OutcomeStatus.certified and x1.picked
        assert x1.submitted_at == datetime(2025, 10, 1, 12, 15, tzinfo=timezone.utc)
        assert x1.certified_at == datetime(2025, 10, 2, 16, 0, tzinfo=timezone.utc)
        window = s.scalar(select(Window))
        assert window.audience == "classes:101"
        assert window.ends_at == datetime(2025, 10, 5, 15, 59, 59, tzinfo=timezone.utc)  # date-only end: 23:59:59


def test_xlsx_bad_rows_use_spreadsheet_row_numbers(school: Database, tmp_path: Path) -> None:
    path = xlsx(tmp_path / "t.xlsx", ["教師編號", "姓名", "導師班級", "職務"],
                [["T10", "甲", None, "任課教師"], [None, None, None, None], ["T11", "乙", 999, None]])
    assert_rows(rejected(school, path), [("t.xlsx", 4, "導師班級「999」不是已知的班級")])


# -- the shipped templates ------------------------------------------------------------------

def test_templates_exist_and_match_the_importer() -> None:
    for spec in KINDS:
        with (TEMPLATES / f"{spec.name}.csv").open(encoding="utf-8-sig", newline="") as f:
            assert list(csv.reader(f)) == [list(spec.columns)]
        sheet = load_workbook(TEMPLATES / f"{spec.name}.xlsx", read_only=True).worksheets[0]
        assert [list(r) for r in sheet.iter_rows(values_only=True)] == [list(spec.columns)]


def test_header_only_templates_are_recognised(db: Database) -> None:
    paths = sorted(TEMPLATES.glob("*.csv")) + sorted(TEMPLATES.glob("*.xlsx"))
    assert len(paths) == 14
    before = snapshot(db)
    report = run(db, *paths)
    assert report.ok, report.errors
    assert sorted(f.kind for f in report.files) == sorted([s.name for s in KINDS] * 2)
    assert all((f.counts.inserted, f.counts.updated, f.counts.unchanged) == (0, 0, 0) for f in report.files)
    assert snapshot(db) == before


def test_example_school_imports_cleanly_and_twice_is_a_no_op(db: Database) -> None:
    paths = sorted((TEMPLATES / "examples").glob("*.csv"))
    assert {p.stem for p in paths} == {s.name for s in KINDS}
    report = run(db, *paths)
    assert report.ok, report.errors
    assert all(f.counts.inserted > 0 for f in report.files)
    with db.session() as s:
        assert s.scalar(select(Teacher).where(Teacher.teacher_no == "T001")).homeroom_class.code == "101"
    assert count(db, Outcome) == report.counts["outcomes"].inserted
    before = snapshot(db)
    again = run(db, *paths)
    assert again.ok and all(f.counts.inserted == f.counts.updated == 0 for f in again.files)
    assert snapshot(db) == before
