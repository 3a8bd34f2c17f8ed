"""The sweep's mechanics: exactly once under reruns, crashes and concurrency; quiet hours; quota; CLI."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from bot.domain.stages import (
    LAST_DAY, OPENING, StageConfig, daily_stage, due_stage, in_quiet_hours, window_stages,
)
from bot.infra.models import OutboxMessage, ReminderLedger
from bot.infra.vocab import WindowKind
from scheduler.sweep import Recipient, group, run_sweep
from scheduler.worker import retry_outbox
from tests.helpers import texts_of
from tests.reminder_factories import TZ, add_window, local, school_with_upload_window

CFG = StageConfig()
REACHABLE = ["amy", "ben", "cat", "dan"]  # of the factory school, for an opening to 全校


@pytest.fixture
def school(db):
    return school_with_upload_window(db)


def copies(line_api, school, names=REACHABLE) -> dict[str, int]:
    return {name: len(line_api.sent_to(school.line(name))) for name in names}


def ledger_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(ReminderLedger))


# -- stages -------------------------------------------------------------------------
def test_stages_of_a_window_and_catch_up_after_downtime():
    start, end = local("2026-11-02 00:00"), local("2026-11-20 17:00")
    stages = window_stages(start, end, CFG, TZ)
    assert [(s.name, s.at) for s in stages] == [
        (OPENING, local("2026-11-02 08:00")), ("before:3", local("2026-11-17 08:00")), (LAST_DAY, local("2026-11-20 08:00"))]
    assert due_stage(stages, end, local("2026-11-02 07:59")) is None
    assert due_stage(stages, end, local("2026-11-19 10:00")).name == "before:3"
    assert due_stage(stages, end, local("2026-11-20 16:59")).name == LAST_DAY   # both passed: only the latest
    assert due_stage(stages, end, local("2026-11-20 17:00")) is None            # closed: nothing
    # a window ending at midnight: its last day is the day before
    assert window_stages(start, local("2026-11-21 00:00"), CFG, TZ)[-1].at == local("2026-11-20 08:00")
    # a short window keeps only stages after its opening
    assert [s.name for s in window_stages(local("2026-11-19 10:00"), end, CFG, TZ)] == [OPENING, LAST_DAY]
    assert daily_stage(start, end, local("2026-11-05 09:00"), CFG, TZ).name == "day:2026-11-05"
    assert daily_stage(start, end, local("2026-11-05 07:00"), CFG, TZ) is None


def test_stage_settings_from_the_environment(tmp_path):
    from bot.infra.config import Settings

    def stage_config_from_env(env):
        return Settings.from_env(env, instance_path=tmp_path).stages

    assert stage_config_from_env({}) == StageConfig(3, time(8, 0), 2)
    cfg = stage_config_from_env({"REMINDER_DAYS_BEFORE": "5", "REMINDER_SEND_TIME": "07:45", "ESCALATE_DAYS_BEFORE": "1"})
    assert cfg == StageConfig(5, time(7, 45), 1)
    for bad in ({"REMINDER_DAYS_BEFORE": "-1"}, {"REMINDER_SEND_TIME": "8am"}, {"ESCALATE_DAYS_BEFORE": "x"}):
        with pytest.raises(ValueError):
            stage_config_from_env(bad)


def test_quiet_hours_wrap_midnight():
    quiet = (time(21, 30), time(7, 30))
    assert in_quiet_hours(local("2026-11-02 22:00"), quiet, TZ)
    assert in_quiet_hours(local("2026-11-02 07:29"), quiet, TZ)
    assert not in_quiet_hours(local("2026-11-02 07:30"), quiet, TZ)
    assert not in_quiet_hours(local("2026-11-02 21:29"), quiet, TZ)


# -- exactly once -----------------------------------------------------------------
def test_rerun_sends_nothing_more_and_every_ledger_row_points_at_its_send(services, line_api, db, school):
    first = run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    assert first.people == 4
    again = run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    assert again.people == 0 and again.requests == 0
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)
    with db.session() as s:
        rows = s.scalars(select(ReminderLedger)).all()
        assert len(rows) == 4 and all(r.outbox_id is not None for r in rows)
        assert {s.get(OutboxMessage, r.outbox_id).status for r in rows} == {"sent"}


def test_crash_after_the_ledger_commit_is_delivered_once_by_retry(services, line_api, db, school, monkeypatch):
    class Crash(Exception):
        pass

    def die(outbox_ids, threads=8):
        raise Crash("the process died before calling LINE")

    monkeypatch.setattr(services.sender, "deliver_many", die)
    with pytest.raises(Crash):
        run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    monkeypatch.undo()
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 0) and ledger_count(db) == 4
    assert run_sweep(services, local("2026-11-02 08:10"), cfg=CFG).people == 0   # the ledger says: owed, not re-sent
    with db.session() as s:  # the outbox row waits for the retry job
        for row in s.scalars(select(OutboxMessage)):
            assert row.status == "pending"
            row.created_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    assert retry_outbox(services) == 1
    assert retry_outbox(services) == 0
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)


def test_lost_answer_after_line_accepted_is_retried_with_the_same_key(services, line_api, db, school):
    line_api.fail_next("multicast", 500, exception=True)   # LINE delivers, the answer is lost
    report = run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    assert report.undelivered == 0
    calls = line_api.calls("multicast")
    assert len(calls) == 2 and calls[-1].status == 409       # the retry was told "already accepted"
    assert calls[0].headers["X-Line-Retry-Key"] == calls[1].headers["X-Line-Retry-Key"]
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)
    with db.session() as s:
        assert s.scalars(select(OutboxMessage.status)).all() == ["sent"]


def test_crash_between_send_and_outbox_update_then_retry_gets_409(services, line_api, db, school, monkeypatch):
    real_finish = services.sender._finish_many

    def die_after_send(outcomes):
        raise RuntimeError("died after LINE accepted, before recording it")

    monkeypatch.setattr(services.sender, "_finish_many", die_after_send)
    with pytest.raises(RuntimeError):
        run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    monkeypatch.setattr(services.sender, "_finish_many", real_finish)
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)       # LINE has it ...
    with db.session() as s:                                               # ... the outbox does not know
        assert s.scalars(select(OutboxMessage.status)).all() == ["pending"]
    with db.session() as s:
        for row in s.scalars(select(OutboxMessage)):
            row.created_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    assert retry_outbox(services) == 1
    calls = line_api.calls("multicast")
    assert calls[0].status == 200 and {c.status for c in calls[1:]} == {409} and len(calls) >= 2
    assert len({c.headers["X-Line-Retry-Key"] for c in calls}) == 1
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)
    assert run_sweep(services, local("2026-11-02 09:00"), cfg=CFG).people == 0


def test_two_workers_at_once_send_each_reminder_once(services, line_api, db, school, settings):
    import os
    from bot.infra.store import make_store
    from tests.reminder_factories import sweep_concurrently

    # a shared lock with Redis; each its own in-process store (no lock between them) otherwise
    stores = [make_store(os.environ.get("REDIS_URL")) for _ in range(2)]
    reports = sweep_concurrently(settings, stores, local("2026-11-02 08:05"), CFG)
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)
    assert sum(r.people for r in reports) == 4 and ledger_count(db) == 4


def test_the_unique_ledger_stops_a_second_sweep_that_skips_the_lock(services, line_api, db, school, monkeypatch):
    """Even without the lock (second line of defence), a person already in the ledger is not sent again."""
    import scheduler.sweep as sweep_module

    monkeypatch.setattr(sweep_module.ledger, "held", lambda session, triples: set())  # a stale view of the ledger
    run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    report = run_sweep(services, local("2026-11-02 08:06"), cfg=CFG)
    assert report.people == 0 and report.requests == 0
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1) and ledger_count(db) == 4


def test_a_reminder_claimed_meanwhile_leaves_that_person_alone_and_sends_the_rest(services, line_api, db, school,
                                                                                   monkeypatch):
    """Another sweep claimed amy's reminder after this one read the ledger: this sweep leaves amy to it and
    sends everyone else once (on PostgreSQL its plain INSERT is refused and the claim made again with
    ON CONFLICT DO NOTHING, which names amy's row)."""
    import scheduler.sweep as sweep_module
    from bot.domain import ledger
    from scheduler.rules import SweepContext, collect

    now = local("2026-11-02 08:05")
    with db.session() as s:
        amy = [i.key for i in collect(s, SweepContext(now=now, cfg=CFG, tz=TZ)) if i.line_user_id == school.line("amy")]
        assert len(amy) == 1
        assert ledger.claim(s, amy, now)  # what the other sweep wrote
    monkeypatch.setattr(sweep_module.ledger, "held", lambda session, triples: set())  # read before that
    report = run_sweep(services, now, cfg=CFG)
    assert copies(line_api, school) == {"amy": 0, "ben": 1, "cat": 1, "dan": 1}
    assert report.people == 3 and ledger_count(db) == 4
    with db.session() as s:  # amy's row is the other sweep's (no outbox row); the others point at what was sent
        rows = dict(s.execute(select(ReminderLedger.person_id, ReminderLedger.outbox_id)).all())
        assert rows[amy[0][1]] is None and all(rows[pid] for pid in rows if pid != amy[0][1])
        assert s.scalar(select(func.count()).select_from(OutboxMessage)
                        .where(OutboxMessage.status != "sent")) == 0


# -- quiet hours, quota, grouping ----------------------------------------------------
def test_quiet_hours_hold_then_release(services, line_api, db, school):
    services.settings = services.settings.with_(quiet_hours=(time(7, 0), time(9, 0)))
    report = run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    assert report.held == 4 and report.people == 0
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 0) and ledger_count(db) == 0
    assert "安靜時段" in "\n".join(report.lines())
    report = run_sweep(services, local("2026-11-02 09:00"), cfg=CFG)
    assert report.people == 4 and copies(line_api, school) == dict.fromkeys(REACHABLE, 1)


