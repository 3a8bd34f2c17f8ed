"""Arguments a command cannot use get the reason in zh-TW and exit status 2, never a traceback; an
imported NUL is a row error naming the row (on PostgreSQL it used to surface as a database error); a
database without its tables, or out of reach, is said so in zh-TW (exit 1), never with a traceback."""
from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import main


@pytest.fixture
def env(cli_env):
    assert CliRunner().invoke(main, ["db", "upgrade"], env=cli_env).exit_code == 0
    return cli_env


@pytest.mark.parametrize("args, reason", [
    (["remind", "--now", "0001-01-01T00:00", "--dry-run"], "超出可用的範圍"),
    (["remind", "--now", "9999-12-31T23:59", "--dry-run"], "超出可用的範圍"),
    (["stats", "--term", "99999999999999999999-1"], "找不到學期 99999999999999999999-1"),
    (["stats", "--now", "0001-01-01T00:00"], "超出可用的範圍"),
    (["objections", "resolve", "99999999999999999999999", "--text", "好"], "編號「99999999999999999999999」不正確"),
    (["teacher", "available", "T1", "--id", "x1"], "編號「x1」不正確"),
    (["objections", "resolve", "12345", "--text", "好"], "找不到疑義 #12345"),
    (["teacher", "unavailable", "T1", "--from", "0001-01-01", "--to", "0001-01-02"], "超出可用的範圍"),
    (["purge", "--dry-run", "--now", "0001-01-01"], "超出可用的範圍"),
])
def test_bad_arguments_exit_2_with_the_reason(env, args, reason):
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert reason in result.output and "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)


def test_an_unwritable_workbook_path_is_refused(env, db):
    from bot.infra.models import Term

    with db.session() as s:  # (the db fixture starts from empty tables)
        s.add(Term(year=115, semester=1))
    result = CliRunner().invoke(main, ["stats", "--term", "115-1", "--xlsx", "/proc/x.xlsx"], env=env)
    assert result.exit_code == 2 and "無法寫入 /proc/x.xlsx" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_a_nul_in_an_imported_value_is_a_row_error(env, tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes("學號,姓名,班級,座號,年級\nS1,王\x00小明,101,1,高一\n".encode())
    result = CliRunner().invoke(main, ["import", str(path)], env=env)
    assert result.exit_code == 1
    assert "s.csv 第2列：姓名含有不允許的控制字元（NUL）" in result.output


def _without_tables(url: str, tmp_path) -> str:
    """The test database as a command would see it before `db upgrade`: PostgreSQL through a
    search_path that holds nothing; SQLite as a new file."""
    if url.startswith("postgresql"):
        return url + ("&" if "?" in url else "?") + "options=-csearch_path%3Dno_tables_here"
    return f"sqlite:///{tmp_path / 'new.sqlite3'}"


@pytest.mark.parametrize("args", [
    ["stats"], ["remind", "--dry-run"], ["objections", "list"], ["purge", "--dry-run"],
    ["codes", "--out", "codes.csv"],
])
def test_a_database_without_its_tables_is_named_with_the_fix_not_a_traceback(cli_env, tmp_path, args):
    env = dict(cli_env, DATABASE_URL=_without_tables(cli_env["DATABASE_URL"], tmp_path))
    args = [str(tmp_path / arg) if arg.endswith(".csv") else arg for arg in args]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "資料表還沒建立或不是最新版本" in result.output and "portfolio-bot db upgrade" in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_a_database_older_than_the_code_asks_for_the_upgrade(tmp_path):
    # a database of its own (a column is taken away): as if the last migration had not been run
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'old.sqlite3'}", "SCHOOL_TZ": "Asia/Taipei"}
    assert CliRunner().invoke(main, ["db", "upgrade"], env=env).exit_code == 0
    import sqlite3
    with sqlite3.connect(tmp_path / "old.sqlite3") as conn:
        conn.execute("ALTER TABLE objection DROP COLUMN resolution")
    result = CliRunner().invoke(main, ["objections", "list"], env=env)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "不是最新版本" in result.output and "portfolio-bot db upgrade" in result.output
    assert "Traceback" not in result.output


def test_a_database_that_cannot_be_reached_is_said_so_without_the_url(cli_env):
    env = dict(cli_env, DATABASE_URL="postgresql+psycopg://someone:secret-pw@127.0.0.1:9/nowhere")
    result = CliRunner().invoke(main, ["stats"], env=env)
    assert result.exit_code == 1, (result.output, result.exception)
    assert "無法連上資料庫" in result.output and "DATABASE_URL" in result.output
    assert "secret-pw" not in result.output and "Traceback" not in result.output
