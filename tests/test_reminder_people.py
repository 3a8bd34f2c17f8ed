"""Who may be reminded: teachers on leave (their proxy covers), people who block or mute,
and a worker back from downtime (one catch-up message, nothing for closed windows)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.domain.stages import StageConfig
from bot.infra.models import Outcome, ReminderMute, TeacherAbsence
from bot.infra.vocab import OutcomeStatus, PersonKind, WindowKind
from scheduler.sweep import run_sweep
from tests.helpers import texts_of
from tests.reminder_factories import add_window, build_school, fail_outcome, local

CFG = StageConfig(proxy_escalation=True)  # a school that turned PROXY_ESCALATION on (default off)


@pytest.fixture
def school(db):
    with db.session() as s:
        return build_school(s)


def sweep(services, when: str):
    return run_sweep(services, now=local(when), cfg=CFG)


def news(line_api, school, before: dict[str, int]) -> dict[str, str]:
    out = {}
    for name, uid in school.uids.items():
        got = line_api.sent_to(uid)[before.get(name, 0):]
        if got:
            assert len(got) == 1, name
            out[name] = texts_of(got[0].messages)
    return out


def counts(line_api, school) -> dict[str, int]:
    return {name: len(line_api.sent_to(uid)) for name, uid in school.uids.items()}


def absent(s, school, name: str, start: str, end: str) -> None:
    s.add(TeacherAbsence(teacher_id=school.ids[name], starts_at=local(start), ends_at=local(end), note="請假"))


# -- teachers on leave ------------------------------------------------------------------
def test_an_absent_teacher_is_escalated_at_once_to_the_first_present_proxy(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.certification, "2026-11-21 00:00", "2026-11-30 17:00")
        absent(s, school, "wang", "2026-11-20 00:00", "2026-11-24 00:00")
        absent(s, school, "lin", "2026-11-01 00:00", "2026-12-31 00:00")    # proxy 1 is away too
    sweep(services, "2026-11-21 08:05")                      # opening, long before the escalation point
    got = news(line_api, school, {})
    assert sorted(got) == ["chen"]                            # not wang (on leave), not lin (on leave)
    assert "WANG 老師（請假中）：1 件（102）" in got["chen"] and "代理認證通知" in got["chen"]
    before = counts(line_api, school)
    sweep(services, "2026-11-27 08:05")                       # wang is back; before the escalation point
    got = news(line_api, school, before)
    assert sorted(got) == ["wang"] and "代理教師" not in got["wang"]
    before = counts(line_api, school)
    sweep(services, "2026-11-28 08:05")                       # escalation: the first proxy present is chen
    got = news(line_api, school, before)
    assert sorted(got) == ["chen", "wang"] and "已同時通知代理教師：CHEN" in got["wang"]
    assert "請假中" not in got["chen"]


def test_an_absence_that_is_over_or_not_yet_begun_changes_nothing(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.certification, "2026-11-21 00:00", "2026-11-30 17:00")
        absent(s, school, "wang", "2026-11-01 00:00", "2026-11-21 08:00")   # ended just before the sweep
        absent(s, school, "wang", "2026-11-22 00:00", "2026-11-23 00:00")
    sweep(services, "2026-11-21 08:05")
    assert sorted(news(line_api, school, {})) == ["wang"]


def test_an_absent_teacher_with_no_proxy_available_is_still_told(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.certification, "2026-11-21 00:00", "2026-11-30 17:00")
        for name in ("wang", "lin", "chen"):
            absent(s, school, name, "2026-11-20 00:00", "2026-11-24 00:00")
    sweep(services, "2026-11-21 08:05")
    got = news(line_api, school, {})
    assert sorted(got) == ["wang"] and "代理教師" not in got["wang"]


# -- blocked, muted ---------------------------------------------------------------------
def test_a_user_who_blocks_the_bot_gets_nothing_until_they_follow_again(services, line_api, db, school, chat):
    with db.session() as s:
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
    amy = chat(school.line("amy"))
    amy.unfollow()                                            # the webhook marks amy's binding blocked
    sweep(services, "2026-11-02 08:05")
    assert sorted(news(line_api, school, {})) == ["ben", "cat", "dan"]
    before = counts(line_api, school)
    sweep(services, "2026-11-17 08:05")
    assert sorted(news(line_api, school, before)) == ["ben"]   # amy still has a draft, but blocked
    amy.follow()
    before = counts(line_api, school)
    sweep(services, "2026-11-20 08:05")
    got = news(line_api, school, before)
    assert sorted(got) == ["amy", "ben"] and "尚未送出認證" in got["amy"]


def test_muting_a_kind_stops_only_that_kind(services, line_api, db, school):
    with db.session() as s:
        s.add(ReminderMute(person_kind=PersonKind.student, person_id=school.ids["dan"], kind="status_change"))
        s.add(ReminderMute(person_kind=PersonKind.teacher, person_id=school.ids["lin"],
                           kind=WindowKind.certification.value))
        dan_item = s.scalars(select(Outcome).where(Outcome.student_id == school.ids["dan"])).one()
        fail_outcome(s, dan_item, "缺頁", local("2026-11-12 10:00"))
        ben_item = s.scalars(select(Outcome).where(Outcome.student_id == school.ids["ben"])).one()
        ben_item.status = OutcomeStatus.pending
        fail_outcome(s, ben_item, "重複上傳", local("2026-11-12 10:00"))
        add_window(s, school, WindowKind.outcome_upload, "2026-11-13 00:00", "2026-11-20 17:00")
        add_window(s, school, WindowKind.certification, "2026-11-02 00:00", "2026-11-13 17:00")
        s.add(Outcome(outcome_no="O-amy-2", student_id=school.ids["amy"], course_id=school.courses["101"].id,
                      title="AMY 2", status=OutcomeStatus.pending, submitted_at=local("2026-11-05 10:00")))
    sweep(services, "2026-11-12 12:00")           # status changes; certification escalate:2 (11/11) passed
    got = news(line_api, school, {})
    assert "ben" in got and "重複上傳" in got["ben"]
    assert "dan" not in got                       # muted status changes only ...
    assert sorted(got) == ["ben", "wang"]          # lin, the covering proxy, muted certification reminders:
    assert "代理教師" not in got["wang"]            # not told, and not passed over for chen
    before = counts(line_api, school)
    sweep(services, "2026-11-17 08:05")
    assert "缺頁" in news(line_api, school, before)["dan"]   # ... the upload window still reminds him


# -- downtime -----------------------------------------------------------------------------
def test_after_downtime_one_catch_up_message_and_nothing_for_closed_windows(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
        add_window(s, school, WindowKind.performance_upload, "2026-11-02 00:00", "2026-11-18 17:00",
                   audience="grades:1")
        add_window(s, school, WindowKind.certification, "2026-11-10 00:00", "2026-11-30 17:00")
    # the worker was down from before 11/02 until 11/20 10:00: opening and before:3 of the
    # upload window were missed, the performance window closed meanwhile
    report = sweep(services, "2026-11-20 10:00")
    got = news(line_api, school, {})
    assert sorted(got) == ["amy", "ben", "wang"]              # wang: certification opening, caught up
    assert "今天" not in got["amy"] and "尚未送出認證" in got["amy"]
    assert "多元表現" not in got["amy"]                        # closed window: dropped
    assert set(report.reached) == {("outcome_upload", "last_day"), ("certification", "opening")}
    assert sweep(services, "2026-11-20 10:05").people == 0


def test_muting_in_chat_through_settings_stops_that_kind_at_the_next_sweep(services, line_api, db, school, chat):
    with db.session() as s:
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
        add_window(s, school, WindowKind.performance_upload, "2026-11-02 00:00", "2026-11-20 17:00")
    amy = chat(school.line("amy"))
    answer = texts_of(amy.tap(f"a=mute&k={WindowKind.outcome_upload.value}&on=0"))
    assert answer                                             # the settings handler confirmed the change
    with db.session() as s:
        assert s.scalar(select(ReminderMute.kind).where(ReminderMute.person_id == school.ids["amy"],
                                                        ReminderMute.person_kind == PersonKind.student)) \
            == WindowKind.outcome_upload.value
    before = counts(line_api, school)
    sweep(services, "2026-11-02 08:05")
    got = news(line_api, school, before)
    assert "多元表現上傳開放" in got["amy"] and "課程學習成果上傳開放" not in got["amy"]
    assert "課程學習成果上傳開放" in got["ben"]


# -- proxies only when the regulation calls for them (PROXY_ESCALATION off, the default) ----------
def test_by_default_the_escalation_point_tells_the_teacher_again_and_the_academic_office(services, line_api, db,
                                                                                         school):
    # Seed (111 reference): proxies act 「若原任課教師已無法協助學生進行課程學習成果認證時」 — not because a
    # deadline is near. So the last days go to the teacher again and to 教學組, not to a proxy.
    from bot.infra.models import TeacherDuty
    from bot.infra.vocab import Duty

    with db.session() as s:
        add_window(s, school, WindowKind.certification, "2026-11-21 00:00", "2026-11-30 17:00")
        s.add(TeacherDuty(teacher_id=school.ids["hsu"], duty=Duty.academic))      # hsu is 教學組 too
    default = StageConfig()
    assert default.proxy_escalation is False
    run_sweep(services, now=local("2026-11-21 08:05"), cfg=default)            # opening: wang only
    before = counts(line_api, school)
    run_sweep(services, now=local("2026-11-28 08:05"), cfg=default)            # the escalation point
    got = news(line_api, school, before)
    assert sorted(got) == ["hsu", "wang"]                                      # no proxy (lin, chen)
    assert "代理教師" not in got["wang"] and "待認證" in got["wang"]
    assert "課程學習成果待認證（教學組）" in got["hsu"] and "WANG 老師：1 件（102）" in got["hsu"]


def test_by_default_a_proxy_covers_only_while_the_teacher_is_away(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.certification, "2026-11-21 00:00", "2026-11-30 17:00")
        absent(s, school, "wang", "2026-11-27 00:00", "2026-12-01 00:00")
    run_sweep(services, now=local("2026-11-28 08:05"), cfg=StageConfig())
    got = news(line_api, school, {})
    assert "lin" in got and "WANG 老師（請假中）" in got["lin"]                # away: the proxy is told
