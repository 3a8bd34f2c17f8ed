"""`portfolio-bot stats`: the printed rates and the XLSX workbook."""
from __future__ import annotations

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import main
from tests.roles_school import build


@pytest.fixture
def env(cli_env) -> dict[str, str]:
    return cli_env


@pytest.fixture
def school(db):
    with db.session() as s:
        return build(s)


def run(env, *args: str):
    return CliRunner().invoke(main, ["stats", *args], env=env, catch_exceptions=False)


def test_stats_prints_the_same_rates_as_the_chat(env, school):
    result = run(env, "--term", "114-1", "--now", "2025-11-20T10:00")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "114-1 學期統計（2025-11-20 10:00 為止）"
    assert "  認證率 38%（已認證 3 / 送出 8 件，待認證 4 件）" in lines
    assert "  勾選率 25%（已勾選 1 / 可勾選 4 人）" in lines
    assert "  101：認證率 25%，待認證 2 件" in lines
    assert "  11/19（三） 50%（3/6）" in lines
    assert "  收訖明細確認率 50%（已確認 3 / 6 份）" in lines
    assert "101\t5\t4\t1\t1\t2\t25%\t2\t1\t50%\t4\t2\t50%" in lines
    assert "T-wang\tWANG老師\t3\t2\t3\t10" in lines and "T-lin\tLIN老師\t0\t—\t1\t1" in lines


def test_without_term_the_term_of_now_is_used(env, school):
    result = run(env, "--now", "2025-11-20T10:00")
    assert result.exit_code == 0 and result.output.startswith("114-1 學期統計")


def test_stats_writes_an_xlsx_workbook(env, school, tmp_path):
    out = tmp_path / "reports" / "stats.xlsx"
    result = run(env, "--term", "114-1", "--now", "2025-11-20T10:00", "--xlsx", str(out))
    assert result.exit_code == 0 and f"已寫入 {out}" in result.output
    book = load_workbook(out)
    assert book.sheetnames == ["摘要", "各班", "收訖明細確認率", "各教師", "離校待通知"]
    classes = [list(r) for r in book["各班"].iter_rows(values_only=True)]
    assert classes[0][:3] == ["班級", "學生數", "送出認證"]
    assert classes[1] == ["101", 5, 4, 1, 1, 2, 0.25, 2, 1, 0.5, 4, 2, 0.5]
    assert classes[-1][0] == "全校" and classes[-1][2] == 8
    assert book["各班"]["G2"].number_format == "0%" and book["各班"]["M2"].number_format == "0%"
    days = [list(r) for r in book["收訖明細確認率"].iter_rows(values_only=True)]
    assert days[1:] == [["114-1", "高一", "2025-11-18", 0, 6, 0], ["114-1", "高一", "2025-11-19", 3, 6, 0.5],
                        ["114-1", "高一", "2025-11-20", 3, 6, 0.5]]
    teachers = {r[0]: r for r in book["各教師"].iter_rows(min_row=2, values_only=True)}
    assert teachers["T-wang"] == ("T-wang", "WANG老師", 3, 2, 3, 10)
    assert book["摘要"]["A1"].value == "114-1 學期統計"


@pytest.mark.parametrize("label", ["999-1", "114", "abc"])
def test_an_unknown_term_is_refused(env, school, label, tmp_path):
    result = run(env, "--term", label, "--xlsx", str(tmp_path / "x.xlsx"))
    assert result.exit_code == 2 and f"找不到學期 {label}" in result.output
    assert not (tmp_path / "x.xlsx").exists()