def test_quota_short_sends_the_most_urgent_first_and_tells_staff_once_a_day(services, line_api, db, school):
    with db.session() as s:  # wang has a certification due sooner than the students' upload reminders
        add_window(s, school, WindowKind.certification, "2026-11-01 00:00", "2026-11-10 17:00")
    # The school's own budget is ample (its month is planned in test_budget.py), but LINE has only 3
    # messages left: the channel's quota was spent elsewhere (announcements from the OA manager).
    services.settings = services.settings.with_(line_monthly_budget=1000)
    line_api.monthly_limit = 3
    report = run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    assert report.quota_remaining == 3 and report.people == 3 and report.deferred == 3
    hsu = texts_of([m for d in line_api.sent_to(school.line("hsu")) for m in d.messages])
    assert "額度不足" in hsu and "3 人的提醒暫緩" in hsu
    assert len(line_api.sent_to(school.line("wang"))) == 1            # soonest deadline (11/10) first
    assert sum(copies(line_api, school).values()) == 1               # one of the four students
    assert ledger_count(db) == 3
    line_api.monthly_limit = 5                                        # the school raised its plan
    report = run_sweep(services, local("2026-11-02 10:00"), cfg=CFG)
    assert report.people == 2 and report.deferred == 1 and report.staff_notified == 0   # told once today
    assert len(line_api.sent_to(school.line("hsu"))) == 1
    line_api.monthly_limit = None
    assert run_sweep(services, local("2026-11-02 11:00"), cfg=CFG).people == 1
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)


