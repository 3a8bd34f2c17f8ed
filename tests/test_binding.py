"""Binding a LINE account with a one-time code, the lockout, and 解除綁定 — through the signed webhook."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.infra.models import BindingCode, LineBinding, Student
from bot.infra.vocab import Duty, PersonKind
from messages import texts
from tests import factories as f
from tests.helpers import quick_labels, texts_of

AMY = f.line_user_id("amy")
BEN = f.line_user_id("ben")
LEE = f.line_user_id("lee")


@pytest.fixture
def school(db):
    """Class 101 with 王小明 (seat 5) and 陳小華 (seat 7); 李老師 is 101's 導師 and 註冊組."""
    with db.session() as s:
        c101 = f.school_class(s, "101")
        amy = f.student(s, c101, seat=5, name="王小明")
        ben = f.student(s, c101, seat=7, name="陳小華")
        lee = f.teacher(s, name="李老師", homeroom=c101, duties=[Duty.subject_teacher, Duty.registry])
        codes = {"amy": f.code_for(s, amy), "ben": f.code_for(s, ben), "lee": f.code_for(s, lee)}
        ids = {"amy": amy.id, "ben": ben.id, "lee": lee.id}
    return {"codes": codes, "ids": ids}


def active(db, user_id: str) -> LineBinding | None:
    with db.session() as s:
        return s.scalars(select(LineBinding).where(
            LineBinding.line_user_id == user_id, LineBinding.unbound_at.is_(None))).first()


@pytest.mark.parametrize("form", ["綁定 {lower}", "{lower}", "綁定\u3000{code}", "綁定{code}", "{code}"])
def test_student_binds_with_code_in_any_accepted_form(chat, db, school, form):
    code = school["codes"]["amy"]
    answer = chat(AMY).say(form.format(code=code, lower=code.lower()))
    body = texts_of(answer)
    assert "綁定成功" in body and "王小明" in body and "101 班 5 號學生" in body
    assert "我的進度" in quick_labels(answer[0])  # the student menu
    binding = active(db, AMY)
    assert binding is not None and binding.person_id == school["ids"]["amy"]
    with db.session() as s:
        row = s.scalars(select(BindingCode).where(BindingCode.person_kind == PersonKind.student,
                                                  BindingCode.person_id == school["ids"]["amy"])).one()
        assert row.used_at is not None and row.used_by == AMY


def test_teacher_binds_and_sees_homeroom_and_duties(chat, db, school):
    answer = chat(LEE).say(school["codes"]["lee"].lower())
    body = texts_of(answer)
    assert "李老師" in body and "101 班導師" in body and "註冊組" in body and "任課教師" in body
    labels = quick_labels(answer[0])
    assert {"待認證", "班級名單", "統計"} <= set(labels) and "我的進度" not in labels
    assert active(db, LEE).person_id == school["ids"]["lee"]


def test_a_used_code_is_refused_as_wrong(chat, db, school):
    code = school["codes"]["amy"]
    chat(AMY).say(code)
    answer = chat(BEN).say(f"綁定 {code}")
    assert "不正確" in texts_of(answer) and "還可以再試 9 次" in texts_of(answer)
    assert active(db, BEN) is None
    assert active(db, AMY).person_id == school["ids"]["amy"]


def test_tries_left_count_down_then_lockout_refuses_even_the_right_code(chat, db, store, school):
    ben = chat(BEN)
    for left in range(9, 0, -1):
        answer = ben.say("綁定 ZZZZ9999")
        assert f"還可以再試 {left} 次" in texts_of(answer)
    answer = ben.say("ZZZZ9999")
    assert "暫停綁定一小時" in texts_of(answer)
    answer = ben.say(school["codes"]["ben"])
    assert "暫停綁定一小時" in texts_of(answer) and "綁定成功" not in texts_of(answer)
    assert active(db, BEN) is None
    # The lock is this account's only: another account binds at once.
    assert "綁定成功" in texts_of(chat(AMY).say(school["codes"]["amy"]))
    # Once the hour is over (the lock expires), the same untouched code still works.
    store.delete(f"bind-lock:{BEN}")
    assert "綁定成功" in texts_of(ben.say(school["codes"]["ben"]))


def test_text_after_bind_that_is_not_a_code_counts_no_try(chat, school):
    ben = chat(BEN)
    answer = ben.say("綁定 AB12CD3")
    assert "8 碼英文字母或數字" in texts_of(answer)
    assert "還可以再試 9 次" in texts_of(ben.say("綁定 ZZZZ9999"))


def test_unenrolled_students_code_is_wrong(chat, db, school):
    with db.session() as s:
        gone = f.student(s, "101", seat=9, name="轉出生", enrolled=False)
        code = f.code_for(s, gone)
    assert "不正確" in texts_of(chat(BEN).say(code))
    assert active(db, BEN) is None


