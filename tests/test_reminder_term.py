"""A whole term of the factory school, swept like the worker would: who is reached when.

The school's 作業期程 for 115-1 (all 全校 except the performance upload, 高一 only):

    outcome_upload      11/02 – 11/20 17:00   opening 11/02, before:3 11/17, last_day 11/20
    performance_upload  11/02 – 11/25 17:00   opening 11/02, before:3 11/22, last_day 11/25
    certification       11/21 – 11/30 17:00   opening 11/21, before:3 11/27, escalate:2 11/28, last 11/30
    pick                12/01 – 12/10 17:00   opening 12/01, before:3 12/07, last_day 12/10
    receipt             12/14 – 12/17 00:00   opening 12/14, last_day 12/16, homeroom each morning

and what people do meanwhile (see `EVENTS`). The clock runs from 11/01 to 12/20 with a
sweep at 07:55, 08:05, 12:00 and 22:00 every day and the deemed-confirmation job at
00:05; the test checks, sweep by sweep, exactly who got a message (never two in one
sweep) and what it said.
"""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot.domain.stages import StageConfig
from bot.infra.models import Outcome, Performance, ReceiptBatch
from bot.infra.vocab import OutcomeStatus, WindowKind
from scheduler.deemed import deem_confirmed
from scheduler.sweep import run_sweep
from tests.helpers import texts_of
from tests.reminder_factories import add_receipts, add_window, build_school, fail_outcome, local

CFG = StageConfig(proxy_escalation=True)  # a school that turned PROXY_ESCALATION on (default off)
SWEEP_TIMES = ("07:55", "08:05", "12:00", "22:00")


def _outcome(s, school, name: str) -> Outcome:
    return s.scalars(select(Outcome).where(Outcome.student_id == school.ids[name])
                     .order_by(Outcome.id)).first()


def amy_submits(s, school):
    item = _outcome(s, school, "amy")
    item.status, item.submitted_at = OutcomeStatus.pending, local("2026-11-18 20:00")


def dan_fails(s, school):  # an import turns dan's pending item 認證失敗
    fail_outcome(s, _outcome(s, school, "dan"), "照片模糊", local("2026-11-12 10:00"))


def ben_uploads_performance(s, school):
    s.add(Performance(performance_no="P-ben", student_id=school.ids["ben"], year=115, category="幹部",
                      title="班長"))


def wang_certifies_amy(s, school):
    item = _outcome(s, school, "amy")
    item.status, item.certified_at = OutcomeStatus.certified, local("2026-11-29 15:00")


def amy_picks(s, school):
    _outcome(s, school, "amy").picked = True


def amy_confirms_receipt(s, school):
    batch = s.scalars(select(ReceiptBatch).where(ReceiptBatch.student_id == school.ids["amy"])).one()
    batch.confirmed_at, batch.confirmed_how = local("2026-12-15 12:00"), "student"


EVENTS = {  # local moment (just before that day's sweep) -> what happens
    "2026-11-12 10:00": dan_fails,
    "2026-11-18 20:00": amy_submits,
    "2026-11-23 12:00": ben_uploads_performance,
    "2026-11-29 15:00": wang_certifies_amy,
    "2026-12-08 12:00": amy_picks,
    "2026-12-15 12:00": amy_confirms_receipt,
}

