"""我的進度 and 期限 through the signed webhook, for students in every situation."""
from __future__ import annotations

import pytest

from bot.infra.config import SchoolRules
from tests.helpers import texts_of
from tests.student_school import NOW, School, build, uid


@pytest.fixture
def school(db, services) -> School:
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


def _bubble(messages: list[dict]) -> dict:
    assert len(messages) == 1 and messages[0]["type"] == "flex", messages
    return messages[0]


def test_nothing_uploaded(school, chat):
    message = _bubble(chat(uid("nil")).say("我的進度"))
    text = texts_of([message])
    assert "本學期還沒有上傳任何課程學習成果" in text
    assert "可再上傳 6 件（本校上限 6）" in text
    assert "0/20 件" in text and "0/6 件" in text and "0/10 件" in text
    # the next deadline that concerns them: 課程學習成果上傳 ends 10/20 (the 認證 window is the teachers')
    assert "課程學習成果上傳 10/20（二）23:59（還有 5 天）" in text
    assert message["altText"].startswith("我的進度（115-1）")
    assert "尚未上傳" in message["altText"]


def test_all_certified(school, chat):
    message = _bubble(chat(uid("ace")).say("我的進度"))
    text = texts_of([message])
    assert "已認證" in text and "3 件" in text
    assert "認證失敗" not in text and "尚未送出" not in text
    assert "可再上傳 3 件" in text
    assert "2/6 件" in text  # picks of outcomes
    assert "2/20 件" in text and "1/10 件" in text
    assert "已認證 3" in message["altText"]


def test_some_failed_shows_reason_and_what_to_do(school, chat):
    message = _bubble(chat(uid("fix")).say("我的進度"))
    text = texts_of([message])
    assert "認證失敗" in text and "檔案無法開啟，請改存 PDF" in text
    assert "請依老師說明修改後，在 10/20（二）23:59 前重新送出認證" in text
    assert "有 1 件尚未送出認證" in text
    assert "認證失敗 1" in message["altText"] and "重新送出認證" in message["altText"]


def test_over_the_limit(school, chat):
    text = texts_of(chat(uid("max")).say("我的進度"))
    assert "已上傳 7 件，超過本校每學期上限 6 件" in text
    assert "21/20 件" in text and "超過本校規定每學年上限 20 件" in text
    assert "課程學習成果勾選超過上限 6 件" in text
    assert "多元表現勾選超過上限 10 件" in text


def test_details_on_tap(school, chat):
    me = chat(uid("fix"))
    bubble = _bubble(me.say("我的進度"))
    buttons = [c["action"] for c in bubble["contents"]["footer"]["contents"]]
    datas = [a["data"] for a in buttons if a["type"] == "postback"]
    assert datas == ["a=st&v=outcomes", "a=st&v=performances", "a=st&v=picks"]
    outcomes = texts_of(me.tap(datas[0]))
    assert "■ 認證失敗（1 件）" in outcomes and "老師的說明：檔案無法開啟，請改存 PDF" in outcomes
    assert "■ 待認證（1 件）" in outcomes and "■ 未送出（1 件）" in outcomes
    performances = texts_of(chat(uid("ace")).tap(datas[1]))
    assert "115 學年度多元表現】2/20 件" in performances and "比賽1（已勾選）" in performances
    picks = texts_of(chat(uid("ace")).tap(datas[2]))
    assert "課程學習成果 2/6 件" in picks and "多元表現 1/10 件" in picks
    assert "目前不在勾選期間" in picks


def test_detail_view_is_validated(school, chat):
    assert "已失效" in texts_of(chat(uid("fix")).tap("a=st&v=../../etc"))
    # a student id in the data is ignored: the view is always the sender's own
    mine = texts_of(chat(uid("nil")).tap(f"a=st&v=outcomes&student={school.ids['fix']}"))
    assert "本學期還沒有上傳任何課程學習成果" in mine and "檔案無法開啟" not in mine


def test_deadlines(school, chat):
    text = texts_of(chat(uid("fix")).say("期限"))
    assert "■ 開放中" in text and "■ 即將開始" in text
    assert "課程學習成果上傳（115-1）\n  截止 10/20（二）23:59，還有 5 天" in text
    assert "收訖明細確認（114-2）\n  截止 10/17（六）23:59，還有 2 天" in text
    assert "勾選（115-1）\n  10/25（日）08:00 開始（10 天後）" in text
    assert "114-1" not in text  # closed windows are not listed
    # where the student stands on each open window
    assert "上傳課程學習成果並送出認證\n  你：1 件未送出、1 件認證失敗待修改" in text
    assert "確認收訖明細，有疑義在期限內提出\n  你：收訖明細待確認" in text
    assert "你：1 件待老師認證" in text
    assert text.index("收訖明細確認（114-2）") < text.index("課程學習成果上傳（115-1）")  # soonest end first