def test_line_monthly_limit_during_send_keeps_the_reminder_for_later(services, line_api, db, school, monkeypatch):
    from bot.infra.sender import Quota
    monkeypatch.setattr(services.sender, "quota", lambda: Quota(limit=None, used=0))  # the quota read was wrong
    line_api.monthly_limit = 0
    report = run_sweep(services, local("2026-11-02 08:05"), cfg=CFG)
    assert report.deferred == 4 and ledger_count(db) == 0
    services.store.delete("line:monthly-limit-reached")
    line_api.monthly_limit = None
    assert run_sweep(services, local("2026-11-02 09:00"), cfg=CFG).people == 4
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)


def test_identical_messages_go_by_multicast_in_chunks_of_500():
    from bot.infra.vocab import PersonKind
    from messages.reminders import Section
    from scheduler.rules.base import Item

    def person(n: int, text: str) -> Recipient:
        item = Item("r", "window:1", "opening", PersonKind.student, n, f"U{n:032x}", Section(text, ("x",)))
        return Recipient(item.line_user_id, PersonKind.student, [item])

    recipients = {r.line_user_id: r for r in [person(n, "same") for n in range(1201)] + [person(5000, "other")]}
    chunks = group(recipients)
    assert sorted(len(members) for _, members in chunks) == [1, 201, 500, 500]


