"""班級名單 and 一鍵提醒 through the signed webhook: the four lists by seat, the nudge's cost, once per
list per day, one message per student, and refusals across classes."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.infra.models import LineBinding, OutboxMessage, ReminderLedger, Window
from bot.infra.sender import QUOTA_FLAG
from bot.infra.vocab import PersonKind, WindowKind
from messages import homeroom as msg
from messages import texts
from tests.helpers import postbacks_of, texts_of
from tests.roles_school import NOW, build, local, uid


@pytest.fixture
def school(db, services):
    services.clock = lambda: NOW
    with db.session() as s:
        return build(s)


def data(action: str, key: str, class_id: int, **extra) -> str:
    return f"a={action}&l={key}&c={class_id}" + "".join(f"&{k}={v}" for k, v in extra.items())


def ledger(db) -> list[tuple]:
    with db.session() as s:
        return [(r.person_kind, r.person_id, r.rule, r.scope, r.stage, r.outbox_id is not None)
                for r in s.scalars(select(ReminderLedger).order_by(ReminderLedger.id))]


def test_overview_counts_each_list_of_the_own_class(chat, school):
    answer = chat(uid("wang")).say("班級名單")
    body = texts_of(answer)
    assert "101 班級名單" in body and "114-1 學期" in body
    assert "未確認收訖明細（2）" in body and "未勾選（1）" in body
    assert "認證失敗未修正（1）" in body and "本學期未上傳（1）" in body
    assert "截止 11/25（二）00:00" in body  # the 高一 receipt window
    c = school.classes["101"]
    assert set(postbacks_of(answer)) == {data(msg.LIST_ACTION, k, c) for k in ("unconfirmed", "unpicked", "failed",
                                                                            "empty")}


def test_each_list_is_seat_and_name_sorted_by_seat(chat, school):
    me, c = chat(uid("wang")), school.classes["101"]
    unconfirmed = texts_of(me.tap(data(msg.LIST_ACTION, "unconfirmed", c)))
    assert "02 BEN" in unconfirmed and "04 DAN" in unconfirmed and unconfirmed.index("02 BEN") < unconfirmed.index(
        "04 DAN")
    assert "AMY" not in unconfirmed and "CAT" not in unconfirmed and "IDA" not in unconfirmed
    assert "一鍵提醒（2 人）" in unconfirmed
    assert "02 BEN（多元表現）" in texts_of(me.tap(data(msg.LIST_ACTION, "unpicked", c)))
    assert "04 DAN（數學）" in texts_of(me.tap(data(msg.LIST_ACTION, "failed", c)))
    empty = texts_of(me.tap(data(msg.LIST_ACTION, "empty", c)))
    assert "05 IDA" in empty and "BEN" not in empty


def test_nudge_shows_cost_then_sends_one_message_per_student_once_a_day(chat, db, school, services, line_api):
    me, c = chat(uid("wang")), school.classes["101"]
    ask = me.tap(data(msg.NUDGE_ACTION, "unconfirmed", c))
    assert ask[0]["type"] == "template" and "2 位同學" in ask[0]["template"]["text"]
    assert "共計 2 則計費訊息" in ask[0]["template"]["text"]
    assert line_api.used == 0 and ledger(db) == []  # asking costs nothing and records nothing
    go = data(msg.NUDGE_GO_ACTION, "unconfirmed", c, n=2)
    assert go in postbacks_of(ask)
    done = texts_of(me.tap(go))
    assert "已提醒「未確認收訖明細」名單上 2 位同學，用掉 2 則計費訊息" in done
    assert line_api.used == 2
    for name in ("ben", "dan"):
        [got] = line_api.sent_to(uid(name))
        assert got.via == "multicast" and len(got.messages) == 1
        assert "收訖明細還沒確認" in got.messages[0]["text"] and "11/25" in got.messages[0]["text"]
    for name in ("amy", "cat", "ida"):
        assert line_api.sent_to(uid(name)) == []
    scope = f"class:{c}:2025-11-20"
    rows = ledger(db)
    assert sorted((k, p) for k, p, *_ in rows) == sorted([
        (PersonKind.teacher, school.ids["wang"]), (PersonKind.student, school.ids["ben"]),
        (PersonKind.student, school.ids["dan"])])
    assert {(r[2], r[3], r[4]) for r in rows} == {("nudge:unconfirmed", scope, "nudge")}
    assert all(r[5] for r in rows if r[0] == PersonKind.student)  # linked to the outbox row

    # the same day: refused, whether asked again or the old confirm is tapped again
    assert msg.ALREADY_TODAY in texts_of(me.tap(data(msg.NUDGE_ACTION, "unconfirmed", c)))
    assert msg.ALREADY_TODAY in texts_of(me.tap(go))
    assert msg.ALREADY_TODAY in texts_of(me.tap(data(msg.LIST_ACTION, "unconfirmed", c)))
    assert "（今天已提醒）" in texts_of(me.say("班級名單"))
    assert line_api.used == 2 and len(ledger(db)) == 3
    # another list the same day is its own (認證失敗 is nudged while students can still upload: open it)
    with db.session() as s:
        s.add(Window(kind=WindowKind.outcome_upload, term_id=school.term_id, audience="全校",
                     starts_at=NOW - timedelta(days=10), ends_at=NOW + timedelta(days=5)))
    assert "已提醒「認證失敗未修正」名單上 1 位同學" in texts_of(
        me.tap(data(msg.NUDGE_GO_ACTION, "failed", c, n=1)))
    assert line_api.used == 3
    # the next day the list may be nudged again
    services.clock = lambda: NOW + timedelta(days=1)
    assert "已提醒「未確認收訖明細」名單上 2 位同學" in texts_of(me.tap(go))
    assert line_api.used == 5
    with db.session() as s:
        assert s.scalar(select(OutboxMessage.status).where(OutboxMessage.purpose == "nudge").limit(1)) == "sent"


def test_cost_counts_only_reachable_students_and_a_changed_list_is_confirmed_again(chat, db, school, line_api):
    with db.session() as s:
        s.execute(LineBinding.__table__.update().where(
            LineBinding.person_id == school.ids["dan"], LineBinding.person_kind == PersonKind.student
        ).values(blocked=True))
    me, c = chat(uid("wang")), school.classes["101"]
    ask = me.tap(data(msg.NUDGE_ACTION, "unconfirmed", c))
    assert "1 位同學" in ask[0]["template"]["text"] and "另有 1 位未綁定 LINE" in ask[0]["template"]["text"]
    again = me.tap(data(msg.NUDGE_GO_ACTION, "unconfirmed", c, n=2))  # the count the 導師 saw before
    assert "名單有變動，現在是 1 位同學" in texts_of(again) and line_api.used == 0
    me.tap(data(msg.NUDGE_GO_ACTION, "unconfirmed", c, n=1))
    assert line_api.used == 1 and line_api.sent_to(uid("dan")) == []


def test_nobody_reachable_empty_lists_quota_quiet_hours_and_cancel(chat, db, school, services, line_api):
    kao = chat(uid("kao"))
    c201 = school.classes["201"]
    assert "01 GUS" in texts_of(kao.tap(data(msg.LIST_ACTION, "unpicked", c201)))
    assert msg.NOBODY in texts_of(kao.tap(data(msg.NUDGE_ACTION, "unpicked", c201)))  # gus is not bound
    assert msg.EMPTY_LIST in texts_of(kao.tap(data(msg.NUDGE_ACTION, "failed", c201)))
    me, c = chat(uid("wang")), school.classes["101"]
    assert msg.CANCELLED in texts_of(me.tap(f"a={msg.NUDGE_CANCEL_ACTION}"))
    services.store.set(QUOTA_FLAG, "1", 60)  # LINE answered "monthly limit" earlier this month
    assert msg.QUOTA_REACHED in texts_of(me.tap(data(msg.NUDGE_GO_ACTION, "unconfirmed", c, n=2)))
    services.store.delete(QUOTA_FLAG)
    services.clock = lambda: local("2025-11-20 22:30")
    assert "安靜時段" in texts_of(me.tap(data(msg.NUDGE_GO_ACTION, "unconfirmed", c, n=2)))
    assert line_api.used == 0 and ledger(db) == []


@pytest.mark.parametrize("action", [msg.LIST_ACTION, msg.NUDGE_ACTION, msg.NUDGE_GO_ACTION])
def test_a_tampered_class_id_is_refused_and_nothing_is_sent(chat, db, school, line_api, action):
    me = chat(uid("wang"))
    for class_id in (school.classes["102"], "x", ""):
        answer = texts_of(me.tap(data(action, "unconfirmed", class_id, n=1)))
        assert msg.NOT_YOUR_CLASS in answer and "FAY" not in answer
    assert msg.UNKNOWN_LIST in texts_of(me.tap(data(action, "everyone", school.classes["101"], n=1)))
    assert line_api.used == 0 and ledger(db) == []


def test_teachers_without_a_class_and_students_are_refused(chat, school):
    assert texts.NOT_FOR_YOUR_ROLE in texts_of(chat(uid("chen")).say("班級名單"))
    assert texts.NOT_FOR_YOUR_ROLE in texts_of(chat(uid("chen")).tap(
        data(msg.LIST_ACTION, "unconfirmed", school.classes["101"])))
    assert texts.NOT_FOR_STUDENTS in texts_of(chat(uid("amy")).tap(
        data(msg.NUDGE_GO_ACTION, "unconfirmed", school.classes["101"], n=2)))


def test_a_teacher_with_several_roles_gets_them_all(chat, school):
    kao = chat(uid("kao"))
    menu = kao.say("選單")
    labels = [i["action"]["label"] for i in menu[0]["quickReply"]["items"]]
    assert {"待認證", "班級名單", "統計"} <= set(labels)
    assert "201 班級名單" in texts_of(kao.say("班級名單"))
    assert "國文" not in texts_of(kao.say("待認證"))  # certified already: nothing pending


def test_a_very_long_list_is_split_over_bubbles_and_the_rest_counted():
    from bot.domain.nudge import NudgePlan
    from bot.domain.queries.homeroom import OUTCOMES, PERFORMANCES, ClassList, ListRow
    from bot.infra.line_limits import check_messages
    from tests.roles_school import TZ

    rows = tuple(ListRow(i, i, "同學" * 8, unpicked=(OUTCOMES, PERFORMANCES)) for i in range(1, 401))
    listing = ClassList("unpicked", 1, "101", "114-1", rows, None)
    message = msg.class_list(listing, NudgePlan(listing, ((1, "U1"),), 399, False), TZ)
    check_messages([message])
    body = texts_of([message["contents"]])
    shown = sum(1 for line in body.splitlines() if line[:3].strip().isdigit() and "同學" in line)
    assert message["contents"]["type"] == "carousel" and 0 < shown < 400
    assert f"…另有 {400 - shown} 人未列出" in body
    assert body.count("一鍵提醒（1 人）") == len(message["contents"]["contents"])  # on every bubble


def test_the_overview_names_this_term_and_the_receipt_batch_of_last_term():
    from bot.domain.queries.homeroom import ClassList, ListRow
    from tests.roles_school import TZ

    row = (ListRow(1, 1, "甲"),)
    lists = [ClassList("unconfirmed", 1, "101", "114-2", row, None),
             ClassList("unpicked", 1, "101", "115-1", row, None)]
    body = texts_of([msg.overview(lists, set(), TZ)["contents"]])
    assert "115-1 學期" in body and "114-2 學期" not in body
    assert "未確認收訖明細（114-2）" in body