def test_already_bound_account_says_to_whom_and_how_to_unbind(chat, db, store, school):
    amy = chat(AMY)
    amy.say(school["codes"]["amy"])
    answer = amy.say(f"綁定 {school['codes']['ben']}")
    body = texts_of(answer)
    assert "已綁定 王小明（101 班 5 號學生）" in body and "解除綁定" in body
    assert store.get(f"bind-fail:{AMY}") is None
    assert active(db, AMY).person_id == school["ids"]["amy"]
    # Ben's code was not used up by the refusal.
    assert "綁定成功" in texts_of(chat(BEN).say(school["codes"]["ben"]))


def test_bound_users_eight_letter_word_reaches_the_fallback(chat, store, school):
    amy = chat(AMY)
    amy.say(school["codes"]["amy"])
    answer = amy.say("homework")
    assert texts.UNKNOWN_INPUT in texts_of(answer)
    assert store.get(f"bind-fail:{AMY}") is None


def test_unbound_users_eight_letter_word_is_a_code_attempt(chat, school):
    assert "還可以再試 9 次" in texts_of(chat(BEN).say("homework"))


def test_unbind_asks_first_and_cancel_keeps_the_binding(chat, db, school):
    amy = chat(AMY)
    amy.say(school["codes"]["amy"])
    answer = amy.say("解除綁定")
    assert len(answer) == 1 and answer[0]["template"]["type"] == "confirm"
    assert "王小明" in texts_of(answer)
    actions = {a["label"]: a["data"] for a in answer[0]["template"]["actions"]}
    assert actions["取消"] == "a=unbind_cancel" and actions["解除綁定"].startswith("a=unbind&")
    answer = amy.tap(actions["取消"])
    assert "已取消" in texts_of(answer) and "我的進度" in quick_labels(answer[0])
    assert active(db, AMY) is not None


def test_confirmed_unbind_leaves_only_binding_help_and_faq(chat, db, school):
    amy = chat(AMY)
    amy.say(school["codes"]["amy"])
    confirm = amy.say("解除綁定")[0]
    data = next(a["data"] for a in confirm["template"]["actions"] if a["label"] == "解除綁定")
    answer = amy.tap(data)
    assert "已解除綁定" in texts_of(answer)
    assert active(db, AMY) is None
    for asked in ("選單", "我的進度", "隨便說說"):
        answer = amy.say(asked)
        assert texts.HOW_TO_BIND in texts_of(answer), asked
        assert quick_labels(answer[0]) == ["綁定說明", "說明"], asked
    assert "課程學習成果" in texts_of(amy.say("說明"))
    # The used code does not bind again.
    assert "不正確" in texts_of(amy.say(school["codes"]["amy"]))


def test_unbind_when_not_bound_says_so(chat, school):
    answer = chat(BEN).say("解除綁定")
    assert "目前沒有綁定" in texts_of(answer)
    assert "沒有綁定" in texts_of(chat(BEN).tap("a=unbind"))


def test_an_old_confirm_button_does_not_unbind_a_newer_binding(chat, db, school):
    amy = chat(AMY)
    amy.say(school["codes"]["amy"])
    old = next(a["data"] for a in amy.say("解除綁定")[0]["template"]["actions"] if a["label"] == "解除綁定")
    amy.tap(old)
    amy.say(school["codes"]["ben"])
    assert "已失效" in texts_of(amy.tap(old))
    assert active(db, AMY).person_id == school["ids"]["ben"]


def test_binding_from_a_new_phone_moves_the_binding(chat, db, school):
    old_phone, new_phone = chat(AMY), chat(f.line_user_id("amy-new"))
    old_phone.say(school["codes"]["amy"])
    with db.session() as s:
        code = f.code_for(s, s.get(Student, school["ids"]["amy"]))
    answer = new_phone.say(code)
    assert "綁定成功" in texts_of(answer) and "先前綁定的另一個 LINE 帳號已自動解除綁定" in texts_of(answer)
    assert active(db, AMY) is None
    assert active(db, new_phone.user_id).person_id == school["ids"]["amy"]
    assert texts.HOW_TO_BIND in texts_of(old_phone.say("選單"))


def test_students_are_addressed_as_you_teachers_politely(db, chat):
    """One voice: students are 你 everywhere (the issue's wording rule); teachers 您."""
    with db.session() as s:
        code = f.code_for(s, f.student(s, "101", name="王小明"))
        teacher_code = f.code_for(s, f.teacher(s, name="林大華"))
    student, teacher = chat(f.line_user_id("s-you")), chat(f.line_user_id("t-you"))
    assert "你好，我是" in texts_of(student.say("我的進度"))           # not bound yet
    welcome = texts_of(student.say(code))
    assert "王小明同學你好，你已綁定為" in welcome and "您" not in welcome
    assert "不適用於你的身分" in texts_of(student.say("待認證"))
    assert "林大華老師您好，您已綁定為" in texts_of(teacher.say(teacher_code))
