"""統計 through the signed webhook: staff duties see today's rates and who is furthest behind; others are refused."""
from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.domain.queries.rates import ClassRate, Confirmation, DayRate, Rates, TeacherRate
from bot.infra.line_limits import check_messages
from messages import staff as msg
from messages import texts
from tests.helpers import texts_of
from tests.roles_school import NOW, TZ, build, uid


@pytest.fixture
def school(db, services):
    services.clock = lambda: NOW
    with db.session() as s:
        return build(s)


def test_registry_staff_see_rates_per_class_day_and_teacher(chat, school):
    answer = chat(uid("hsu")).say("統計")
    assert answer[0]["type"] == "flex"
    check_messages(answer)
    body = texts_of(answer)
    assert "114-1 學期・2025-11-20 10:00 為止" in body
    assert "認證率 38%（已認證 3 / 送出 8 件，待認證 4 件）" in body
    assert "勾選率 25%（已勾選 1 / 可勾選 4 人）" in body
    assert "教師認證天數中位數 2.5 天" in body
    assert "收訖明細確認率：高一（114-1 批次）" in body
    assert "11/18（二） 0%（0/6）" in body and "11/19（三） 50%（3/6）" in body and "11/20（四） 50%（3/6）" in body
    assert "11/21" not in body  # the days still to come are not shown
    assert "收訖明細確認率 50%（已確認 3 / 6 份）" in body
    assert "101：認證 25%（待 2 件）｜勾選 50%（1/2 人）｜確認 50%" in body
    assert "102：認證 33%（待 2 件）｜勾選 0%（0/1 人）｜確認 50%" in body
    assert "201：認證 100%（待 0 件）｜勾選 0%（0/1 人）｜確認 —" in body
    behind = body.split("最落後的班級")[1].split("最落後的教師")[0]
    assert behind.index("101：認證率 25%") < behind.index("102：認證率 33%") and "201" not in behind
    teachers = body.split("最落後的教師")[1]
    assert "WANG老師（T-wang）：待認證 3 件，最久 10 天，中位數 2 天（已處理 3 件）" in teachers
    assert "最落後的班級：\n101：認證率 25%" in answer[0]["altText"]


def test_a_teacher_who_is_also_academic_staff_gets_both(chat, school):
    kao = chat(uid("kao"))
    assert "認證率" in texts_of(kao.say("統計"))
    assert "201 班級名單" in texts_of(kao.say("班級名單"))


@pytest.mark.parametrize("who", ["wang", "chen", "amy"])
def test_people_without_a_staff_duty_are_refused(chat, school, who):
    body = texts_of(chat(uid(who)).say("統計"))
    refusal = texts.NOT_FOR_STUDENTS if who == "amy" else texts.NOT_FOR_YOUR_ROLE  # students are 你
    assert refusal in body and "認證率" not in body


def test_without_any_term_staff_are_told_what_to_import(chat, db, services):
    from bot.infra.models import LineBinding, Teacher, TeacherDuty
    from bot.infra.vocab import Duty, PersonKind
    with db.session() as s:
        t = Teacher(teacher_no="T1", name="組長")
        t.duties = [TeacherDuty(duty=Duty.admin)]
        s.add(t)
        s.flush()
        s.add(LineBinding(line_user_id=uid("boss"), person_kind=PersonKind.teacher, person_id=t.id))
    assert msg.NO_TERM in texts_of(chat(uid("boss")).say("統計"))


def test_a_big_school_fits_line_limits_with_a_count_of_what_is_left_out():
    classes = tuple(ClassRate(f"{100 + i}", 40, 100, 50, 5, 45, 40, 20) for i in range(400))
    teachers = tuple(TeacherRate(f"T{i:04d}", "老師" * 5, 30, 2.5, i, i) for i in range(300))
    days = tuple(DayRate(date(2025, 11, 1) + timedelta(days=i), i, 1000) for i in range(14))
    conf = (Confirmation("114-1", "全校", NOW, NOW, days),)
    rates = Rates("114-1", NOW, classes, conf, teachers, classes[0], 2.5)
    message = msg.stats(rates, TZ)
    check_messages([message])
    assert message["contents"]["type"] == "carousel"
    body = texts_of([message["contents"]])
    lines = 4 + 5 + 5 + 14 + 400 + 300  # totals, behind classes, behind teachers, days, classes, teachers
    shown = sum(1 for line in body.splitlines() if not line.startswith("114-1 學期・")  # each bubble's subtitle
                and line.startswith(("認證率", "勾選率", "收訖明細確認率 ", "教師認證", "11/", "1", "2", "3", "4", "5", "老師")))
    assert f"…另有 {lines - shown} 行未列出" in body