# Every sweep that reached anyone: who, and a phrase each person's message must contain.
EXPECTED = {
    "2026-11-02 08:05": {"amy": "多元表現上傳開放", "ben": "課程學習成果上傳開放", "cat": "多元表現上傳開放",
                         "dan": "課程學習成果上傳開放"},
    "2026-11-12 12:00": {"dan": "照片模糊"},
    "2026-11-17 08:05": {"amy": "1 件成果尚未送出認證", "ben": "缺少心得", "dan": "照片模糊"},
    "2026-11-20 08:05": {"ben": "缺少心得", "dan": "照片模糊"},
    "2026-11-21 08:05": {"wang": "1 件課程學習成果待認證"},
    "2026-11-22 08:05": {"amy": "還沒有上傳任何多元表現", "ben": "還沒有上傳任何多元表現",
                         "dan": "還沒有上傳任何多元表現"},
    "2026-11-25 08:05": {"amy": "還沒有上傳任何多元表現", "dan": "還沒有上傳任何多元表現"},
    "2026-11-27 08:05": {"wang": "已等待 8 天"},
    "2026-11-28 08:05": {"wang": "已同時通知代理教師：LIN", "lin": "WANG 老師：1 件（101）"},
    "2026-12-01 08:05": {"amy": "勾選開放", "ben": "勾選開放"},
    "2026-12-07 08:05": {"amy": "課程學習成果但還沒有勾選", "ben": "多元表現但還沒有勾選",
                         "wang": "101 班尚未勾選的同學（2 人）"},
    "2026-12-10 08:05": {"ben": "多元表現但還沒有勾選", "wang": "101 班尚未勾選的同學（1 人）"},
    "2026-12-14 08:05": {"amy": "收訖明細確認", "ben": "收訖明細確認", "dan": "收訖明細確認",
                         "hal": "收訖明細確認", "wang": "101 班尚未確認的同學（2 人）"},
    "2026-12-15 08:05": {"wang": "101 班尚未確認的同學（2 人）"},
    "2026-12-16 08:05": {"ben": "最後一天", "dan": "最後一天", "hal": "最後一天",
                         "wang": "101 班尚未確認的同學（1 人）"},
}


@pytest.fixture
def term_school(db):
    with db.session() as s:
        school = build_school(s)
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
        add_window(s, school, WindowKind.performance_upload, "2026-11-02 00:00", "2026-11-25 17:00",
                   audience="grades:1")
        add_window(s, school, WindowKind.certification, "2026-11-21 00:00", "2026-11-30 17:00")
        add_window(s, school, WindowKind.pick, "2026-12-01 00:00", "2026-12-10 17:00")
        add_window(s, school, WindowKind.receipt, "2026-12-14 00:00", "2026-12-17 00:00")
        add_receipts(s, school, ["amy", "ben", "cat", "dan", "hal"], confirmed=["cat"])
    return school


def test_a_whole_term_reaches_exactly_the_people_with_something_to_do(services, line_api, db, term_school):
    school = term_school
    seen = {name: 0 for name in school.uids}
    timeline: dict[str, dict[str, str]] = {}
    deemed_on: dict[str, int] = {}
    events = dict(EVENTS)
    day = date(2026, 11, 1)
    while day <= date(2026, 12, 20):
        deemed = deem_confirmed(services, local(f"{day} 00:05"))
        if deemed:
            deemed_on[str(day)] = deemed
        for at in SWEEP_TIMES:
            moment = f"{day} {at}"
            for when in sorted(w for w in events if w <= moment):
                with db.session() as s:
                    events.pop(when)(s, school)
            report = run_sweep(services, local(moment), cfg=CFG)
            got = {}
            for name, uid in school.uids.items():
                delivered = line_api.sent_to(uid)[seen[name]:]
                assert len(delivered) <= 1, f"{name} got {len(delivered)} messages in the {moment} sweep"
                if delivered:
                    assert len(delivered[0].messages) == 1 and delivered[0].messages[0]["type"] == "flex"
                    got[name] = texts_of(delivered[0].messages)
                    seen[name] += 1
            assert report.people == len(got) and report.counted == len(got)
            if got:
                timeline[moment] = got
        day += timedelta(days=1)
    assert not events
    assert sorted(timeline) == sorted(EXPECTED)
    for moment, expected in EXPECTED.items():
        assert sorted(timeline[moment]) == sorted(expected), moment
        for name, phrase in expected.items():
            assert phrase in timeline[moment][name], (moment, name, timeline[moment][name])
    # folded: the 11/02 opening of both upload windows is one message for 高一 students
    assert "課程學習成果上傳開放" in timeline["2026-11-02 08:05"]["amy"]
    # nobody unreachable is ever messaged: blocked eve, unbound fay and kao, gus who left
    for name in ("eve", "fay", "gus", "kao", "chen", "hsu"):
        assert seen[name] == 0, name
    assert seen["hal"] == 2            # muted outcome uploads: only his receipt reminders
    assert deemed_on == {"2026-12-17": 3}   # ben, dan and hal became 視為確認 once; nobody told again
