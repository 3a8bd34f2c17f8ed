"""The month's message budget (LINE_MONTHLY_BUDGET, else LINE's quota): the sweep plans the rest of
the month, skips the least needed first (window openings before last-day reminders) and records
what it skipped, so nothing is sent twice or weighed again; `remind --dry-run` shows the forecast."""
from __future__ import annotations

from collections import Counter
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.domain.queries.deliveries import STATUS_LABELS, deliveries
from bot.domain.stages import StageConfig
from bot.infra.config import Settings, SettingsError
from bot.infra.models import ReminderLedger
from bot.infra.services import Services
from bot.infra.vocab import PersonKind
from messages import reminders
from scheduler.budget import plan, tier, tier_of
from scheduler.rules import Item
from scheduler.sweep import Recipient, run_sweep
from tests.reminder_factories import local, school_with_upload_window

CFG = StageConfig()


@pytest.fixture
def school(db):
    return school_with_upload_window(db)


def at(services: Services, text: str) -> datetime:
    """Sweep as the worker would at this moment: its clock says so too (outbox rows are dated by it)."""
    moment = local(text)
    services.clock = lambda: moment
    return moment


def budgeted(services: Services, budget: int | None) -> Services:
    return Services(settings=services.settings.with_(line_monthly_budget=budget), db=services.db,
                    store=services.store, sender=services.sender, clock=services.clock)


def item(stage: str, uid: str, rule: str = "outcome_upload") -> Item:
    return Item(rule, "window:1", stage, PersonKind.student, int(uid[1:], 16), uid,
                reminders.receipt_todo("115-1", "11/20", stage == "last_day"), local("2026-11-20 17:00"))


def test_tiers_put_openings_last_and_last_days_first():
    assert [tier(item(s, "U1")) for s in ("last_day", "escalate:2", "before:3", "day:2026-11-03", "opening")] \
        == [0, 0, 1, 2, 3]
    assert tier(item("once", "U1", rule="status_change")) == 1  # news of a 認證失敗: the student must act
    assert tier(item("before:3", "U1", rule="certification_office")) == 0


def test_plan_keeps_what_the_month_can_pay_for_once_later_needs_are_set_aside():
    people = {f"U{n}": Recipient(f"U{n}", PersonKind.student, [item(stage, f"U{n}")])
              for n, stage in enumerate(["opening", "opening", "before:3", "before:3", "last_day"], start=1)}
    # 4 messages left; later this month 2 last-day reminders (tier 0) must still go out
    kept, skipped = plan(people, 4, Counter({0: 2}))
    assert sorted(kept) == ["U3", "U5"] and sorted(skipped) == ["U1", "U2", "U4"]
    assert [tier_of(people[u]) for u in sorted(kept)] == [1, 0]
    kept, skipped = plan(people, 10, Counter({0: 2, 1: 3}))  # enough for everyone
    assert len(kept) == 5 and not skipped


def test_the_budget_setting():
    assert Settings.from_env({"LINE_MONTHLY_BUDGET": "3000"}, instance_path="/tmp").line_monthly_budget == 3000
    assert Settings.from_env({}, instance_path="/tmp").line_monthly_budget is None  # LINE's quota decides
    with pytest.raises(SettingsError, match="LINE_MONTHLY_BUDGET"):
        Settings.from_env({"LINE_MONTHLY_BUDGET": "lots"}, instance_path="/tmp")


