"""待認證 through the signed webhook: own courses only, proxies during absences and escalation, the link."""
from __future__ import annotations

from datetime import timedelta

import pytest

from bot.domain.queries.teacher import CourseLoad, PendingView
from bot.infra.line_limits import check_messages
from bot.infra.models import TeacherAbsence
from messages import certifications, texts
from tests.helpers import objects_in, postbacks_of, quick_labels, texts_of
from tests.roles_school import NOW, TZ, build, local, uid

PLATFORM = "https://portfolio.example.edu.tw/login"


@pytest.fixture
def school(db, services):
    services.clock = lambda: NOW
    services.settings = services.settings.with_(platform_url=PLATFORM)
    with db.session() as s:
        return build(s)


def flex_of(answer: list[dict]) -> dict:
    [message] = answer
    assert message["type"] == "flex" and message["altText"]
    return message


def uris(node) -> list[str]:
    return [o["uri"] for o in objects_in(node) if o.get("type") == "uri"]


def absent(db, teacher_id: int, start, end) -> None:
    with db.session() as s:
        s.add(TeacherAbsence(teacher_id=teacher_id, starts_at=start, ends_at=end))


def test_teacher_sees_own_courses_per_class_with_oldest_wait_deadline_and_link(chat, school):
    answer = chat(uid("wang")).say("待認證")
    body = texts_of([flex_of(answer)])
    assert "114-1 數學 101 班：2 件" in body and "114-1 數學 102 班：1 件" in body
    assert "最久已等 10 天" in body and "最久已等 4 天" in body
    assert "截止 1/20（二）00:00" in body
    assert "英文" not in body and "國文" not in body  # other teachers' courses
    assert "代理認證" not in body
    assert uris(answer) == [PLATFORM] and "前往平臺認證" in body
    assert "待認證共 3 件" in answer[0]["altText"]
    assert "查看 2 件名單" in body and "查看 1 件名單" in body


def test_without_a_platform_url_the_answer_says_where_to_certify(chat, school, services):
    services.settings = services.settings.with_(platform_url="")
    answer = chat(uid("wang")).say("待認證")
    assert uris(answer) == [] and certifications.NO_LINK in texts_of(answer)


def test_a_proxy_sees_nothing_of_a_present_teachers_courses(chat, school):
    body = texts_of(chat(uid("lin")).say("待認證"))
    assert "英文 102 班：1 件" in body and "數學" not in body


def test_during_an_absence_the_first_proxy_covers_and_both_see_whose_items(chat, db, school):
    absent(db, school.ids["wang"], NOW - timedelta(days=1), NOW + timedelta(days=3))
    lin = texts_of(chat(uid("lin")).say("待認證"))
    assert "我的課程（1 件）" in lin and "代理認證（3 件）" in lin
    assert "WANG老師｜114-1 數學 101 班：2 件" in lin and "任課教師請假中，由您代理認證" in lin
    wang = texts_of(chat(uid("wang")).say("待認證"))
    assert "您請假中，由 LIN老師 代理認證" in wang
    chen = texts_of(chat(uid("chen")).say("待認證"))
    assert chen.count(certifications.NOTHING) == 1  # the second proxy is not needed


def test_when_the_first_proxy_is_away_too_the_second_covers(chat, db, school):
    absent(db, school.ids["wang"], NOW - timedelta(days=1), NOW + timedelta(days=3))
    absent(db, school.ids["lin"], NOW - timedelta(days=1), NOW + timedelta(days=1))
    chen = texts_of(chat(uid("chen")).say("待認證"))
    assert "WANG老師｜114-1 數學 101 班：2 件" in chen and "WANG老師｜114-1 數學 102 班：1 件" in chen
    lin = texts_of(chat(uid("lin")).say("待認證"))
    assert "代理認證（" not in lin  # lin is away: he covers nothing
    # english 102 (lin's own): lin is away, wang is its proxy but away too: nobody covers
    assert "LIN老師｜" not in chen and "您請假中，目前沒有可用的代理教師" in lin


def test_a_proxy_who_cannot_be_reached_on_line_is_passed_over(chat, db, school):
    from bot.infra.models import LineBinding
    with db.session() as s:
        s.execute(LineBinding.__table__.update().where(LineBinding.line_user_id == uid("lin")).values(blocked=True))
    absent(db, school.ids["wang"], NOW - timedelta(days=1), NOW + timedelta(days=3))
    assert "WANG老師｜114-1 數學 101 班：2 件" in texts_of(chat(uid("chen")).say("待認證"))
    assert "您請假中，由 CHEN老師 代理認證" in texts_of(chat(uid("wang")).say("待認證"))


def test_escalation_point_brings_in_the_proxy_while_the_teacher_keeps_the_items(chat, school, services):
    from bot.infra.config import StageConfig
    services.settings = services.settings.with_(stages=StageConfig(proxy_escalation=True))  # the school's choice
    services.clock = lambda: local("2026-01-17 09:00")  # last day 1/19; escalation 2 days before at 08:00
    lin = texts_of(chat(uid("lin")).say("待認證"))
    assert "WANG老師｜114-1 數學 101 班：2 件" in lin and "任課教師期限將至，由您代理認證" in lin
    wang = texts_of(chat(uid("wang")).say("待認證"))
    assert "114-1 數學 101 班：2 件" in wang and "代理教師 LIN老師 也已可協助" in wang
    services.clock = lambda: local("2026-01-16 09:00")
    assert "數學" not in texts_of(chat(uid("lin")).say("待認證"))