def test_dry_run_writes_and_sends_nothing(services, line_api, db, school):
    report = run_sweep(services, local("2026-11-02 08:05"), cfg=CFG, dry_run=True)
    assert report.people == 4 and report.counted == 4 and report.requests == 1
    assert ledger_count(db) == 0 and not line_api.calls("multicast") and not line_api.calls("push")


def test_remind_command_prints_people_and_counted_messages(services, line_api, db, school, settings, monkeypatch):
    from bot.cli import main
    env = {"DATABASE_URL": settings.database_url, "LINE_API_BASE": settings.line_api_base,
           "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "QUIET_HOURS": "21:30-07:30"}
    if settings.redis_url:
        env["REDIS_URL"] = settings.redis_url
    runner = CliRunner()
    dry = runner.invoke(main, ["remind", "--now", "2026-11-02T08:05", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "outcome_upload" in dry.output and "opening" in dry.output and "4 人" in dry.output
    assert "合計：4 人，計費訊息 4 則" in dry.output and "試算" in dry.output
    assert ledger_count(db) == 0 and not line_api.calls("multicast")
    real = runner.invoke(main, ["remind", "--now", "2026-11-02T08:05+08:00"], env=env)
    assert real.exit_code == 0 and "計費訊息 4 則" in real.output
    assert copies(line_api, school) == dict.fromkeys(REACHABLE, 1)
    bad = runner.invoke(main, ["remind", "--now", "tomorrow"], env=env)
    assert bad.exit_code != 0 and "ISO-8601" in bad.output
    bad = runner.invoke(main, ["remind", "--send-time", "8am"], env=env)
    assert bad.exit_code != 0 and "HH:MM" in bad.output
    bad = runner.invoke(main, ["remind", "--dry-run"], env={**env, "REMINDER_DAYS_BEFORE": "zero"})
    assert bad.exit_code != 0 and "REMINDER_DAYS_BEFORE" in bad.output


def test_remind_command_stage_options_override_the_environment(services, line_api, db, school, settings):
    from bot.cli import main
    env = {"DATABASE_URL": settings.database_url, "LINE_API_BASE": settings.line_api_base,
           "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "QUIET_HOURS": "21:30-07:30",
           "REMINDER_DAYS_BEFORE": "3"}
    runner = CliRunner()
    # 11/14 09:00: with 3 days before (11/17) only the opening is due; with 6 days before, 11/14 08:00 is
    out = runner.invoke(main, ["remind", "--now", "2026-11-14T09:00", "--dry-run"], env=env).output
    assert "opening" in out and "before:" not in out
    out = runner.invoke(main, ["remind", "--now", "2026-11-14T09:00", "--dry-run", "--days-before", "6"],
                        env=env).output
    assert "before:6" in out and "opening" not in out and "合計：2 人" in out     # amy's draft, ben's failure
    out = runner.invoke(main, ["remind", "--now", "2026-11-14T08:30", "--dry-run", "--days-before", "6",
                               "--send-time", "09:00"], env=env).output
    assert "opening" in out and "before:" not in out                                # not 09:00 yet


def test_rules_collected_concurrently_give_the_same_items_in_the_same_order(db, school):
    """On PostgreSQL the sweep runs the rules two at a time, each in a read-only session of its own
    (`collect(..., reading)`); what they find, and its order, is what one session finds rule by rule."""
    from scheduler.rules import SweepContext, collect

    with db.session() as s:
        add_window(s, school, WindowKind.performance_upload, "2026-11-02 00:00", "2026-11-20 17:00")
    ctx = SweepContext(now=local("2026-11-17 08:05"), cfg=CFG, tz=TZ)
    with db.session() as s:
        one_by_one = [(i.key, i.section) for i in collect(s, ctx)]
        concurrently = [(i.key, i.section) for i in collect(s, ctx, db.reading)]
    assert {key[2] for key, _ in one_by_one} == {"outcome_upload", "performance_upload"}
    assert concurrently == one_by_one


def test_held_names_every_ledger_key_of_the_asked_triples_and_no_other(db):
    """`ledger.held`: on PostgreSQL the triples go as one JSON document joined by hash (a row-value IN list
    of a sweep's 7,000 triples was compared with every ledger row); the answer is the same on both."""
    from bot.domain import ledger

    now = local("2026-11-17 08:05")
    keys = [("student", pid, "status_change", f"outcome_event:{pid}", "once") for pid in range(1, 301)]
    keys += [("student", pid, "pick", "window:4", "before:3") for pid in range(1, 51)]
    keys += [("teacher", 7, "pick_homeroom", "window:4", "before:3"), ("student", 1, "pick", "window:4", "opening")]
    with db.session() as s:
        ledger.claim(s, keys, now)
        asked = {("status_change", f"outcome_event:{pid}", "once") for pid in range(1, 301, 2)}
        asked |= {("pick", "window:4", "before:3"), ("status_change", "outcome_event:999", "once")}
        want = {k for k in keys if k[2:] in asked}
        assert ledger.held(s, asked) == want and len(want) == 150 + 50
        assert ledger.held(s, set()) == set()


def test_claim_sends_writes_every_key_as_given_and_names_those_already_held(db):
    """`ledger.claim_sends`: on PostgreSQL the rows go in by COPY, whose text format would read a tab, a
    newline, a backslash or ``\\N`` in a value as the end of a field or row, an escape, or NULL; each key
    comes back as it was given and points at its outbox row. Claimed again by another sweep (its own
    outbox rows), every key is already held."""
    from bot.domain import ledger

    now = local("2026-11-17 08:05")
    odd = ["tab\there", "line\nbreak", "cr\rhere", "back\\slash", "\\N", "\\.", "引號\"與，全形"]
    with db.session() as s:
        outbox = ledger.enqueue(s, [("push", ["U" + "0" * 32], [{"type": "text", "text": "提醒"}])] * 3,
                                "reminder", now)
        outbox_of = {("student", pid, "status_change", scope, "once"): outbox[pid % 2]
                     for pid, scope in enumerate(odd, start=1)}
        outbox_of[("teacher", 7, "pick_homeroom", "window:4", "before:3")] = outbox[0]
        assert ledger.claim_sends(s, outbox_of, now) == set()
    with db.session() as s:
        rows = s.execute(select(ReminderLedger.person_kind, ReminderLedger.person_id, ReminderLedger.rule,
                                ReminderLedger.scope, ReminderLedger.stage, ReminderLedger.outbox_id,
                                ReminderLedger.created_at, ReminderLedger.skipped)).all()
        assert {(k.value, p, r, sc, g): o for k, p, r, sc, g, o, _, _ in rows} == outbox_of
        assert {(at.astimezone(timezone.utc), skipped) for *_, at, skipped in rows} == {(now, None)}
        assert ledger.held(s, {k[2:] for k in outbox_of}) == set(outbox_of)
    with db.session() as s:
        assert ledger.claim_sends(s, dict.fromkeys(outbox_of, outbox[2]), now) == set(outbox_of)
    assert ledger_count(db) == len(odd) + 1


def test_retry_keys_are_distinct_version_4_uuids():
    """A sweep's outbox rows take their retry keys a batch at a time (`ledger.retry_keys`); LINE wants
    each as a UUID (X-Line-Retry-Key), written as ``str(uuid.uuid4())`` writes one."""
    import uuid

    from bot.domain import ledger

    keys = ledger.retry_keys(5000)
    assert len(set(keys)) == 5000 and ledger.retry_keys(0) == []
    for key in keys:
        parsed = uuid.UUID(key)
        assert (parsed.version, parsed.variant, str(parsed)) == (4, uuid.RFC_4122, key)
