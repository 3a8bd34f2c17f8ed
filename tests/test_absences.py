"""`portfolio-bot teacher unavailable/absences/available`: absences hand courses to proxies for their period."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.domain.absences import AbsenceError, parse_local
from bot.domain.queries.responsibility import responsible_for
from bot.infra.models import TeacherAbsence
from tests.roles_school import TZ, build, local


@pytest.fixture
def env(cli_env) -> dict[str, str]:
    return cli_env


@pytest.fixture
def school(db):
    with db.session() as s:
        return build(s)


def run(env, *args: str):
    return CliRunner().invoke(main, ["teacher", *args], env=env, catch_exceptions=False)


def absences(db) -> list[TeacherAbsence]:
    with db.session() as s:
        return list(s.scalars(select(TeacherAbsence).order_by(TeacherAbsence.id)))


def test_unavailable_records_whole_local_days_and_names_who_covers(env, db, school):
    result = run(env, "unavailable", "T-wang", "--from", "2025-11-20", "--to", "2025-11-27", "--note", "病假")
    assert result.exit_code == 0, result.output
    assert "WANG老師（T-wang）" in result.output and "2025-11-20 00:00 至 2025-11-28 00:00" in result.output
    assert "114-1 數學 101：由 LIN老師 代理認證" in result.output
    assert "114-1 數學 102：由 LIN老師 代理認證" in result.output
    [absence] = absences(db)
    assert absence.starts_at == local("2025-11-20 00:00") and absence.ends_at == local("2025-11-28 00:00")
    assert absence.note == "病假"
    with db.session() as s:
        during = responsible_for(s, local("2025-11-27 23:59"), [school.courses["math101"]])
        after = responsible_for(s, local("2025-11-28 00:00"), [school.courses["math101"]])
    assert during[school.courses["math101"]].acting == (school.ids["lin"],)
    assert after[school.courses["math101"]].acting == (school.ids["wang"],)


def test_a_proxy_not_bound_to_line_is_passed_over_as_the_reminders_do(env, db, school):
    from bot.infra.models import LineBinding
    from bot.infra.vocab import PersonKind
    with db.session() as s:
        s.execute(LineBinding.__table__.update().where(LineBinding.person_kind == PersonKind.teacher,
                                                       LineBinding.person_id == school.ids["lin"])
                  .values(unbound_at=local("2025-11-01 00:00")))
    result = run(env, "unavailable", "T-wang", "--from", "2025-11-20", "--to", "2025-11-21")
    assert "114-1 數學 101：由 CHEN老師 代理認證" in result.output


def test_a_teacher_without_available_proxies_is_reported(env, db, school):
    result = run(env, "unavailable", "T-kao", "--from", "2025-11-20 08:00", "--to", "2025-11-20 12:00")
    assert result.exit_code == 0, result.output
    assert "114-1 國文 201：沒有可用的代理教師（未請假且已綁定 LINE）！" in result.output
    [absence] = absences(db)
    assert absence.ends_at == local("2025-11-20 12:00")


@pytest.mark.parametrize("args, reason", [
    (["T-nobody", "--from", "2025-11-20", "--to", "2025-11-21"], "找不到教師編號 T-nobody"),
    (["T-wang", "--from", "2025-11-22", "--to", "2025-11-20"], "結束時間必須晚於開始時間"),
    (["T-wang", "--from", "20/11/2025", "--to", "2025-11-21"], "時間「20/11/2025」看不懂"),
])
def test_bad_requests_change_nothing_and_say_why(env, db, school, args, reason):
    result = run(env, "unavailable", *args)
    assert result.exit_code == 2  # a bad argument: the reason, no traceback
    assert reason in result.output
    assert absences(db) == []


def test_listing_and_clearing(env, db, school):
    now = datetime.now(timezone.utc)
    today = now.astimezone(TZ).date()
    run(env, "unavailable", "T-wang", "--from", (today - timedelta(days=1)).isoformat(), "--to", today.isoformat())
    run(env, "unavailable", "T-wang", "--from", (today + timedelta(days=5)).isoformat(),
        "--to", (today + timedelta(days=6)).isoformat())
    run(env, "unavailable", "T-lin", "--from", "2020-01-01", "--to", "2020-01-02")  # long past
    listed = run(env, "absences")
    assert listed.exit_code == 0
    assert listed.output.count("T-wang") == 2 and "T-lin" not in listed.output
    assert "T-lin" in run(env, "absences", "--all").output
    assert "T-lin" not in run(env, "absences", "T-wang").output
    cleared = run(env, "available", "T-wang")
    assert cleared.exit_code == 0 and "已取消 2 筆請假" in cleared.output
    rows = [a for a in absences(db) if a.teacher_id == school.ids["wang"]]
    assert len(rows) == 1 and rows[0].ends_at <= datetime.now(timezone.utc)  # the running one ended, kept
    assert "目前沒有登記中的請假" in run(env, "absences", "T-wang").output
    assert "目前沒有進行中或未來的請假" in run(env, "available", "T-wang").output
    missing = run(env, "available", "T-wang", "--id", "999")
    assert missing.exit_code == 2 and "沒有編號 999" in missing.output


def test_parse_local_reads_dates_and_times_in_the_school_zone():
    assert parse_local("2025-11-20", TZ) == datetime(2025, 11, 19, 16, tzinfo=timezone.utc)
    assert parse_local("2025/11/20", TZ, end_of_day=True) == datetime(2025, 11, 20, 16, tzinfo=timezone.utc)
    assert parse_local("2025-11-20 08:30", TZ) == datetime(2025, 11, 20, 0, 30, tzinfo=timezone.utc)
    with pytest.raises(AbsenceError):
        parse_local("", TZ)
