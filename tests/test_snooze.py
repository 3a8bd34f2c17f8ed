"""A snooze on every reminder (issue #13): 「明天再提醒我」, and on the last day 「今晚 8 點再提醒」.

Snooze, then sweep again and again: nothing before the snoozed time, exactly one reminder at it (the
ledger makes it once, as it does the first), none after. Tapping costs nothing (a reply), and 設定
shows what is put off.
"""
from __future__ import annotations

import dataclasses
from datetime import time

import pytest

from bot.domain.stages import StageConfig
from bot.infra.vocab import WindowKind
from scheduler.sweep import run_sweep
from tests.helpers import texts_of
from tests.reminder_factories import add_window, build_school, local

CFG = StageConfig()  # before:3 at 08:00, last day at 08:00


@pytest.fixture
def school(db):
    with db.session() as s:
        school = build_school(s)
        # 課程學習成果上傳 until the end of Friday 11/20: reminders 11/17 (3 days before) and 11/20 (the last day)
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-21 00:00")
        return school


def sweep(services, when: str):
    return run_sweep(services, now=local(when), cfg=CFG)


def got(line_api, school, name: str) -> int:
    return len(line_api.sent_to(school.line(name)))


def buttons(message: dict) -> dict[str, str]:
    """label -> postback data of a reminder's footer buttons."""
    footer = message["contents"].get("footer") or {"contents": []}
    return {b["action"]["label"]: b["action"]["data"] for b in footer["contents"] if b["type"] == "button"}


def last_reminder(line_api, school, name: str) -> dict:
    delivered = line_api.sent_to(school.line(name))[-1]
    assert delivered.via in ("push", "multicast"), delivered
    return delivered.messages[-1]


def tap(services, chat, school, name: str, when: str, data: str) -> str:
    services.clock = lambda: local(when)
    return texts_of(chat(school.line(name)).tap(data))


def test_tomorrow_one_reminder_at_the_snoozed_time_none_before(services, line_api, school, chat, db):
    sweep(services, "2026-11-17 08:05")                           # 3 days before: amy has a draft
    offered = buttons(last_reminder(line_api, school, "amy"))
    assert list(offered) == ["明天再提醒我"]                        # not the last day: no 今晚
    answer = tap(services, chat, school, "amy", "2026-11-17 09:00", offered["明天再提醒我"])
    assert "好的，11/18（三）08:00 再提醒你：課程學習成果上傳" in answer
    assert line_api.sent_to(school.line("amy"))[-1].via == "reply"  # the tap is answered free
    count = got(line_api, school, "amy")
    for when in ("2026-11-17 12:00", "2026-11-17 20:00", "2026-11-18 07:59"):
        sweep(services, when)
        assert got(line_api, school, "amy") == count, f"nothing before the snoozed time ({when})"
    report = sweep(services, "2026-11-18 08:00")
    assert got(line_api, school, "amy") == count + 1             # at the snoozed time: one
    assert report.reached[("outcome_upload", "before:3@snooze")] == 1
    again = last_reminder(line_api, school, "amy")
    assert "課程學習成果上傳即將截止" in texts_of([again])
    assert buttons(again) == {}                                  # put off once per item and stage
    for when in ("2026-11-18 08:30", "2026-11-18 12:00", "2026-11-19 08:05"):
        sweep(services, when)
    assert got(line_api, school, "amy") == count + 1             # never twice
    sweep(services, "2026-11-20 08:05")                          # the last day's reminder as usual
    assert got(line_api, school, "amy") == count + 2


def test_tonight_on_the_last_day(services, line_api, school, chat):
    sweep(services, "2026-11-20 08:05")
    offered = buttons(last_reminder(line_api, school, "ben"))
    assert list(offered) == ["今晚 8 點再提醒"]                    # tomorrow is past the deadline
    answer = tap(services, chat, school, "ben", "2026-11-20 12:00", offered["今晚 8 點再提醒"])
    assert "11/20（五）20:00 再提醒你" in answer
    count = got(line_api, school, "ben")
    sweep(services, "2026-11-20 19:59")
    assert got(line_api, school, "ben") == count
    sweep(services, "2026-11-20 20:00")
    sweep(services, "2026-11-20 20:10")
    assert got(line_api, school, "ben") == count + 1
    assert "課程學習成果上傳即將截止" in texts_of([last_reminder(line_api, school, "ben")])