def test_a_short_month_skips_openings_keeps_every_last_day_reminder_and_never_goes_over(services, line_api, db,
                                                                                        school):
    svc = budgeted(services, 3)
    at(svc, "2026-11-02 08:05")
    preview = run_sweep(svc, svc.clock(), dry_run=True, cfg=CFG)
    text = "\n".join(preview.lines())
    # opening to 4 people; later: before:3 (amy, ben) and last day (amy, ben) = 4 at most
    assert "本月訊息預算 3 則：已用 0，本次 0，本月其後預估至多 4（最後一天 2、截止前與認證消息 2）" in text
    assert "預算不足：本次略過 4 人（開放通知 4）" in text
    opening = run_sweep(svc, svc.clock(), cfg=CFG)
    assert opening.counted == 0 and opening.month.skipped == Counter({3: 4})
    assert line_api.calls("push") == [] and line_api.calls("multicast") == []
    with db.session() as s:
        rows = s.execute(select(ReminderLedger.stage, ReminderLedger.skipped, ReminderLedger.outbox_id)).all()
    assert sorted(rows) == [("opening", "budget", None)] * 4
    with db.session() as s:  # 提醒紀錄 in the console says so
        assert {(d.stage, STATUS_LABELS[d.status]) for d in deliveries(s)} == {("opening", "本月預算不足，略過")}
    assert run_sweep(svc, svc.clock(), cfg=CFG).month is None  # skipped for good: nothing left to weigh

    at(svc, "2026-11-17 08:05")  # before:3: one of amy/ben fits beside the two last-day reminders
    before = run_sweep(svc, svc.clock(), cfg=CFG)
    assert (before.counted, sum(before.month.skipped.values())) == (1, 1)
    at(svc, "2026-11-20 08:05")  # last day: both still owe, both are told
    last = run_sweep(svc, svc.clock(), cfg=CFG)
    assert last.counted == 2 and not last.month.skipped
    assert last.month.used == 1 and last.month.left == 0
    for name in ("amy", "ben"):
        assert line_api.sent_to(school.line(name))[-1].via in ("push", "multicast")
    with db.session() as s:
        sent_last = s.scalars(select(ReminderLedger.person_id).where(ReminderLedger.stage == "last_day",
                                                                      ReminderLedger.skipped.is_(None))).all()
    assert sorted(sent_last) == sorted([school.ids["amy"], school.ids["ben"]])
    assert before.counted + last.counted == 3  # the month's budget, not one more


def test_without_a_setting_the_channel_quota_is_the_budget_and_unlimited_means_no_plan(services, line_api, school):
    at(services, "2026-11-02 08:05")
    assert run_sweep(services, services.clock(), dry_run=True, cfg=CFG).month is None  # quota type "none"
    line_api.monthly_limit = 10
    plan_ = run_sweep(services, services.clock(), dry_run=True, cfg=CFG).month
    assert plan_.budget == 10 and sum(plan_.now.values()) == 4 and not plan_.skipped


def test_remind_dry_run_shows_the_month_against_the_budget(cli_env, services, line_api, school, settings):
    from bot.cli import main

    env = {**cli_env, "LINE_CHANNEL_SECRET": settings.channel_secret, "LINE_CHANNEL_ACCESS_TOKEN": "t",
           "LINE_API_BASE": settings.line_api_base, "LINE_MONTHLY_BUDGET": "3"}
    out = CliRunner().invoke(main, ["remind", "--dry-run", "--now", "2026-11-02T08:05"], env=env)
    assert out.exit_code == 0, out.output
    assert "本月訊息預算 3 則" in out.output and "預算不足：本次略過 4 人（開放通知 4）" in out.output


def test_the_forecast_says_plainly_when_the_month_is_spent_or_will_run_short():
    from scheduler.budget import MonthPlan

    assert MonthPlan(100, 40, Counter({1: 10}), later=Counter({0: 20})).lines()[-1] == "預估月底剩餘：30 則"
    short = MonthPlan(100, 40, Counter({1: 10}), later=Counter({0: 20, 3: 80})).lines()[-1]
    assert short.startswith("預估月底超出：50 則") and "最後一天的提醒優先" in short
    spent = MonthPlan(100, 100, later=Counter({0: 5})).lines()[-1]
    assert spent.startswith("本月預算已用完") and "LINE_MONTHLY_BUDGET" in spent
