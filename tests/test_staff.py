"""統計 through the signed webhook: staff duties see today's rates and who is furthest behind, in three
phone-sized bubbles (each heading over its own lines), with 完整報表: a fresh one-time link to the console;
others are refused."""
from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from bot.domain.queries.rates import ClassRate, Confirmation, DayRate, Rates, TeacherRate
from bot.infra.line_limits import check_messages
from bot.infra.models import ConsoleToken
from messages import staff as msg
from messages import texts
from tests.helpers import PUBLIC_URL, objects_in, postbacks_of, texts_of
from tests.roles_school import NOW, TZ, build, uid


@pytest.fixture
def school(db, services):
    services.clock = lambda: NOW
    with db.session() as s:
        return build(s)


def cells(node: dict) -> str:
    """A Flex component as the text it shows: a row's cells joined by " | ", a separator as ---."""
    if node["type"] == "box":
        return " | ".join(cells(c) for c in node["contents"])
    if node["type"] == "button":
        return f"[{node['action']['label']}]"
    return "---" if node["type"] == "separator" else node["text"]


def rendered(message: dict) -> list[list[str]]:
    """Each bubble of a carousel, as the lines it shows from top to bottom (header, body, footer)."""
    return [[cells(c) for part in ("header", "body", "footer") if part in b for c in b[part]["contents"]]
            for b in message["contents"]["contents"]]


FULL_REPORT = "[完整報表]"
SMALL_SCHOOL = [
    ["全校", "114-1 學期・2025-11-20 10:00 為止",
     "認證率 | 38%", "已認證 3／送出 8 件",
     "待認證 | 4 件",
     "勾選率 | 25%", "已勾選 1／可勾選 4 人",
     "收訖明細確認率 | 50%", "已確認 3／6 份",
     "認證天數中位數 | 2.5 天",
     "收訖明細・高一（114-1 批次）", "11/18 0% → 11/19 50% → 11/20 50%",
     FULL_REPORT],
    ["落後的班級", "各項比率最低的 3 班",
     "認證率 | 2 班未完成", "101 | 25% | 待認證 2 件", "102 | 33% | 待認證 2 件",
     "---",
     "勾選率 | 3 班未完成", "102 | 0% | 未勾選 1 人", "201 | 0% | 未勾選 1 人", "101 | 50% | 未勾選 1 人",
     "---",
     "收訖明細確認率 | 2 班未完成", "101 | 50% | 未確認 2 份", "102 | 50% | 未確認 1 份",
     FULL_REPORT],
    ["待認證最多的教師", "認證天數：已處理件數的中位數",
     "教師 | 待認證 | 認證天數 | 最久",
     "WANG老師 | 3 件 | 2 天 | 10 天",
     "LIN老師 | 1 件 | — | 1 天",
     FULL_REPORT],
]


def test_registry_staff_see_three_phone_sized_bubbles(chat, school):
    answer = chat(uid("hsu")).say("統計")
    assert len(answer) == 1 and answer[0]["type"] == "flex"
    check_messages(answer)
    carousel = answer[0]["contents"]
    assert carousel["type"] == "carousel" and [b["size"] for b in carousel["contents"]] == ["mega"] * 3
    assert rendered(answer[0]) == SMALL_SCHOOL
    assert "/console/login/" not in json.dumps(answer, ensure_ascii=False)  # no sign-in link until 完整報表 is tapped
    assert answer[0]["altText"] == "\n".join([
        "114-1 學期統計（2025-11-20 10:00 為止）",
        "認證率 38%（已認證 3 / 送出 8 件，待認證 4 件）",
        "勾選率 25%（已勾選 1 / 可勾選 4 人）",
        "收訖明細確認率 50%（已確認 3 / 6 份）",
        "教師認證天數中位數 2.5 天",
        "認證率最低：101 25%、102 33%",
        "勾選率最低：102 0%、201 0%、101 50%",
        "收訖明細確認率最低：101 50%、102 50%",
        "待認證最多：WANG老師 3 件、LIN老師 1 件"])


def test_figures_sit_in_their_own_cells_and_never_wrap(chat, school):
    answer = chat(uid("hsu")).say("統計")
    rows = [r for b in answer[0]["contents"]["contents"] for r in b["body"]["contents"]
            if r["type"] == "box" and r["layout"] == "horizontal"]
    assert len(rows) == 5 + 3 + 7 + 3  # totals, rate headings, class rows, teacher header and rows
    for row in rows:
        for figure in row["contents"][1:]:  # the name or class code on the left may wrap; the figures may not
            assert (figure["wrap"], figure["adjustMode"], figure["align"]) == (False, "shrink-to-fit", "end")


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


