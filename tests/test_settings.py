"""One Settings holds every setting; a value the bot cannot use stops start-up, naming the variable."""
from __future__ import annotations

from datetime import time

import pytest
from click.testing import CliRunner

from bot.infra.config import Settings, SettingsError, StageConfig
from bot.infra.vocab import Duty, ReceiptItem

BAD = [
    ("SCHOOL_TZ", "Taipei/Nowhere"),
    ("QUIET_HOURS", "22-7"),
    ("REMINDER_SEND_TIME", "8am"),
    ("REMINDER_DAYS_BEFORE", "0"),
    ("ESCALATE_DAYS_BEFORE", "sixty"),
    ("PROXY_ESCALATION", "maybe"),
    ("OBJECTION_ANSWER_DAYS", "-3"),
    ("OUTCOME_UPLOADS_PER_TERM", "0"),
    ("PERFORMANCE_UPLOADS_PER_TERM", "ten"),
    ("PERFORMANCE_UPLOADS_PER_YEAR", "0"),
    ("RETENTION_YEARS", "6"),          # seed: 「保存○年(以1年至5年間為宜)」
    ("OBJECTION_OFFICES", "幹部=訓育組"),
    ("OBJECTION_OFFICES", "幹部經歷=輔導室"),
]


def test_every_setting_is_read_once_into_settings(tmp_path):
    settings = Settings.from_env({
        "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "LINE_API_BASE": "http://line.test/",
        "DATABASE_URL": "sqlite:///x.sqlite3", "REDIS_URL": "redis://r:6379/0", "SCHOOL_TZ": "Asia/Tokyo",
        "QUIET_HOURS": "22:00-06:30", "PLATFORM_URL": " https://p.test ", "REMINDER_SEND_TIME": "07:45",
        "REMINDER_DAYS_BEFORE": "5", "ESCALATE_DAYS_BEFORE": "1", "PROXY_ESCALATION": "on",
        "OBJECTION_ANSWER_DAYS": "5", "OUTCOME_UPLOADS_PER_TERM": "4", "PERFORMANCE_UPLOADS_PER_TERM": "8",
        "PERFORMANCE_UPLOADS_PER_YEAR": "16", "RETENTION_YEARS": "3",
        "OBJECTION_OFFICES": "幹部經歷＝註冊組；多元表現=管理者"}, instance_path=tmp_path)
    assert (settings.channel_secret, settings.channel_access_token, settings.line_api_base) == ("s", "t", "http://line.test")
    assert settings.redis_url == "redis://r:6379/0" and settings.school_tz == "Asia/Tokyo" and not settings.local_mode
    assert settings.quiet_hours == (time(22, 0), time(6, 30)) and settings.platform_url == "https://p.test"
    assert settings.stages == StageConfig(days_before=5, send_time=time(7, 45), escalate_days_before=1,
                                          proxy_escalation=True)
    assert settings.objection_answer_days == 5 and settings.school.outcome_uploads_per_term == 4
    assert (settings.school.performance_uploads_per_term, settings.school.performance_uploads_per_year,
            settings.school.retention_years) == (8, 16, 3)
    assert [settings.school.office(i) for i in ReceiptItem] == [Duty.registry, Duty.registry, Duty.academic,
                                                                 Duty.admin]
    defaults = Settings.from_env({}, instance_path=tmp_path)
    assert defaults.stages == StageConfig() and defaults.local_mode and not defaults.stages.proxy_escalation
    assert defaults.objection_answer_days == 3 and defaults.school.outcome_uploads_per_term == 6
    # 臺南二中: 「每學期至多10件，每學年其件數至多20件」, 「已畢業學生之學習歷程檔案資料，封存 2年」,
    # and 附表一's offices (幹部經歷、多元表現: 訓育組; 修課紀錄: 註冊組; 課程學習成果: 教學組)
    assert (defaults.school.performance_uploads_per_term, defaults.school.performance_uploads_per_year,
            defaults.school.retention_years) == (10, 20, 2)
    assert [defaults.school.office(i) for i in ReceiptItem] == [Duty.activities, Duty.registry, Duty.academic,
                                                                 Duty.activities]
    assert defaults.database_url == f"sqlite:///{tmp_path.resolve() / 'portfolio.sqlite3'}"


@pytest.mark.parametrize("name, value", BAD)
def test_a_bad_value_names_its_variable(name, value, tmp_path):
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value}, instance_path=tmp_path)


@pytest.mark.parametrize("name, value", BAD)
def test_the_web_app_does_not_start_with_a_bad_value(name, value, monkeypatch, migrated):
    from bot import create_app

    monkeypatch.setenv("DATABASE_URL", migrated)
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=name):
        create_app()


@pytest.mark.parametrize("command", [["stats"], ["objections", "list"], ["teacher", "absences"],
                                     ["remind", "--dry-run"], ["db", "upgrade"]])
def test_every_command_stops_on_a_bad_value_with_its_name(command, cli_env):
    from bot.cli import main

    result = CliRunner().invoke(main, command, env={**cli_env, "SCHOOL_TZ": "Taipei/Nowhere"})
    assert result.exit_code == 1 and "SCHOOL_TZ" in result.output and "Traceback" not in result.output


def test_the_cli_builds_the_services_once_for_a_command(cli_env, monkeypatch):
    """One Runtime per invocation: settings read once, Services built once and closed at the end."""
    from bot.cli import main
    from bot.infra.services import Services

    built, closed = [], []
    real_build, real_close = Services.build, Services.close

    def build(settings):
        built.append(settings)
        return real_build(settings)

    def close(self):
        closed.append(self)
        real_close(self)

    monkeypatch.setattr(Services, "build", staticmethod(build))
    monkeypatch.setattr(Services, "close", close)
    result = CliRunner().invoke(main, ["teacher", "absences"], env=cli_env)
    assert result.exit_code == 0, result.output
    assert len(built) == 1 and len(closed) == 1


def test_a_term_limit_above_the_year_limit_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="PERFORMANCE_UPLOADS_PER_TERM must not exceed"):
        Settings.from_env({"PERFORMANCE_UPLOADS_PER_TERM": "25"}, instance_path=tmp_path)
