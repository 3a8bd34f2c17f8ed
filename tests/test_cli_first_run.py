"""A school's first runs of `portfolio-bot`: a reminder sweep that reaches nobody says why and when the
next reminder falls due; the sweep's header is the school's local time; `stats` for a term not loaded
names the terms that are (issue #13)."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.infra.models import Term
from bot.infra.vocab import WindowKind
from tests import factories as f
from tests.reminder_factories import local, school_with_upload_window

CODES_HINT = "請先執行 portfolio-bot codes --out 綁定碼.csv 產生綁定碼，發給學生與老師綁定。"
SUMMARY = "合計：0 人，計費訊息 0 則，LINE 請求 0 次"


def remind(env: dict[str, str], now: str, *extra: str) -> list[str]:
    result = CliRunner().invoke(main, ["remind", "--now", now, *extra], env=env)
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output.splitlines()


def add_term(session, year: int = 115, semester: int = 1) -> Term:
    term = Term(year=year, semester=semester)
    session.add(term)
    session.flush()
    return term


def add_window(session, term: Term, kind: WindowKind, start: str, end: str, audience: str = "全校") -> None:
    from bot.infra.models import Window

    session.add(Window(kind=kind, term_id=term.id, audience=audience, starts_at=local(start), ends_at=local(end)))
    session.flush()


@pytest.fixture
def roster(db):
    """Term 115-1; 101 with one student and its 導師, nobody bound; 課程學習成果上傳 opens 12/1 00:00."""
    with db.session() as s:
        term = add_term(s)
        c101 = f.school_class(s, "101")
        f.student(s, c101, seat=1, name="王小明", student_no="1150001")
        f.teacher(s, name="林導師", teacher_no="T001", homeroom=c101)
        add_window(s, term, WindowKind.outcome_upload, "2026-12-01 00:00", "2026-12-20 17:00")
    return db


def bind_everyone(db) -> None:
    from bot.infra.models import Student, Teacher

    with db.session() as s:
        for n, person in enumerate([*s.query(Student), *s.query(Teacher)]):
            f.bind(s, person, f.line_user_id(f"first-run-{n}"))


# -- remind: why nobody, and when next ---------------------------------------------------------------
def test_nobody_bound_says_so_suggests_codes_and_when_the_first_reminder_falls_due(cli_env, roster):
    assert remind(cli_env, "2026-11-28T09:51", "--dry-run") == [
        "提醒掃描 2026-11-28 09:51（試算，未寫入也未發送）",
        SUMMARY,
        "沒有需要提醒的人：還沒有人綁定 LINE。",
        CODES_HINT,
        "下一次提醒：12/1（二）08:00 課程學習成果上傳 開始",
    ]


def test_an_empty_school_is_told_to_import_first(cli_env, db):
    assert remind(cli_env, "2026-11-28T09:51", "--dry-run")[2:] == [
        "沒有需要提醒的人：還沒有人綁定 LINE。",
        "請先用 portfolio-bot import 匯入學生與教師名冊，再用 portfolio-bot codes --out 綁定碼.csv 產生綁定碼。",
        "之後沒有排定的提醒：請用 portfolio-bot import 匯入新的作業期程。",
    ]


def test_no_window_open_names_every_window_opening_next(cli_env, roster):
    bind_everyone(roster)
    with roster.session() as s:
        term = s.query(Term).one()
        add_window(s, term, WindowKind.pick, "2026-12-01 00:00", "2026-12-10 17:00", audience="grades:3")
        add_window(s, term, WindowKind.receipt, "2026-12-05 00:00", "2026-12-10 17:00")
    assert remind(cli_env, "2026-11-28T09:51", "--dry-run")[2:] == [
        "沒有需要提醒的人：現在沒有開放中的期程。",
        "下一次提醒：12/1（二）08:00 課程學習成果上傳 開始、勾選 開始（高三）",
    ]


def test_an_open_window_before_its_first_send_time(cli_env, roster):
    bind_everyone(roster)
    assert remind(cli_env, "2026-12-01T07:00", "--dry-run")[2:] == [
        "沒有需要提醒的人：開放中的期程還沒到提醒時間。",
        "下一次提醒：12/1（二）08:00 課程學習成果上傳 開始",
    ]


def test_a_reminder_due_in_quiet_hours_is_shown_at_their_end(cli_env, roster):
    bind_everyone(roster)
    with roster.session() as s:
        add_window(s, s.query(Term).one(), WindowKind.performance_upload, "2026-11-28 22:00", "2026-12-20 17:00")
    assert remind({**cli_env, "QUIET_HOURS": "21:30-07:30"}, "2026-11-28T09:51", "--dry-run")[-1] == \
        "下一次提醒：11/29（日）07:30 多元表現上傳 開始"


def test_everyone_done_says_so_and_who_cannot_be_reached(cli_env, roster):
    """12/18 09:00: the 3-days-before stage (12/17 08:00) is due, and nobody has a draft or a failure."""
    with roster.session() as s:
        from bot.infra.models import Student

        f.bind(s, s.query(Student).one(), f.line_user_id("ming"))  # 林導師 is not bound, nor 陳小華:
        f.student(s, "101", seat=2, name="陳小華", student_no="1150002")
    assert remind(cli_env, "2026-12-18T09:00", "--dry-run")[2:] == [
        "所有人都已完成，沒有需要提醒的人。",
        "尚未綁定 LINE 的 1 位學生、1 位教師收不到提醒（portfolio-bot codes 可產生綁定碼）。",
        "下一次提醒：12/20（日）08:00 課程學習成果上傳 最後一天",
    ]


@pytest.fixture
def line_env(settings, line_api) -> dict[str, str]:
    env = {"DATABASE_URL": settings.database_url, "LINE_API_BASE": settings.line_api_base,
           "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "SCHOOL_TZ": "Asia/Taipei",
           "QUIET_HOURS": "21:30-07:30"}
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    return env


def test_the_real_sweep_header_is_local_time_and_a_stage_sent_is_not_sent_again(line_env, db):
    school_with_upload_window(db)  # 課程學習成果上傳 11/2 00:00 to 11/20 17:00, to 全校
    sent = remind(line_env, "2026-11-02T00:05:30.123456+00:00")
    assert sent[0] == "提醒掃描 2026-11-02 08:05"
    assert "合計：4 人，計費訊息 4 則，LINE 請求 1 次" in sent
    assert remind(line_env, "2026-11-02T09:00", "--dry-run")[2:] == [
        "沒有需要提醒的人：這個階段的提醒都已送出（每人每個階段只提醒一次）。",
        "下一次提醒：11/17（二）08:00 課程學習成果上傳 截止前 3 天",
    ]


def test_a_sweep_that_reaches_people_gives_no_reason(cli_env, roster):
    bind_everyone(roster)
    out = remind(cli_env, "2026-12-01T08:30", "--dry-run")
    assert out[0] == "提醒掃描 2026-12-01 08:30（試算，未寫入也未發送）"
    assert "合計：1 人，計費訊息 1 則，LINE 請求 1 次" in out
    assert not any(line.startswith(("沒有需要提醒的人", "所有人都已完成", "下一次提醒")) for line in out)


# -- stats: a term not loaded ------------------------------------------------------------------------
def stats(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, ["stats", *args], env=env)


@pytest.mark.parametrize("label, message", [
    ("115-1", "找不到學期 115-1 的資料；已匯入的學期：114-1、114-2。"),
    ("115", "找不到學期 115：請寫成 學年度-學期，例如 114-1；已匯入的學期：114-1、114-2。"),
])
def test_stats_for_a_term_not_loaded_names_the_loaded_terms(cli_env, db, label, message):
    with db.session() as s:
        add_term(s, 114, 2)
        add_term(s, 114, 1)
    result = stats(cli_env, "--term", label)
    assert result.exit_code == 2, (result.output, result.exception)
    assert message in result.output.splitlines()[-1]
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_stats_with_no_term_loaded_says_to_import_first(cli_env, db):
    result = stats(cli_env, "--term", "115-1")
    assert result.exit_code == 2, (result.output, result.exception)
    assert ("找不到學期 115-1 的資料；還沒有匯入任何學期，請先用 portfolio-bot import 匯入開課資料與作業期程。"
            in result.output)
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
