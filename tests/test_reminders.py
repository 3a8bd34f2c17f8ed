"""Reminder rules over a term of a small school: who is reached at each stage, and who is not."""
from __future__ import annotations

import pytest

from bot.domain.stages import StageConfig
from bot.infra.vocab import OutcomeStatus, WindowKind
from scheduler.sweep import run_sweep
from tests.helpers import texts_of
from tests.reminder_factories import add_outcome, add_receipts, add_window, build_school, fail_outcome, local

CFG = StageConfig(proxy_escalation=True)  # a school that turned PROXY_ESCALATION on (default off)


@pytest.fixture
def school(db):
    with db.session() as s:
        return build_school(s)


def sweep(services, when: str, **kw):
    return run_sweep(services, now=local(when), cfg=CFG, **kw)


def reached(line_api, school, since: dict | None = None) -> dict[str, str]:
    """name -> all text that person's LINE account received (since the given counts)."""
    out = {}
    for name, uid in school.uids.items():
        got = line_api.sent_to(uid)[(since or {}).get(name, 0):]
        if got:
            out[name] = texts_of([m for d in got for m in d.messages])
    return out


def counts(line_api, school) -> dict[str, int]:
    return {name: len(line_api.sent_to(uid)) for name, uid in school.uids.items()}


def test_outcome_upload_window_over_time(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
    assert sweep(services, "2026-11-02 07:59").people == 0          # before the send time
    report = sweep(services, "2026-11-02 08:05")                     # opening: everyone reachable
    got = reached(line_api, school)
    assert sorted(got) == ["amy", "ben", "cat", "dan"]               # not eve/blocked, fay/unbound, gus/left, hal/muted
    assert "課程學習成果上傳開放" in got["amy"] and "11/20（五）17:00" in got["amy"]
    assert report.reached[("outcome_upload", "opening")] == 4 and report.counted == 4
    assert report.requests == 1 and line_api.calls("multicast")      # one identical message: one multicast
    assert sweep(services, "2026-11-02 12:00").people == 0           # rerun: nothing more
    before = counts(line_api, school)
    sweep(services, "2026-11-17 08:05")                              # 3 days before: only those with work
    got = reached(line_api, school, before)
    assert sorted(got) == ["amy", "ben"]
    assert "1 件成果尚未送出認證" in got["amy"] and "缺少心得" in got["ben"]
    before = counts(line_api, school)
    assert sweep(services, "2026-11-18 08:05").people == 0
    sweep(services, "2026-11-20 08:05")                              # the last day
    assert sorted(reached(line_api, school, before)) == ["amy", "ben"]
    assert sweep(services, "2026-11-20 17:00").people == 0           # closed


def test_certification_tells_teacher_then_proxy_from_the_escalation_point(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.certification, "2026-11-21 00:00", "2026-11-30 17:00")
    sweep(services, "2026-11-21 08:05")                              # opening: only teachers with pending items
    got = reached(line_api, school)
    assert sorted(got) == ["wang"]
    assert "1 件課程學習成果待認證" in got["wang"] and "102" in got["wang"] and "代理" not in got["wang"]
    assert "已等待 10 天" in got["wang"]                           # submitted 11/10 09:00, 10 d 23 h
    before = counts(line_api, school)
    sweep(services, "2026-11-27 08:05")                              # 3 days before: still the teacher only
    assert sorted(reached(line_api, school, before)) == ["wang"]
    before = counts(line_api, school)
    sweep(services, "2026-11-28 08:05")                              # 2 days before: escalation
    got = reached(line_api, school, before)
    assert sorted(got) == ["lin", "wang"]                            # proxy 1 only, not chen
    assert "已同時通知代理教師：LIN" in got["wang"]
    assert "代理教師" in got["lin"] and "WANG 老師：1 件（102）" in got["lin"]


def test_certification_skips_an_unreachable_proxy_for_the_next(services, line_api, db, school):
    from bot.infra.models import LineBinding
    with db.session() as s:
        s.query(LineBinding).filter_by(line_user_id=school.line("lin")).update({"blocked": True})
        add_window(s, school, WindowKind.certification, "2026-11-21 00:00", "2026-11-30 17:00")
    sweep(services, "2026-11-29 09:00")                              # catch-up after downtime: one message only
    got = reached(line_api, school)
    assert sorted(got) == ["chen", "wang"] and "CHEN" in got["wang"]
    assert len(line_api.sent_to(school.line("wang"))) == 1


def test_performance_upload_reaches_only_students_without_one_before_closing(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.performance_upload, "2026-11-02 00:00", "2026-11-20 17:00",
                   audience="grades:1")
    sweep(services, "2026-11-02 09:00")
    assert sorted(reached(line_api, school)) == ["amy", "ben", "cat", "dan"]   # 高一 only; hal is 201
    before = counts(line_api, school)
    sweep(services, "2026-11-20 08:00")
    got = reached(line_api, school, before)
    assert sorted(got) == ["amy", "ben", "dan"] and "還沒有上傳任何多元表現" in got["amy"]  # cat has one


def test_pick_reaches_students_with_unpicked_items_and_their_homeroom_teacher(services, line_api, db, school):
    with db.session() as s:
        add_outcome(s, school, "amy", "101", OutcomeStatus.certified)            # certified, not picked
        add_window(s, school, WindowKind.pick, "2026-12-01 00:00", "2026-12-10 17:00")
    sweep(services, "2026-12-01 08:00")
    got = reached(line_api, school)
    assert sorted(got) == ["amy"] and "勾選開放" in got["amy"]                # no homeroom list at opening
    before = counts(line_api, school)
    sweep(services, "2026-12-07 08:00")
    got = reached(line_api, school, before)
    assert sorted(got) == ["amy", "wang"]
    assert "課程學習成果但還沒有勾選" in got["amy"]
    assert "101 班尚未勾選的同學（1 人）" in got["wang"] and "01 AMY（成果）" in got["wang"]


def test_pick_homeroom_list_names_the_students_the_bot_cannot_remind(services, line_api, db, school):
    """One query reads both lists: a student who blocked the bot (ben) or muted 勾選 (cat) gets no reminder
    but is still on the homeroom teacher's list; the list and the reminders agree otherwise."""
    from sqlalchemy import update

    from bot.infra.models import LineBinding, Outcome, ReminderMute
    from bot.infra.vocab import PersonKind

    with db.session() as s:
        for name in ("amy", "ben"):
            add_outcome(s, school, name, "101", OutcomeStatus.certified)
        s.execute(update(Outcome).where(Outcome.student_id == school.ids["cat"]).values(picked=False))
        s.execute(update(LineBinding).where(LineBinding.line_user_id == school.line("ben")).values(blocked=True))
        s.add(ReminderMute(person_kind=PersonKind.student, person_id=school.ids["cat"], kind=WindowKind.pick.value))
        add_window(s, school, WindowKind.pick, "2026-12-01 00:00", "2026-12-10 17:00")
    sweep(services, "2026-12-07 08:00")
    got = reached(line_api, school)
    assert sorted(got) == ["amy", "wang"]
    assert "101 班尚未勾選的同學（3 人）" in got["wang"]
    assert all(line in got["wang"] for line in ("01 AMY（成果）", "02 BEN（成果）", "03 CAT（成果）"))


def test_receipt_students_at_opening_and_last_day_homeroom_daily_then_deemed(services, line_api, db, school):
    from bot.infra.models import ReceiptBatch
    from scheduler.deemed import deem_confirmed
    with db.session() as s:
        add_receipts(s, school, ["amy", "ben", "cat", "dan"], confirmed=["cat"])
        add_window(s, school, WindowKind.receipt, "2026-12-14 00:00", "2026-12-17 00:00")
    sweep(services, "2026-12-14 08:00")
    got = reached(line_api, school)
    assert sorted(got) == ["amy", "ben", "dan", "wang"]               # kao (102) is not bound
    assert "101 班尚未確認的同學（2 人）" in got["wang"] and "03 CAT" not in got["wang"]
    before = counts(line_api, school)
    sweep(services, "2026-12-15 08:00")                               # day 2: homeroom list only
    assert sorted(reached(line_api, school, before)) == ["wang"]
    with db.session() as s:
        s.query(ReceiptBatch).filter_by(student_id=school.ids["amy"]).update(
            {"confirmed_at": local("2026-12-15 12:00"), "confirmed_how": "student"})
    before = counts(line_api, school)
    sweep(services, "2026-12-16 08:00")                               # the last day
    got = reached(line_api, school, before)
    assert sorted(got) == ["ben", "dan", "wang"] and "最後一天" in got["ben"]
    assert "AMY" not in got["wang"]
    assert deem_confirmed(services, local("2026-12-16 23:00")) == 0   # still open
    assert deem_confirmed(services, local("2026-12-17 00:05")) == 2
    assert deem_confirmed(services, local("2026-12-18 00:05")) == 0
    with db.session() as s:
        ben = s.query(ReceiptBatch).filter_by(student_id=school.ids["ben"]).one()
        assert ben.confirmed_how == "deemed" and ben.confirmed_at == local("2026-12-17 00:00")
    before = counts(line_api, school)
    assert sweep(services, "2026-12-17 08:00").people == 0 and not reached(line_api, school, before)


def test_a_failed_item_is_told_once_with_the_reason(services, line_api, db, school):
    from bot.infra.models import Outcome
    with db.session() as s:
        dan_item = s.query(Outcome).filter_by(student_id=school.ids["dan"]).one()
        fail_outcome(s, dan_item, "檔案無法開啟", local("2026-11-12 10:00"))
        old = add_outcome(s, school, "amy", "101", OutcomeStatus.pending)
        fail_outcome(s, old, "舊的", local("2026-09-01 10:00"))       # older than the look-back
    sweep(services, "2026-11-12 10:05")
    got = reached(line_api, school)
    assert sorted(got) == ["dan"] and "檔案無法開啟" in got["dan"] and "認證失敗" in got["dan"]
    assert sweep(services, "2026-11-13 10:05").people == 0


def test_everything_due_for_one_person_is_one_message(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
        add_window(s, school, WindowKind.performance_upload, "2026-11-02 00:00", "2026-11-25 17:00")
    report = sweep(services, "2026-11-02 08:05")
    for name in ["amy", "ben", "cat", "dan"]:
        delivered = line_api.sent_to(school.line(name))
        assert len(delivered) == 1 and len(delivered[0].messages) == 1
        text = texts_of(delivered[0].messages)
        assert "課程學習成果上傳開放" in text and "多元表現上傳開放" in text
    hal = texts_of([m for d in line_api.sent_to(school.line("hal")) for m in d.messages])
    assert "多元表現上傳開放" in hal and "課程學習成果" not in hal        # hal muted only outcome uploads
    assert report.counted == 5 and report.reached[("performance_upload", "opening")] == 5
    assert report.requests == 2                                            # 4 identical + hal's own