def headed_sections(bubble: dict) -> list[tuple[str, list[str]]]:
    """A bubble's body as (heading, the lines under it) in order: a heading is a row or text in bold."""
    sections: list[tuple[str, list[str]]] = []
    for node in bubble["body"]["contents"]:
        first = node["contents"][0] if node["type"] == "box" else node
        if node["type"] == "separator":
            continue
        if first.get("weight") == "bold":
            sections.append((first["text"], []))
        else:
            assert sections, f"{cells(node)!r} has no heading above it on its bubble"
            sections[-1][1].append(cells(node))
    return sections


def big_school() -> Rates:
    classes = tuple(ClassRate(f"{100 + i}", 40, 100, 50 + i % 7, 5, 45 - i % 7, 40, 20 + i % 11, 40, 10 + i % 13)
                    for i in range(400))
    teachers = tuple(TeacherRate(f"T{i:04d}", "老師" * 5, 30, 2.5, i, 19) for i in range(300))
    days = tuple(DayRate(date(2025, 11, 1) + timedelta(days=i), i, 1000) for i in range(14))
    conf = (Confirmation("114-1", "全校", NOW, NOW, days),)
    return Rates("114-1", NOW, classes, conf, teachers, ClassRate("全校", 1, 1, 1, 0, 0, 1, 1), 2.5)


def test_a_big_school_still_gets_three_short_bubbles_each_heading_over_its_own_lines():
    message = msg.stats(big_school(), TZ)
    check_messages([message])
    bubbles = message["contents"]["contents"]
    assert [b["header"]["contents"][0]["text"] for b in bubbles] == ["全校", "落後的班級", "待認證最多的教師"]
    assert [b["size"] for b in bubbles] == ["mega"] * 3
    assert all(len(b["body"]["contents"]) <= 15 for b in bubbles)
    classes = headed_sections(bubbles[1])
    assert [(heading, len(lines)) for heading, lines in classes] == [("認證率", 3), ("勾選率", 3), ("收訖明細確認率", 3)]
    assert [cells(b["body"]["contents"][0]) for b in bubbles[1:2]] == ["認證率 | 400 班未完成"]
    assert classes[0][1] == ["100 | 50% | 待認證 45 件", "107 | 50% | 待認證 45 件", "114 | 50% | 待認證 45 件"]
    assert classes[1][1] == ["100 | 50% | 未勾選 20 人", "111 | 50% | 未勾選 20 人", "122 | 50% | 未勾選 20 人"]
    assert classes[2][1] == ["100 | 25% | 未確認 30 份", "113 | 25% | 未確認 30 份", "126 | 25% | 未確認 30 份"]
    teachers = headed_sections(bubbles[2])
    assert teachers == [("教師", [
        "老師老師老師老師老師 | 299 件 | 2.5 天", "老師老師老師老師老師 | 298 件 | 2.5 天", "老師老師老師老師老師 | 297 件 | 2.5 天",
        "老師老師老師老師老師 | 296 件 | 2.5 天", "老師老師老師老師老師 | 295 件 | 2.5 天", "每位最久的一件都已等 19 天"])]
    assert cells(bubbles[2]["body"]["contents"][0]) == "教師 | 待認證 | 認證天數"  # the same 最久 for all: no column


def test_the_worst_classes_on_each_rate_are_the_lowest_with_something_left_to_do():
    #            code   students sent cert fail pend can_pick picked batches confirmed
    classes = (ClassRate("301", 10, 10, 9, 0, 1, 10, 10, 10, 2),   # 認證 90%; picked all; 確認 20%
               ClassRate("302", 10, 10, 5, 0, 5, 10, 3, 10, 10),   # 認證 50%; 勾選 30%; confirmed all
               ClassRate("303", 10, 10, 5, 0, 3, 10, 3, 0, 0),     # 認證 50% (2 failed, 3 pending); no batches
               ClassRate("304", 10, 0, 0, 0, 0, 10, 9, 10, 5),     # nothing sent; 勾選 90%; 確認 50%
               ClassRate("305", 10, 10, 10, 0, 0, 0, 0, 10, 2),    # all certified; none can pick; 確認 20%
               ClassRate("306", 10, 10, 2, 0, 8, 10, 3, 20, 4))    # 認證 20%; 勾選 30% (7 left); 確認 20% (16 left)
    rates = Rates("114-1", NOW, classes, (), (), classes[0], None)
    sections = dict(headed_sections(msg.stats(rates, TZ)["contents"]["contents"][1]))
    assert sections == {
        "認證率": ["306 | 20% | 待認證 8 件", "302 | 50% | 待認證 5 件", "303 | 50% | 待認證 3 件"],
        "勾選率": ["302 | 30% | 未勾選 7 人", "303 | 30% | 未勾選 7 人", "306 | 30% | 未勾選 7 人"],
        "收訖明細確認率": ["306 | 20% | 未確認 16 份", "301 | 20% | 未確認 8 份", "305 | 20% | 未確認 8 份"],
    }
    assert [c.code for c in msg.behind_on(rates, msg.MEASURES[0])] == [c.code for c in rates.behind_classes(10)]
    done = Rates("114-1", NOW, tuple(ClassRate(c, 10, 10, 10, 0, 0, 10, 10, 10, 10) for c in ("301", "302")),
                 (), (), classes[0], None)
    assert dict(headed_sections(msg.stats(done, TZ)["contents"]["contents"][1])) == {
        "認證率": ["沒有待認證的班級 🎉"], "勾選率": ["可勾選的學生都已勾選 🎉"], "收訖明細確認率": ["收訖明細都已確認 🎉"]}
    nothing = Rates("114-1", NOW, (ClassRate("301", 10, 0, 0, 0, 0, 0, 0),), (), (), classes[0], None)
    assert dict(headed_sections(msg.stats(nothing, TZ)["contents"]["contents"][1])) == {
        "認證率": ["尚無送出認證的成果"], "勾選率": ["尚無可勾選的學生"], "收訖明細確認率": ["尚無收訖明細"]}