def test_no_tonight_once_quiet_hours_cover_it(services, line_api, school, settings):
    services.settings = dataclasses.replace(settings, quiet_hours=(time(19, 0), time(7, 30)))
    sweep(services, "2026-11-20 08:05")
    assert buttons(last_reminder(line_api, school, "ben")) == {}  # 20:00 is inside quiet hours


def test_a_later_stage_due_meanwhile_is_the_one_reminder(services, line_api, school, chat):
    sweep(services, "2026-11-17 08:05")
    data = buttons(last_reminder(line_api, school, "amy"))["明天再提醒我"]
    tap(services, chat, school, "amy", "2026-11-19 10:00", data.replace("202611180000", "202611200000"))
    count = got(line_api, school, "amy")
    sweep(services, "2026-11-19 12:00")
    sweep(services, "2026-11-20 07:59")
    assert got(line_api, school, "amy") == count
    report = sweep(services, "2026-11-20 08:05")                 # the snoozed time is the last day's: one
    assert got(line_api, school, "amy") == count + 1
    assert report.reached[("outcome_upload", "last_day")] >= 1
    assert ("outcome_upload", "before:3@snooze") not in report.reached


def test_twice_stale_and_foreign_buttons(services, line_api, school, chat):
    sweep(services, "2026-11-17 08:05")
    data = buttons(last_reminder(line_api, school, "amy"))["明天再提醒我"]
    tap(services, chat, school, "amy", "2026-11-17 09:00", data)
    again = tap(services, chat, school, "amy", "2026-11-17 09:05", data)
    assert "這則提醒已經延後過了（每則提醒只能延後一次），會在 11/18（三）08:00 再提醒你" in again
    late = tap(services, chat, school, "amy", "2026-11-18 09:00", data)
    assert "這個按鈕的時間（11/18（三）08:00）已經過了" in late
    # cat has nothing to do, so got no reminder: the same button from cat's account snoozes nothing
    foreign = tap(services, chat, school, "cat", "2026-11-17 09:00", data)
    assert "找不到這則提醒" in foreign
    junk = tap(services, chat, school, "amy", "2026-11-17 09:00", "a=snooze&u=x&k=y")
    assert "找不到這則提醒" in junk


def test_settings_shows_what_is_put_off(services, line_api, school, chat):
    sweep(services, "2026-11-17 08:05")
    data = buttons(last_reminder(line_api, school, "amy"))["明天再提醒我"]
    tap(services, chat, school, "amy", "2026-11-17 09:00", data)
    services.clock = lambda: local("2026-11-17 10:00")
    shown = texts_of(chat(school.line("amy")).say("設定"))
    assert "延後的提醒" in shown and "課程學習成果上傳" in shown and "11/18（三）08:00 再提醒" in shown
    services.clock = lambda: local("2026-11-18 09:00")
    assert "延後的提醒" not in texts_of(chat(school.line("amy")).say("設定"))  # its time has come


def test_a_stage_falling_due_before_the_snoozed_time_waits_for_it(services, line_api, school, chat):
    sweep(services, "2026-11-17 08:05")
    tap(services, chat, school, "amy", "2026-11-17 09:00", buttons(last_reminder(line_api, school, "amy"))["明天再提醒我"])
    count = got(line_api, school, "amy")
    # The school now reminds 2 days before at 07:00: a new stage (before:2) falls due at 11/18 07:00.
    earlier = StageConfig(days_before=2, send_time=time(7, 0))
    run_sweep(services, now=local("2026-11-18 07:30"), cfg=earlier)
    assert got(line_api, school, "amy") == count                 # snoozed until 08:00: it waits
    report = run_sweep(services, now=local("2026-11-18 08:00"), cfg=earlier)
    assert got(line_api, school, "amy") == count + 1 and report.reached[("outcome_upload", "before:2")] >= 1
    run_sweep(services, now=local("2026-11-18 09:00"), cfg=earlier)
    assert got(line_api, school, "amy") == count + 1