def test_a_registry_clerk_who_teaches_nothing_is_not_offered_it_and_students_are_refused(chat, school):
    hsu = chat(uid("hsu"))  # 註冊組 only: no course, no proxy, no 任課教師 duty
    assert texts.NOT_FOR_YOUR_ROLE in texts_of(hsu.say("待認證"))
    assert "待認證" not in quick_labels(hsu.say("選單")[0]) and "統計" in quick_labels(hsu.say("選單")[0])
    chen = chat(uid("chen"))  # 任課教師 with no course of his own this term: still a teacher, nothing pending
    assert certifications.NOTHING in texts_of(chen.say("待認證"))
    assert texts.NOT_FOR_STUDENTS in texts_of(chat(uid("amy")).say("待認證"))
    assert "請先綁定" in texts_of(chat(uid("gus")).say("待認證"))  # not bound


def test_a_long_list_is_split_and_truncated_within_line_limits():
    loads = tuple(CourseLoad(i, "114-1", "數學" * 5, f"{100 + i}", "王" * 10, 3, NOW - timedelta(days=i), NOW,
                             False, None) for i in range(400))
    message = certifications.pending(PendingView(loads, (), False), NOW, TZ, PLATFORM)
    check_messages([message])
    assert message["contents"]["type"] == "carousel"
    body = texts_of([message["contents"]])
    shown = body.count("：3 件")
    assert 0 < shown < 400 and f"…另有 {400 - shown} 門課未列出" in body


def test_staff_mark_a_teacher_unavailable_on_the_command_line_and_the_proxy_sees_it_in_chat(chat, school, migrated):
    from click.testing import CliRunner

    from bot.cli import main

    env = {"DATABASE_URL": migrated, "SCHOOL_TZ": "Asia/Taipei"}
    lin = chat(uid("lin"))
    assert "數學" not in texts_of(lin.say("待認證"))
    result = CliRunner().invoke(main, ["teacher", "unavailable", "T-wang", "--from", "2025-11-19", "--to",
                                       "2025-11-21"], env=env, catch_exceptions=False)
    assert result.exit_code == 0 and "由 LIN老師 代理認證" in result.output
    assert "WANG老師｜114-1 數學 101 班：2 件" in texts_of(lin.say("待認證"))


def test_by_default_a_proxy_is_not_handed_a_present_teachers_items_near_the_deadline(chat, school, services):
    # Seed (111 reference): 代理 only 「若原任課教師已無法協助學生進行課程學習成果認證時」 (PROXY_ESCALATION off).
    services.clock = lambda: local("2026-01-17 09:00")   # past the escalation point
    assert "數學" not in texts_of(chat(uid("lin")).say("待認證"))
    wang = texts_of(chat(uid("wang")).say("待認證"))
    assert "114-1 數學 101 班：2 件" in wang and "代理教師" not in wang


def test_a_course_button_opens_its_waiting_items_longest_waiting_first(chat, school):
    wang = chat(uid("wang"))
    answer = wang.say("待認證")
    course_buttons = postbacks_of(answer, "a=pending")
    assert course_buttons == [f"a=pending&c={school.courses['math101']}", f"a=pending&c={school.courses['math102']}"]
    items = flex_of(wang.tap(course_buttons[0]))
    body = texts_of([items])
    assert "數學 101 班待認證" in body and "114-1・2 件・截止 1/20（二）00:00" in body
    assert body.index("1 號 AMY") < body.index("2 號 BEN")          # amy has waited 10 days, ben 2
    assert "〈amy的作品〉" in body and "已等 10 天" in body and "已等 2 天" in body
    assert "CAT" not in body and "DAN" not in body                  # certified, failed: not waiting
    assert uris([items]) == [PLATFORM] and "待認證" in [a["label"] for a in _actions(items)]


def test_a_course_that_is_not_yours_is_not_listed(chat, school):
    lin = chat(uid("lin"))  # proxy of wang's math, but wang is present: not lin's to certify
    for data in (f"a=pending&c={school.courses['math101']}", "a=pending&c=abc", "a=pending&c=99999999999999999"):
        answer = texts_of(lin.tap(data))
        assert "這門課目前沒有待您認證的成果" in answer and "AMY" not in answer


def test_a_long_waiting_list_pages_within_line_limits():
    from bot.domain.queries.teacher import WaitingItem
    load = CourseLoad(1, "114-1", "數學", "101", "王老師", 300, NOW - timedelta(days=30), NOW, False, None)
    items = [WaitingItem(i % 40 + 1, "學生" * 5, "很長的成果名稱" * 8, NOW - timedelta(days=i % 30)) for i in range(300)]
    message = certifications.pending_items(load, items, NOW, TZ, PLATFORM)
    check_messages([message])
    body = texts_of([message["contents"]])
    shown = body.count("已等 ")
    assert 0 < shown < 300 and f"…另有 {300 - shown} 件未列出" in body



def _actions(node) -> list[dict]:
    return [o["action"] for o in objects_in(node) if "action" in o]