# -- 完整報表 ------------------------------------------------------------------------------
def test_完整報表_answers_with_a_fresh_one_time_link_that_signs_in_to_the_report(chat, school, client):
    hsu = chat(uid("hsu"))
    answer = hsu.say("統計")
    assert postbacks_of(answer) == [f"a={msg.REPORT_ACTION}"] * 3  # the same button on each bubble
    link = hsu.tap(postbacks_of(answer)[0])
    check_messages(link)
    buttons = [b["action"] for b in objects_in(link) if b.get("type") == "button"]
    assert [(b["type"], b["label"]) for b in buttons] == [("uri", "開啟完整報表")]
    url = buttons[0]["uri"]
    assert url.startswith(PUBLIC_URL + "/console/login/") and url not in link[0]["altText"]
    assert "10 分鐘內有效，只能使用一次" in texts_of(link)
    signed_in = client.get(url.removeprefix(PUBLIC_URL))
    assert signed_in.status_code == 302 and signed_in.headers["Location"].endswith("/console/")
    page = client.get("/console/").get_data(as_text=True)
    assert "總覽（114-1 學期）" in page and "各班勾選率" in page and "HSU老師（註冊組）" in page
    assert "認證率 38%（已認證 3 / 送出 8 件，待認證 4 件）" in page
    client.post("/console/logout", data={"csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)})
    again = client.get(url.removeprefix(PUBLIC_URL))
    assert again.status_code == 403 and "已經用過了" in again.get_data(as_text=True)
    second = [b["action"]["uri"] for b in objects_in(hsu.tap(f"a={msg.REPORT_ACTION}")) if b.get("type") == "button"]
    assert second and second[0] != url  # a new tap, a new link
    assert client.get(second[0].removeprefix(PUBLIC_URL)).status_code == 302


def test_完整報表_is_for_staff_only(chat, school, db):
    body = texts_of(chat(uid("wang")).tap(f"a={msg.REPORT_ACTION}"))
    assert texts.NOT_FOR_YOUR_ROLE in body and "/console/login/" not in body
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsoleToken)) == 0


def test_without_the_console_統計_says_so_and_points_to_the_xlsx(chat, school, services, db):
    services.settings = services.settings.with_(public_url=None)
    hsu = chat(uid("hsu"))
    answer = hsu.say("統計")
    check_messages(answer)
    assert postbacks_of(answer) == []
    first = rendered(answer[0])[0]
    assert first[-1] == ("完整報表：後台尚未設定網址或金鑰（PUBLIC_URL、SECRET_KEY），請洽系統管理者。"
                         "XLSX 報表可請系統管理者在伺服器執行 portfolio-bot stats --xlsx 統計.xlsx 匯出。")
    assert [bubble[-1] for bubble in rendered(answer[0])[1:]] == ["102 | 50% | 未確認 1 份", "LIN老師 | 1 件 | — | 1 天"]
    tapped = hsu.tap(f"a={msg.REPORT_ACTION}")  # a button from before the console was taken down
    assert [m["text"] for m in tapped] == ["後台尚未設定網址或金鑰（PUBLIC_URL、SECRET_KEY），請洽系統管理者。\n"
                                           "XLSX 報表可請系統管理者在伺服器執行 portfolio-bot stats --xlsx 統計.xlsx 匯出。"]
    assert [m["text"] for m in hsu.say("後台")] == ["後台尚未設定網址或金鑰（PUBLIC_URL、SECRET_KEY），請洽系統管理者。"]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsoleToken)) == 0
