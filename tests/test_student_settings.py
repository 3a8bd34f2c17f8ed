"""設定 through the signed webhook: what the bot knows, and muting each reminder kind (once)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.infra.models import ReminderMute
from bot.infra.vocab import PersonKind
from tests import factories as f
from tests.helpers import postbacks_of, texts_of
from tests.student_school import NOW, School, build, uid


@pytest.fixture
def school(db, services) -> School:
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


def _toggles(message) -> list[str]:
    return postbacks_of(message, "a=mute")


def _muted(db, kind: PersonKind, person_id: int) -> set[str]:
    with db.session() as session:
        return set(session.scalars(select(ReminderMute.kind).where(
            ReminderMute.person_kind == kind, ReminderMute.person_id == person_id)))


def test_settings_show_what_the_bot_knows_and_every_student_kind(school, chat):
    messages = chat(uid("fix")).say("設定")
    text = texts_of(messages)
    assert "FIX同學" in text and "101 班 3 號學生" in text and "S-fix" in text
    assert "綁定時間" in text and "解除綁定" in text
    assert _toggles(messages) == [
        "a=mute&k=outcome_upload&on=0", "a=mute&k=performance_upload&on=0", "a=mute&k=pick&on=0",
        "a=mute&k=receipt&on=0", "a=mute&k=status_change&on=0"]
    assert "認證提醒" not in text  # a teacher's kind


def test_mute_and_unmute_once(school, chat, db):
    me = chat(uid("fix"))
    answer = me.tap("a=mute&k=pick&on=0")
    assert "已關閉「勾選提醒」" in texts_of(answer)
    assert "a=mute&k=pick&on=1" in _toggles(answer)
    assert _muted(db, PersonKind.student, school.ids["fix"]) == {"pick"}
    again = texts_of(me.tap("a=mute&k=pick&on=0"))
    assert "本來就關閉中，沒有變更" in again
    assert _muted(db, PersonKind.student, school.ids["fix"]) == {"pick"}
    assert "已開啟「勾選提醒」" in texts_of(me.tap("a=mute&k=pick&on=1"))
    assert _muted(db, PersonKind.student, school.ids["fix"]) == set()


@pytest.mark.parametrize("data", ["a=mute&k=certification&on=0", "a=mute&k=everything&on=0",
                                  "a=mute&k=pick&on=maybe", "a=mute&on=0"])
def test_bad_or_foreign_kinds_are_refused(school, chat, db, data):
    assert "設定按鈕有誤" in texts_of(chat(uid("fix")).tap(data))
    assert _muted(db, PersonKind.student, school.ids["fix"]) == set()


def test_a_postback_cannot_mute_someone_else(school, chat, db):
    chat(uid("fix")).tap(f"a=mute&k=pick&on=0&p={school.ids['ace']}&person_id={school.ids['ace']}")
    assert _muted(db, PersonKind.student, school.ids["ace"]) == set()
    assert _muted(db, PersonKind.student, school.ids["fix"]) == {"pick"}


def test_homeroom_teacher_gets_their_kinds(db, services, chat):
    with db.session() as session:
        lee = f.teacher(session, name="李老師", teacher_no="T9", homeroom="101")
        f.bind(session, lee, uid("lee"))
        lee_id = lee.id
    messages = chat(uid("lee")).say("設定")
    assert "教師編號" in texts_of(messages) and "101 班導師" in texts_of(messages)
    assert _toggles(messages) == ["a=mute&k=certification&on=0", "a=mute&k=pick&on=0", "a=mute&k=receipt&on=0"]
    chat(uid("lee")).tap("a=mute&k=certification&on=0")
    assert _muted(db, PersonKind.teacher, lee_id) == {"certification"}


def test_every_mutable_kind_is_offered_to_someone_and_nothing_else():
    from bot.infra.models import MUTABLE_KINDS
    from handlers.settings import HOMEROOM_KINDS, STUDENT_KINDS, TEACHER_KINDS
    from messages.settings import KIND_LABELS

    offered = set(STUDENT_KINDS) | set(TEACHER_KINDS) | set(HOMEROOM_KINDS)
    assert offered == set(MUTABLE_KINDS) == set(KIND_LABELS)


def test_every_bound_role_finds_settings_in_the_chat_menu():
    from messages.common import menu_labels

    assert menu_labels({"teacher", "homeroom"}) == ["待認證", "設定", "班級名單", "說明"]
    assert menu_labels({"student"})[-2:] == ["設定", "說明"]
    assert "設定" in menu_labels({"teacher", "staff"})
    assert "設定" in menu_labels({"staff"}) and "待認證" not in menu_labels({"staff"})  # staff who teach nothing


def test_staff_who_teach_nothing_open_settings_and_the_academic_office_mutes_certification(db, services, chat):
    from bot.infra.vocab import Duty

    with db.session() as session:
        f.bind(session, f.teacher(session, name="註冊組長", teacher_no="T7", duties=[Duty.registry]), uid("reg"))
        f.bind(session, f.teacher(session, name="教學組長", teacher_no="T8", duties=[Duty.academic]), uid("aca"))
    registry = chat(uid("reg")).say("設定")
    assert "註冊組長" in texts_of(registry) and _toggles(registry) == []  # no reminder kind of theirs to mute
    assert "沒有可以關閉的提醒" in texts_of(registry)
    academic = chat(uid("aca")).say("設定")
    assert _toggles(academic) == ["a=mute&k=certification&on=0"]  # 教學組 is told the certification counts
