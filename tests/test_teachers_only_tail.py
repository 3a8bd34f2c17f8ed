"""The last days of 認證, after uploading closed: only teachers certify, and a 認證失敗 cannot be sent again.

Seed (000, 「課程學習成果」上傳 schedule): 「此時間區間僅教師可認證課程成果檔案」 and 「如於此區間「認證失敗」
退回，學生將無法重新送出認證」. Nothing the bot says to a student (or a 導師's nudge) in that period may
tell them to fix and resubmit; while uploading is open it still does.
"""
from __future__ import annotations

import pytest

from bot.infra.vocab import OutcomeStatus, WindowKind
from tests.helpers import texts_of
from tests.reminder_factories import add_outcome, add_window, build_school, fail_outcome, local
from tests.student_school import build, uid

RESUBMIT = "重新送出認證。"  # the invitation, as every student-facing text words it


@pytest.fixture
def student_school(db, services):
    with db.session() as session:
        return build(session)  # upload closes 10/20 23:59, certification 10/31 23:59


def at(services, text: str) -> None:
    services.clock = lambda: local(text)


def test_my_status_invites_a_resubmission_only_while_uploading_is_open(student_school, chat, services):
    at(services, "2026-10-15 10:00")
    assert "在 10/20（二）23:59 前重新送出認證" in texts_of(chat(uid("fix")).say("我的進度"))
    at(services, "2026-10-25 10:00")  # upload closed, certification open: the teachers' days
    text = texts_of(chat(uid("fix")).say("我的進度"))
    assert "上傳期間已結束，現在只有老師能認證" in text and RESUBMIT not in text and "10/31" not in text
    assert RESUBMIT not in texts_of(chat(uid("fix")).tap("a=st&v=outcomes"))


def test_deadlines_say_the_certification_window_is_the_teachers_once_uploading_closed(student_school, chat,
                                                                                      services):
    at(services, "2026-10-15 10:00")
    assert "任課老師認證；認證失敗的可在上傳期限內修改後重新送出" in texts_of(chat(uid("fix")).say("期限"))
    at(services, "2026-10-25 10:00")
    text = texts_of(chat(uid("fix")).say("期限"))
    assert "上傳已截止，只有任課老師能認證；此時認證失敗的，本學期無法再重新送出" in text
    assert "可在上傳期限內修改後重新送出" not in text


@pytest.fixture
def reminder_school(db):
    with db.session() as session:
        return build_school(session)


def test_the_failed_item_reminder_says_it_cannot_be_sent_again_after_uploading(services, line_api, db,
                                                                               reminder_school):
    from bot.infra.models import Outcome
    from scheduler.sweep import run_sweep

    school = reminder_school
    with db.session() as s:
        add_window(s, school, WindowKind.outcome_upload, "2026-11-01 00:00", "2026-11-10 00:00")
        add_window(s, school, WindowKind.certification, "2026-11-01 00:00", "2026-11-13 00:00")
        dan = s.query(Outcome).filter_by(student_id=school.ids["dan"]).one()
        fail_outcome(s, dan, "檔案無法開啟", local("2026-11-05 10:00"))                # while uploading
        late = add_outcome(s, school, "amy", "101", OutcomeStatus.pending).id
    run_sweep(services, now=local("2026-11-05 10:05"))
    told = texts_of(line_api.sent_to(school.line("dan"))[-1].messages)
    assert "認證失敗" in told and "請在上傳期限內修改後重新送出認證" in told
    with db.session() as s:
        fail_outcome(s, s.get(Outcome, late), "缺少引用來源", local("2026-11-11 10:00"))  # the teachers' days
    run_sweep(services, now=local("2026-11-11 10:05"))
    told = texts_of(line_api.sent_to(school.line("amy"))[-1].messages)
    assert "缺少引用來源" in told and "本學期無法再重新送出" in told and RESUBMIT not in told


def test_a_homeroom_teacher_is_not_offered_a_resubmit_nudge_after_uploading(student_school, chat, services, db):
    from bot.infra.models import Student, Teacher

    with db.session() as s:  # wang becomes 101's 導師 (fix, with a 認證失敗, is in 101)
        class_id = s.get(Student, student_school.ids["fix"]).class_id
        s.get(Teacher, student_school.ids["wang"]).homeroom_class_id = class_id
    at(services, "2026-10-25 10:00")
    answer = texts_of(chat(uid("wang")).tap(f"a=hr_nudge&l=failed&c={class_id}"))
    assert "本學期已無法重新送出，所以不發提醒" in answer


def test_teachers_are_told_a_return_is_final_once_uploading_closed(student_school, chat, services):
    # Seed: 「如於此區間「認證失敗」退回，學生將無法重新送出認證」 — said to the teacher before they return one.
    at(services, "2026-10-15 10:00")
    assert "無法再重新送出" not in texts_of(chat(uid("wang")).say("待認證"))
    at(services, "2026-10-25 10:00")
    pending = chat(uid("wang")).say("待認證")
    assert "學生上傳已截止：此時退回（認證失敗）的成果，學生本學期無法再重新送出。" in texts_of(pending)
    assert "退回即無法重送" in pending[0]["altText"]


def test_the_certification_reminder_says_a_return_is_final_in_the_teachers_days(services, line_api, db,
                                                                               reminder_school):
    from scheduler.sweep import run_sweep

    school = reminder_school
    with db.session() as s:
        add_window(s, school, WindowKind.outcome_upload, "2026-11-01 00:00", "2026-11-08 00:00")
        add_window(s, school, WindowKind.certification, "2026-11-01 00:00", "2026-11-13 00:00")
    run_sweep(services, now=local("2026-11-02 08:05"))   # opening, while students still upload
    assert "無法再重新送出" not in texts_of(line_api.sent_to(school.line("wang"))[-1].messages)
    run_sweep(services, now=local("2026-11-12 08:05"))   # the last day, uploading closed
    told = texts_of(line_api.sent_to(school.line("wang"))[-1].messages)
    assert "待認證" in told and "此時退回（認證失敗）的成果，學生本學期無法再重新送出" in told
