"""A new school's first steps on the command line: `db upgrade`, `import` the templates, `codes`.

Always a fresh SQLite file (what a new user starts with), through the real click commands.
"""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, func, select

from bot.cli import main
from bot.infra.models import Outcome, Student

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
EXAMPLES = sorted((TEMPLATES / "examples").glob("*.csv"))
ORDER = ["students", "teachers", "courses", "outcomes", "performances", "receipts", "schedule"]


@pytest.fixture
def cli(tmp_path):
    url = f"sqlite:///{tmp_path / 'school.sqlite3'}"
    runner = CliRunner()
    env = {"DATABASE_URL": url, "REDIS_URL": "", "LINE_CHANNEL_SECRET": "", "LINE_CHANNEL_ACCESS_TOKEN": ""}

    def run(*args: str, code: int = 0):
        result = runner.invoke(main, list(args), env=env, catch_exceptions=False)
        assert result.exit_code == code, (result.stdout, result.stderr)
        return result

    run.url = url
    return run


def _count(url: str, model) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(model))
    finally:
        engine.dispose()


def test_upgrade_import_the_examples_twice_the_blank_templates_and_issue_codes(cli, tmp_path):
    assert "資料庫已更新" in cli("db", "upgrade").stdout
    first = cli("import", *map(str, reversed(EXAMPLES))).stdout.splitlines()  # any order: dependencies first
    assert [line.split("（")[0] for line in first[:7]] == [f"{kind}.csv" for kind in ORDER]
    assert "學生名冊）：新增 6 筆" in first[0] and first[-1] == "匯入完成：7 個檔案。"
    again = cli("import", *map(str, EXAMPLES)).stdout.splitlines()
    assert all("新增 0 筆、更新 0 筆" in line for line in again[:7])
    blank = cli("import", *map(str, sorted(TEMPLATES.glob("*.xlsx")))).stdout
    assert blank.count("只有標題列，沒有資料列，未匯入任何資料") == 7 and "匯入完成：7 個檔案。" in blank
    assert "students.xlsx（學生名冊）：只有標題列" in blank
    assert "匯入完成" in cli("import", *map(str, sorted(TEMPLATES.glob("*.csv")))).stdout

    out = tmp_path / "codes.csv"
    issued = cli("codes", "--out", str(out))
    assert "已產生 14 組綁定碼（學生 6、教師 8）" in issued.stdout
    assert "綁定連結" in issued.stderr  # told why the link column is empty without a token
    with out.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 14 and {r["身分"] for r in rows} == {"學生", "教師"}
    assert all(len(r["綁定碼"]) == 8 for r in rows)
    assert "王小明" in {r["姓名"] for r in rows}


def test_bad_rows_are_listed_with_file_and_row_and_nothing_changes(cli, tmp_path):
    cli("db", "upgrade")
    cli("import", *map(str, EXAMPLES))
    students, outcomes = _count(cli.url, Student), _count(cli.url, Outcome)
    good = tmp_path / "新生.csv"
    good.write_text("學號,姓名,班級,座號,年級,部別\n115901,新同學,101,30,高一,日間部\n", encoding="utf-8")
    bad = tmp_path / "成果.csv"
    bad.write_text(
        "成果編號,學號,學年度,學期,課程代碼,成果名稱,狀態,送出時間,認證時間,認證說明,勾選\n"
        "O-9001,999999,115,1,CHI-1,報告,待認證,2025-10-01,,,否\n"       # unknown 學號
        "O-9002,115001,115,1,CHI-1,報告,待認證,2025/13/01,,,否\n"       # bad date
        "O-9003,115001,115,1,CHI-1,報告,審核中,2025-10-01,,,否\n"       # unknown status
        "O-9004,115001,115,1,CHI-1,報告,待認證,2025-10-01,,,否\n"
        "O-9004,115001,115,1,CHI-1,報告,待認證,2025-10-01,,,否\n",      # duplicated key
        encoding="utf-8")
    result = cli("import", str(good), str(bad), code=1)
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "成果.csv 第2列：學號「999999」不是已知的學生（請先匯入學生名冊）",
        "成果.csv 第3列：送出時間「2025/13/01」不是有效的日期時間（格式如 2025-09-30 08:00 或 2025-09-30）",
        "成果.csv 第4列：狀態「審核中」不是可用的值（未送出、待認證、已認證、認證失敗、認證成功、退回）",
        "成果.csv 第5列：成果編號 O-9004 與第6列重複",
        "成果.csv 第6列：成果編號 O-9004 與第5列重複",
        "匯入失敗：5 處有誤，資料庫沒有任何變更。",
    ]
    assert (_count(cli.url, Student), _count(cli.url, Outcome)) == (students, outcomes)  # the good file too


def test_a_big5_file_from_excel(cli, tmp_path):
    cli("db", "upgrade")
    path = tmp_path / "名冊.csv"
    path.write_bytes("學號,姓名,班級,座號,年級,部別\r\n114001,王小明,101,1,高一,日間部\r\n"
                     "114002,林怡君,101,2,高一,\r\n".encode("cp950"))
    assert "名冊.csv（學生名冊）：新增 2 筆" in cli("import", str(path)).stdout
    engine = create_engine(cli.url)
    try:
        with engine.connect() as conn:
            assert sorted(conn.scalars(select(Student.name))) == ["林怡君", "王小明"]
    finally:
        engine.dispose()


def test_import_before_the_schema_exists_says_what_to_run(cli):
    result = cli("import", str(EXAMPLES[0]), code=1)
    assert "請先執行 portfolio-bot db upgrade" in result.stderr and "Traceback" not in result.output


def test_every_template_file_is_recognised_by_its_header(tmp_path):
    """The shipped templates, copied under any name, are told apart by their header rows alone."""
    from bot.domain.importer.kinds import detect_kind
    from bot.domain.importer.readers import read_table

    for template in sorted(TEMPLATES.glob("*.*")):
        copy = tmp_path / f"x{template.suffix}"
        shutil.copy(template, copy)
        assert detect_kind(read_table(copy).header).name == template.stem