def test_deadlines_only_for_the_students_audience(school, chat):
    text = texts_of(chat(uid("sen")).say("期限"))  # 高二: the 114-2 receipt window is for 高一
    assert "收訖明細確認" not in text and "課程學習成果上傳（115-1）" in text
    assert "你：已上傳 0 件，沒有待處理的" in text
    confirmed = texts_of(chat(uid("ace")).say("期限"))
    assert "你：沒有待確認的收訖明細" in confirmed and "你：已上傳 3 件，沒有待處理的" in confirmed


def test_deadlines_in_the_school_time_zone(school, chat, services):
    services.settings = services.settings.with_(school_tz="America/Los_Angeles")
    text = texts_of(chat(uid("fix")).say("期限"))
    # 10/20 23:59 Taipei is 10/20 08:59 in Los Angeles
    assert "截止 10/20（二）08:59" in text and "America/Los_Angeles" in text


def test_unbound_gets_how_to_bind(school, chat):
    for words in ("我的進度", "期限", "收訖明細", "設定"):
        text = texts_of(chat(uid("out")).say(words))
        assert "請先綁定身分" in text, words


def test_teacher_is_told_it_is_not_for_them(school, chat):
    assert "不適用於您的身分" in texts_of(chat(uid("wang")).say("我的進度"))


def test_status_takes_the_same_few_queries_whatever_the_number_of_items(school, db):
    from sqlalchemy import event

    from bot.domain.queries.student import batches_of, status_of
    from tests.student_school import TZ

    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        used = {}
        for name in ("nil", "max"):  # nothing at all / 7 outcomes, 21 performances, a batch
            statements.clear()
            with db.session() as session:
                status_of(session, school.ids[name], NOW, TZ)
                batches_of(session, school.ids[name], NOW)
            used[name] = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert used["max"] <= used["nil"] + 3 and used["max"] <= 14, used


def test_a_pick_left_on_an_item_not_certified_is_neither_counted_nor_shown(school, chat, db):
    # Seed (004, 勾選): 「每學年至多 勾選 6 件 ★ 需教師認證」: only certified items can be picked, so a
    # 勾選 stored on fix's 認證失敗 and 待認證 items (an older import) counts for nothing.
    from sqlalchemy import update

    from bot.infra.models import Outcome

    with db.session() as s:
        s.execute(update(Outcome).where(Outcome.student_id == school.ids["fix"]).values(picked=True))
    me = chat(uid("fix"))
    assert "0/6 件" in texts_of(me.say("我的進度"))
    assert "已勾選" not in texts_of(me.tap("a=st&v=outcomes"))
    picks = texts_of(me.tap("a=st&v=picks"))
    assert "課程學習成果 0/6 件" in picks and "作品" not in picks


def test_the_upload_limit_is_the_schools_setting(school, chat, services, db, tmp_path):
    # Seed (000, 課程學習成果): 「並應經任課教師認證；其件數由學校定之」 — the school's number (本校規定),
    # 臺南二中's 6 by default (seed 002: 「其件數至多6件」); OUTCOME_UPLOADS_PER_TERM changes it.
    from bot.domain.importer import import_files
    from tests.student_school import TZ

    services.settings = services.settings.with_(school=SchoolRules(outcome_uploads_per_term=4))
    me = chat(uid("ace"))                      # ace has 3 outcomes this term
    assert "可再上傳 1 件（本校上限 4）" in texts_of(me.say("我的進度"))
    assert "每學期至多上傳 4 件（本校規定" in texts_of(me.say("說明"))
    assert "每學期至多上傳 4 件（本校規定" in texts_of(me.say("說明 成果"))
    extra = tmp_path / "outcomes.csv"
    extra.write_text("成果編號,學號,學年度,學期,課程代碼,成果名稱,狀態,送出時間,認證時間,認證說明,勾選\n"
                     "N1,S-ace,115,1,物理,新作品1,待認證,2026-10-10,,,否\n"
                     "N2,S-ace,115,1,化學,新作品2,待認證,2026-10-10,,,否\n", encoding="utf-8")
    report = import_files(db, [extra], TZ, now=NOW, school=SchoolRules(outcome_uploads_per_term=4))
    assert not report.ok and "超過本校規定每學期 4 件的上限" in str(report.errors[0])
    assert import_files(db, [extra], TZ, now=NOW).ok           # 6, the default, takes them
