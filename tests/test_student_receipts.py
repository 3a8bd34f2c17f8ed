"""收訖明細 through the signed webhook: view, confirm (once, only inside the window), objections, tampering."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.infra.models import Objection, OutboxMessage, ReceiptBatch
from bot.infra.vocab import ReceiptItem
from tests.helpers import postbacks_of, texts_of
from tests.student_school import NOW, School, build, local, uid


@pytest.fixture
def school(db, services) -> School:
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


def _batch(db, batch_id: int) -> ReceiptBatch:
    with db.session() as session:
        batch = session.get(ReceiptBatch, batch_id)
        session.expunge(batch)
        return batch


def test_no_receipts(school, chat):
    text = texts_of(chat(uid("nil")).say("收訖明細"))
    assert "目前沒有你的收訖明細" in text and "至少 3 天" in text


def test_batch_grouped_by_item_with_two_choices(school, chat):
    messages = chat(uid("fix")).say("收訖明細")
    assert len(messages) == 1 and messages[0]["type"] == "flex"
    text = texts_of(messages)
    for heading in ("幹部經歷", "修課紀錄", "課程學習成果", "多元表現"):
        assert heading in text
    assert "• 物理 2 學分" in text and "• 數學 4 學分" in text
    assert "待確認：截止 10/17（六）23:59（還有 2 天）" in text
    batch = school.batches["fix:114-2"]
    assert postbacks_of(messages) == [f"a=rc_ok&b={batch}", f"a=rc_obj&b={batch}"]
    assert messages[0]["altText"].startswith("收訖明細\n114-2 收訖明細（幹部經歷 1 筆、修課紀錄 2 筆")


def test_confirm_is_recorded_with_its_time_and_idempotent(school, chat, db):
    me = chat(uid("fix"))
    batch_id = school.batches["fix:114-2"]
    first = texts_of(me.tap(f"a=rc_ok&b={batch_id}"))
    assert "已確認 114-2 收訖明細無誤（10/15（四）10:00）" in first
    batch = _batch(db, batch_id)
    assert batch.confirmed_at == NOW and batch.confirmed_how == "student"
    second = texts_of(me.tap(f"a=rc_ok&b={batch_id}"))
    assert "已於 10/15（四）10:00 確認過了，不需要再確認" in second
    assert _batch(db, batch_id).confirmed_at == NOW
    # once confirmed, the buttons are gone and the batch says so
    shown = me.say("收訖明細")
    assert postbacks_of(shown) == [] and "已確認：10/15（四）10:00" in texts_of(shown)


def test_already_confirmed_shows_no_buttons(school, chat):
    messages = chat(uid("ace")).say("收訖明細")
    assert postbacks_of(messages) == []
    assert "已確認：10/14（三）20:00" in texts_of(messages)


def test_refused_outside_the_window(school, chat, db, services):
    old = school.batches["old:114-1"]
    messages = chat(uid("old")).say("收訖明細")
    assert postbacks_of(messages) == [] and "確認期間已於 3/5（四）23:59 結束" in texts_of(messages)
    refused = texts_of(chat(uid("old")).tap(f"a=rc_ok&b={old}"))
    assert "確認期間已於 3/5（四）23:59 結束" in refused and "視為確認" in refused
    assert texts_of(chat(uid("old")).tap(f"a=rc_obj&b={old}")).count("結束") == 1
    assert _batch(db, old).confirmed_at is None
    # before the window opens
    services.clock = lambda: local("2026-10-12 09:00")
    early = texts_of(chat(uid("fix")).tap(f"a=rc_ok&b={school.batches['fix:114-2']}"))
    assert "確認期間還沒開始（10/13（二）08:00 開始）" in early
    assert _batch(db, school.batches["fix:114-2"]).confirmed_at is None


def test_refused_when_no_window_is_for_the_student(school, chat, db):
    sen = school.batches["sen:114-2"]  # the 114-2 window is for 高一; sen is in 201
    text = texts_of(chat(uid("sen")).tap(f"a=rc_ok&b={sen}"))
    assert "學校尚未公告 114-2 收訖明細的確認期間" in text
    assert _batch(db, sen).confirmed_at is None


def test_tampered_batch_id_of_another_student_is_refused(school, chat, db):
    other = school.batches["max:114-2"]
    me = chat(uid("fix"))
    for data in (f"a=rc_ok&b={other}", f"a=rc_obj&b={other}", f"a=rc_item&b={other}&i=cadre"):
        assert "找不到這份收訖明細" in texts_of(me.tap(data)), data
    assert _batch(db, other).confirmed_at is None
    # an unbound account posting a real batch id gets the binding help, nothing else
    assert "請先綁定身分" in texts_of(chat(uid("out")).tap(f"a=rc_ok&b={other}"))
    # a teacher cannot confirm a student's batch either
    assert "不適用於您的身分" in texts_of(chat(uid("reg")).tap(f"a=rc_ok&b={other}"))
    assert _batch(db, other).confirmed_at is None
    # the text that follows is not taken as an objection for anyone
    assert "我看不懂" in texts_of(me.say("物理應為 3 學分"))
    with db.session() as session:
        assert session.scalar(select(func.count(Objection.id))) == 0


@pytest.mark.parametrize("data", [
    "a=rc_ok", "a=rc_ok&b=", "a=rc_ok&b=1%20OR%201=1", "a=rc_ok&b=-1", "a=rc_ok&b=99999999999999",
    "a=rc_item&b=2&i=grades", "a=rc_item&b=2",
])
def test_malformed_postback_data(school, chat, db, data):
    text = texts_of(chat(uid("fix")).tap(data))
    assert "已失效" in text or "找不到" in text
    assert _batch(db, school.batches["fix:114-2"]).confirmed_at is None


def _object(me, batch_id: int, item: str, reason: str) -> str:
    """Tap 提出疑義, pick the item, type the reason, tap 送出; the answer to 送出."""
    choose = me.tap(f"a=rc_obj&b={batch_id}")
    assert f"a=rc_item&b={batch_id}&i={item}" in postbacks_of(choose)
    asked = texts_of(me.tap(f"a=rc_item&b={batch_id}&i={item}"))
    assert "300 字以內" in asked
    shown = me.say(reason)
    assert reason in texts_of(shown) and "確認送出疑義" in texts_of(shown)
    assert postbacks_of(shown) == [f"a=rc_send&b={batch_id}&i={item}"]
    return texts_of(me.tap(postbacks_of(shown)[0]))


def test_objection_reaches_the_office_and_the_answer_comes_back(school, chat, db, line_api, env_cli):
    me = chat(uid("fix"))
    batch_id = school.batches["fix:114-2"]
    answer = _object(me, batch_id, "course_record", "物理應為 3 學分")
    assert "已收到你對 114-2 收訖明細「修課紀錄」的疑義（10/15（四）10:00），已轉給註冊組處理" in answer
    with db.session() as session:
        objection = session.scalars(select(Objection)).one()
        assert (objection.item.value, objection.reason, objection.created_at) == \
            ("course_record", "物理應為 3 學分", NOW)
        objection_id = objection.id
    # one push to 註冊組 (its only member), nobody else
    office = line_api.sent_to(uid("reg"))
    assert [d.via for d in office] == ["push"]
    notice = texts_of(office[0].messages)
    assert f"收訖明細疑義 #{objection_id}" in notice and "FIX同學（學號 S-fix）" in notice
    assert "物理應為 3 學分" in notice and "101 班 3 號" in notice
    for other in ("aca", "act1", "act2", "wang"):
        assert line_api.sent_to(uid(other)) == []
    # the office lists it and resolves it; the student is told by push
    listed = env_cli("list")
    assert listed.exit_code == 0 and f"#{objection_id}" in listed.output and "處理中" in listed.output
    resolved = env_cli("resolve", str(objection_id), "--text", "已更正為 3 學分", "--by", "註冊組")
    assert resolved.exit_code == 0, resolved.output
    assert "已用 LINE 通知學生處理結果" in resolved.output
    pushed = line_api.sent_to(uid("fix"))[-1]
    assert pushed.via == "push"
    assert "註冊組已處理：\n已更正為 3 學分" in texts_of(pushed.messages)
    assert "沒有待處理的疑義" in env_cli("list").output
    assert "已更正為 3 學分" in env_cli("list", "--all").output
    # resolving twice tells the student nothing more
    pushes = len(line_api.calls("push"))
    again = env_cli("resolve", str(objection_id), "--text", "再一次")
    assert again.exit_code != 0 and "處理過" in again.output
    assert len(line_api.calls("push")) == pushes
    # the student sees the answer in 收訖明細
    assert "疑義（修課紀錄）已回覆：已更正為 3 學分" in texts_of(me.say("收訖明細"))


def test_objection_to_an_office_of_two_is_one_multicast(school, chat, line_api):
    answer = _object(chat(uid("fix")), school.batches["fix:114-2"], "performance", "少了科展佳作的證明")
    assert "已轉給訓育組處理" in answer
    calls = line_api.calls("multicast")
    assert len(calls) == 1 and sorted(calls[0].body["to"]) == sorted([uid("act1"), uid("act2")])
    assert line_api.calls("push") == []


def test_objection_is_idempotent_per_item(school, chat, db, line_api):
    me = chat(uid("fix"))
    batch_id = school.batches["fix:114-2"]
    _object(me, batch_id, "outcome", "少一件成果")
    # a double tap on 送出: told it is pending, nothing more recorded or pushed
    assert "已送出，教學組處理中" in texts_of(me.tap(f"a=rc_send&b={batch_id}&i=outcome"))
    # choosing the same item again: told it is pending, nothing more recorded or pushed
    assert "已送出，教學組處理中" in texts_of(me.tap(f"a=rc_item&b={batch_id}&i=outcome"))
    assert "我看不懂" in texts_of(me.say("少一件成果"))
    with db.session() as session:
        assert session.scalar(select(func.count(Objection.id))) == 1
        assert session.scalar(select(func.count(OutboxMessage.id))) == 1
    assert len(line_api.sent_to(uid("aca"))) == 1


def test_objection_reason_limits_and_cancel(school, chat, db):
    me = chat(uid("fix"))
    batch_id = school.batches["fix:114-2"]
    me.tap(f"a=rc_obj&b={batch_id}")
    me.tap(f"a=rc_item&b={batch_id}&i=cadre")
    too_long = texts_of(me.say("字" * 301))
    assert "最多 300 字，你輸入了 301 字" in too_long
    # a menu word is still a command while writing
    assert "我的進度" in texts_of(me.say("我的進度"))
    assert "已取消" in texts_of(me.say("取消"))
    assert "我看不懂" in texts_of(me.say("字" * 300))
    with db.session() as session:
        assert session.scalar(select(func.count(Objection.id))) == 0
    # exactly 300 characters is accepted
    assert "已收到你對" in _object(me, batch_id, "cadre", "字" * 300)


def test_objection_refused_after_confirming(school, chat):
    me = chat(uid("ace"))
    text = texts_of(me.tap(f"a=rc_obj&b={school.batches['ace:114-2']}"))
    assert "你已確認 114-2 收訖明細，不能再提出疑義" in text


def test_the_conversation_expires(school, chat, services, db):
    me = chat(uid("fix"))
    batch_id = school.batches["fix:114-2"]
    me.tap(f"a=rc_item&b={batch_id}&i=cadre")
    services.store.delete(f"conv:{uid('fix')}")  # what the TTL does after a few minutes
    assert "我看不懂" in texts_of(me.say("學藝股長應為副班長"))
    # expired between the reason and 送出
    me.tap(f"a=rc_item&b={batch_id}&i=cadre")
    me.say("學藝股長應為副班長")
    services.store.delete(f"conv:{uid('fix')}")
    assert "已逾時或已取消，沒有送出" in texts_of(me.tap(f"a=rc_send&b={batch_id}&i=cadre"))
    with db.session() as session:
        assert session.scalar(select(func.count(Objection.id))) == 0


@pytest.fixture
def env_cli(migrated, line_api_server):
    import os

    from click.testing import CliRunner

    from bot.cli import main
    from tests.helpers import TOKEN

    _, url = line_api_server
    env = {"DATABASE_URL": migrated, "LINE_API_BASE": url, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_CHANNEL_SECRET": "x", "REDIS_URL": os.environ.get("REDIS_URL", "")}

    def run(*args: str):
        return CliRunner().invoke(main, ["objections", *args], env=env, catch_exceptions=False)
    return run


def test_conversation_state_lives_in_the_store_for_a_few_minutes(store):
    import time

    from bot.domain import conversation

    user = uid("fix")
    assert 60 <= conversation.TTL <= 900
    conversation.start(store, user, "objection", batch=3, item="cadre")
    assert conversation.get(store, user, "objection") == {"flow": "objection", "batch": 3, "item": "cadre"}
    assert conversation.get(store, user, "other") is None
    if hasattr(store, "client"):  # Redis: the key carries the TTL itself, so every process agrees
        assert 0 < store.client.ttl(store.prefix + f"conv:{user}") <= conversation.TTL
    conversation.start(store, user, "objection", ttl=1, batch=3, item="cadre")
    time.sleep(1.2)
    assert conversation.get(store, user) is None
    store.set(f"conv:{user}", "not json", 60)
    assert conversation.get(store, user) is None


def test_a_stray_message_is_never_sent_to_the_office(school, chat, db, line_api):
    me = chat(uid("fix"))
    batch_id = school.batches["fix:114-2"]
    me.tap(f"a=rc_item&b={batch_id}&i=cadre")
    me.say("我的進度")                      # the student wandered off ...
    again = me.say("謝謝")                  # ... and this is only shown back, not sent
    assert "確認送出疑義" in texts_of(again) and "謝謝" in texts_of(again)
    with db.session() as session:
        assert session.scalar(select(func.count(Objection.id))) == 0
    assert line_api.calls("push") == [] and line_api.calls("multicast") == []
    # typing again replaces the reason; 送出 sends the last one
    me.say("學藝股長應為副班長")
    assert "已收到你對" in texts_of(me.tap(f"a=rc_send&b={batch_id}&i=cadre"))
    with db.session() as session:
        assert session.scalars(select(Objection.reason)).all() == ["學藝股長應為副班長"]


def test_send_with_a_tampered_batch_or_item(school, chat, db):
    me = chat(uid("fix"))
    mine, other = school.batches["fix:114-2"], school.batches["max:114-2"]
    me.tap(f"a=rc_item&b={mine}&i=cadre")
    me.say("學藝股長應為副班長")
    for data in (f"a=rc_send&b={other}&i=cadre", f"a=rc_send&b={mine}&i=outcome", f"a=rc_send&b={mine}&i=x"):
        answer = texts_of(me.tap(data))
        assert "已逾時" in answer or "已失效" in answer, data
    with db.session() as session:
        assert session.scalar(select(func.count(Objection.id))) == 0


def test_several_batches_come_as_a_carousel_newest_first(school, chat, db):
    from bot.infra.models import ReceiptLine

    with db.session() as session:
        batch = ReceiptBatch(student_id=school.ids["max"], term_id=school.terms["114-1"].id)
        batch.lines = [ReceiptLine(item=ReceiptItem.cadre, content="班長")]
        session.add(batch)
    messages = chat(uid("max")).say("收訖明細")
    contents = messages[0]["contents"]
    assert contents["type"] == "carousel" and len(contents["contents"]) == 2
    titles = [b["header"]["contents"][0]["text"] for b in contents["contents"]]
    assert titles == ["🧾 114-2 收訖明細", "🧾 114-1 收訖明細"]
    assert messages[0]["altText"].splitlines()[1:] == [
        "114-2 收訖明細（幹部經歷 1 筆、修課紀錄 2 筆、課程學習成果 1 筆、多元表現 1 筆）：待確認：截止 10/17（六）23:59（還有 2 天）",
        "114-1 收訖明細（幹部經歷 1 筆）：確認期間已於 3/5（四）23:59 結束"]
    # only the open one has buttons
    assert postbacks_of(messages) == [f"a=rc_ok&b={school.batches['max:114-2']}",
                                      f"a=rc_obj&b={school.batches['max:114-2']}"]


def test_an_open_objection_blocks_confirming_and_deemed_confirmation(school, chat, db, services):
    # Seed (000, 收訖明細): 「逾公告期間未確認，或未向學校提出疑義者，視為已確認學校提交資料與學生上傳資料一致。」
    # and 「學生依前項規定提出疑義者，由學校相關單位依其權責，妥為處置。」: a batch under objection is the
    # office's to settle; the student is not asked to confirm it meanwhile, and it is never deemed confirmed.
    from scheduler.deemed import deem_confirmed

    me = chat(uid("fix"))
    batch_id = school.batches["fix:114-2"]
    recorded = _object(me, batch_id, "course_record", "物理應為 3 學分")
    assert "仍可點「確認無誤」" not in recorded and "不需要（也不能）按「確認無誤」" in recorded
    shown = me.say("收訖明細")
    assert postbacks_of(shown) == [f"a=rc_obj&b={batch_id}"]  # another 疑義 only: no 確認無誤
    assert "疑義處理中" in texts_of(shown) and "待確認" not in texts_of(shown)
    refused = texts_of(me.tap(f"a=rc_ok&b={batch_id}"))
    assert "疑義還在處理中，處理完成前不能按「確認無誤」" in refused
    assert _batch(db, batch_id).confirmed_at is None
    # the window closes (10/17 23:59): the batch with the open 疑義 is not deemed, the others are
    after = local("2026-10-18 00:05")
    assert deem_confirmed(services, after) >= 1
    assert _batch(db, batch_id).confirmed_at is None
    services.clock = lambda: after
    text = texts_of(me.say("收訖明細"))
    assert "疑義處理中" in text and "視為確認" not in text


def test_a_corrected_resubmission_replaces_the_lines_and_asks_for_confirmation_again(school, chat, db, line_api,
                                                                                      services, tmp_path):
    # Seed (000, 收訖明細): 「學生依前項規定提出疑義者，由學校相關單位依其權責，妥為處置」 and the student must
    # 「確認學校提交資料與學生上傳資料一致」: what the school corrects is the student's to confirm again.
    from bot.domain.importer import import_files
    from tests.student_school import TZ

    me = chat(uid("fix"))
    fix_batch, ace_batch = school.batches["fix:114-2"], school.batches["ace:114-2"]
    _object(me, fix_batch, "course_record", "物理應為 3 學分")
    assert _batch(db, ace_batch).confirmed_at is not None          # ace had confirmed
    pushes = len(line_api.calls("push"))
    corrected = tmp_path / "receipts.csv"
    corrected.write_text("學號,提交批次,項目,內容\n"
                         "S-fix,114-2,修課紀錄,物理 3 學分\nS-fix,114-2,修課紀錄,數學 4 學分\n"
                         "S-ace,114-2,幹部經歷,學藝股長\nS-ace,114-2,幹部經歷,圖書股長\n", encoding="utf-8")
    report = import_files(db, [corrected], TZ, now=NOW)
    assert report.ok and "更正收訖明細 2 份" in report.files[0].summary()
    assert "移除被更正的舊明細 1 筆" in report.files[0].summary()
    assert [r.ok for r in services.sender.deliver_many(report.outbox)] == [True, True]
    with db.session() as s:
        fix = s.get(ReceiptBatch, fix_batch)
        assert sorted(ln.content for ln in fix.lines if ln.item == ReceiptItem.course_record) == \
            ["數學 4 學分", "物理 3 學分"]                          # replaced, not added beside
        assert len(fix.lines) == 5                                 # the items the file left out are kept
        objection = s.scalars(select(Objection).where(Objection.batch_id == fix_batch)).one()
        assert objection.resolved_at == NOW and "更正" in objection.resolution
        assert s.get(ReceiptBatch, ace_batch).confirmed_at is None  # to be confirmed again
    # one push each, saying what changed and to confirm again by the window's end
    assert len(line_api.calls("push")) == pushes + 2
    told = texts_of(line_api.sent_to(uid("fix"))[-1].messages)
    assert "學校已更正你的 114-2 收訖明細（修課紀錄）" in told and "重新確認（截止 10/17（六）23:59）" in told
    assert "幹部經歷" in texts_of(line_api.sent_to(uid("ace"))[-1].messages)
    # fix can now confirm (no 疑義 open), and sees the corrected line
    shown = me.say("收訖明細")
    assert "物理 3 學分" in texts_of(shown) and "物理 2 學分" not in texts_of(shown)
    assert "已確認 114-2 收訖明細無誤" in texts_of(me.tap(f"a=rc_ok&b={fix_batch}"))
    # importing the same file again changes nothing and tells nobody
    again = import_files(db, [corrected], TZ, now=NOW)
    assert again.ok and again.outbox == [] and again.counts["receipts"].inserted == 0
