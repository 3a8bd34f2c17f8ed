"""說明 (FAQ) per issue #4 item 5: what counts, the limits, files, confirmation, whom to ask; never silence."""
from __future__ import annotations

import pytest

from tests.helpers import texts_of
from tests.student_school import NOW, School, build, uid


@pytest.fixture
def school(db, services) -> School:
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


def _quick(message: dict) -> list[tuple[str, str]]:
    return [(i["action"]["label"], i["action"]["text"]) for i in message["quickReply"]["items"]]


def test_faq_states_the_rules_and_offers_topics(school, chat):
    answer = chat(uid("fix")).say("說明")
    text = texts_of(answer)
    for fact in ("課程學習成果", "多元表現", "至多 6 件", "勾選至多 10 件", "pdf/jpg/png 不超過 4 MB",
                 "mp3/mp4 不超過 10 MB", "簡述至多 100 字", "至少 3 天", "視為確認", "註冊組", "教學組", "訓育組"):
        assert fact in text, fact
    quick = _quick(answer[0])
    assert quick[:5] == [("成果", "說明 成果"), ("表現", "說明 表現"), ("檔案", "說明 檔案"), ("確認", "說明 確認"),
                         ("找誰", "說明 找誰")]
    assert ("我的進度", "我的進度") in quick and len(quick) <= 13


@pytest.mark.parametrize("asked, expected", [
    ("說明 成果", "並經任課教師認證"), ("說明 課程學習成果", "「認證失敗」（退回）"),
    ("說明：表現", "不限當學年度"), ("說明 多元表現", "服務學習"),
    ("說明 檔案", "每件 100 字以內"), ("說明 確認", "第 1、3、5 學期是幹部經歷、修課紀錄"),
    ("說明 收訖明細", "「提出疑義」"), ("說明 找誰", "註冊組：學習歷程平臺帳號"),
])
def test_topics(school, chat, asked, expected):
    assert expected in texts_of(chat(uid("fix")).say(asked))


def test_unbound_people_read_the_faq_too(school, chat):
    assert "【收訖明細確認】" in texts_of(chat(uid("out")).say("說明 確認"))
    assert "課程學習成果" in texts_of(chat(uid("out")).say("說明"))


def test_free_text_gets_a_short_menu(school, chat):
    answer = chat(uid("fix")).say("今天天氣如何")
    assert "我看不懂" in texts_of(answer)
    assert [label for label, _ in _quick(answer[0])] == ["我的進度", "期限", "收訖明細", "設定", "說明"]


def test_an_objection_reason_may_start_with_the_word_help(school, chat, db):
    me = chat(uid("fix"))
    batch = school.batches["fix:114-2"]
    me.tap(f"a=rc_item&b={batch}&i=course_record")
    assert "確認送出疑義" in texts_of(me.say("說明：物理應為 3 學分"))
    assert "已收到你對" in texts_of(me.tap(f"a=rc_send&b={batch}&i=course_record"))


def test_who_to_ask_follows_the_schools_division_of_work(school, chat):
    # Seed (002, 附表一 分工明細表): 註冊組「帳號開設、障礙排除、使用者疑問及系統相關問題處理」;
    # 教學組「每學年提交學生勾選之 6件課程學習成果上傳中央」; 學務處「提交學生勾選之10件(校內外)多元表現」.
    text = texts_of(chat(uid("fix")).say("說明 找誰"))
    assert "註冊組：學習歷程平臺帳號與登入、使用上的疑問與系統問題" in text
    assert "教學組：把你勾選的課程學習成果提交中央資料庫" in text
    assert "學務處（訓育組）：幹部經歷、多元表現" in text
    assert "教學組：課程學習成果（上傳、認證" not in text  # 教學組 does not answer upload questions


def test_uploading_is_invited_never_ordered(school, chat):
    # Seed (000): 「件數應適當，且不應強制規定學生應上傳課程學習成果之科目及件數」.
    from messages import homeroom, reminders

    faq = texts_of(chat(uid("fix")).say("說明 成果"))
    assert "本校規定" in faq and "不強制規定科目與件數" in faq
    opening = "\n".join(reminders.outcome_upload_opening("115-1", "10/20").lines)
    assert "想上傳的成果請在截止前完成" in opening and "本校規定" in opening
    from bot.domain.queries.homeroom import EMPTY, ClassList, ListRow
    from tests.student_school import TZ

    nudge = homeroom.student_nudge(ClassList(EMPTY, 1, "101", "115-1", (ListRow(1, 1, "甲"),), None), TZ)["text"]
    assert "有想留下的作品或表現，記得在期限內上傳" in nudge and "請記得在期限內上傳" not in nudge
