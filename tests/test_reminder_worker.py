"""`portfolio-bot worker`: its jobs, and a bad stage setting stops it at once with the reason."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from apscheduler.schedulers.background import BackgroundScheduler
from click.testing import CliRunner

from scheduler.worker import add_jobs


def test_a_bad_stage_setting_stops_the_worker_before_it_starts(settings):
    from bot.cli import main
    env = {"DATABASE_URL": settings.database_url, "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
           "REMINDER_SEND_TIME": "8am"}
    result = CliRunner().invoke(main, ["worker"], env=env)
    assert result.exit_code == 1 and "REMINDER_SEND_TIME" in result.output and "08:00" in result.output


def test_the_worker_sweeps_and_deems_at_start_then_on_schedule(services):
    scheduler = add_jobs(BackgroundScheduler(timezone=services.settings.tz), services)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {"outbox", "sweep", "deemed", "retention"}
    soon = datetime.now(timezone.utc) + timedelta(seconds=30)
    assert jobs["sweep"].next_run_time <= soon and jobs["deemed"].next_run_time <= soon   # catch up at start
    assert str(jobs["sweep"].trigger) == "interval[0:05:00]"
    assert "hour='0'" in str(jobs["deemed"].trigger) and "hour='3'" in str(jobs["retention"].trigger)
