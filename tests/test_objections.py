"""`portfolio-bot objections` and the office's side of 疑義: who is told, listing, resolving, refusals."""
from __future__ import annotations

import os

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from bot.cli import main
from bot.domain import objections
from bot.infra.models import LineBinding, Objection
from bot.infra.config import SchoolRules
from bot.infra.vocab import ReceiptItem
from tests.helpers import TOKEN, texts_of
from tests.student_school import NOW, School, build, uid


@pytest.fixture
def school(db, services) -> School:
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


@pytest.fixture
def cli(migrated, line_api_server):
    _, url = line_api_server
    env = {"DATABASE_URL": migrated, "LINE_API_BASE": url, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
           "LINE_CHANNEL_SECRET": "x", "REDIS_URL": os.environ.get("REDIS_URL", "")}
    return lambda *args: CliRunner().invoke(main, ["objections", *args], env=env, catch_exceptions=False)


def _raise(db, school, name: str, item: ReceiptItem, reason: str = "資料有誤") -> int:
    with db.session() as session:
        decision = objections.raise_objection(session, school.ids[name], school.batches[f"{name}:114-2"], item,
                                              reason, NOW)
        assert decision.fresh
        return decision.objection.id

SCHOOL = SchoolRules()  # the default offices (臺南二中's 附表一)


def test_offices_follow_the_schools_duties(school, db):
    with db.session() as session:
        assert objections.office_recipients(session, SCHOOL.office(ReceiptItem.course_record)) == [uid("reg")]
        assert objections.office_recipients(session, SCHOOL.office(ReceiptItem.outcome)) == [uid("aca")]
        # 訓育組 answers both 幹部經歷 and 多元表現; its unbound member is not pushed to
        assert objections.office_recipients(session, SCHOOL.office(ReceiptItem.cadre)) == sorted([uid("act1"), uid("act2")])
        assert objections.office_recipients(session, SCHOOL.office(ReceiptItem.performance)) == sorted([uid("act1"), uid("act2")])


def test_an_office_nobody_reads_still_records_the_objection(school, db, chat, line_api):
    with db.session() as session:
        for binding in session.scalars(select(LineBinding).where(LineBinding.line_user_id == uid("aca"))):
            binding.blocked = True
    me = chat(uid("fix"))
    batch = school.batches["fix:114-2"]
    me.tap(f"a=rc_item&b={batch}&i=outcome")
    me.say("少了化學的成果")
    # Seed: 「學生依前項規定提出疑義者，由學校相關單位依其權責，妥為處置」 — never 已轉給 when nothing was sent.
    answer = texts_of(me.tap(f"a=rc_send&b={batch}&i=outcome"))
    assert "已轉給" not in answer and "請直接到教學組當面說明" in answer
    assert line_api.calls("push") == [] and line_api.calls("multicast") == []
    with db.session() as session:
        assert session.scalars(select(Objection.reason)).all() == ["少了化學的成果"]


def test_an_objection_the_office_cannot_read_goes_to_the_administrator(school, db, chat, line_api):
    from bot.infra.vocab import Duty
    from tests import factories as f

    with db.session() as session:
        for binding in session.scalars(select(LineBinding).where(LineBinding.line_user_id == uid("aca"))):
            binding.blocked = True
        f.bind(session, f.teacher(session, name="系統管理者", duties=[Duty.admin]), uid("adm"))
    me = chat(uid("fix"))
    batch = school.batches["fix:114-2"]
    me.tap(f"a=rc_item&b={batch}&i=outcome")
    me.say("少了化學的成果")
    answer = texts_of(me.tap(f"a=rc_send&b={batch}&i=outcome"))
    assert "教學組目前沒有人能用 LINE 收到通知，已轉給管理者" in answer
    [notice] = line_api.sent_to(uid("adm"))
    assert notice.via == "push" and "少了化學的成果" in texts_of(notice.messages)


def test_list_shows_open_ones_filtered_by_item(school, db, cli):
    first = _raise(db, school, "fix", ReceiptItem.course_record, "物理應為 3 學分")
    second = _raise(db, school, "max", ReceiptItem.cadre, "我不是學藝股長")
    listed = cli("list")
    assert listed.exit_code == 0
    assert f"#{first}" in listed.output and f"#{second}" in listed.output and "共 2 筆" in listed.output
    assert "114-2 修課紀錄（註冊組）  101 班 3 號 FIX同學（S-fix）  處理中" in listed.output
    only = cli("list", "--item", "幹部經歷")
    assert f"#{second}" in only.output and f"#{first}" not in only.output
    bad = CliRunner().invoke(main, ["objections", "list", "--item", "成績"])
    assert bad.exit_code != 0


def test_resolve_refusals_change_nothing(school, db, cli, line_api):
    oid = _raise(db, school, "fix", ReceiptItem.course_record)
    assert "找不到疑義 #999" in cli("resolve", "999", "--text", "好").output
    assert "不可空白" in cli("resolve", str(oid), "--text", "  ").output
    assert "最多 1000 字" in cli("resolve", str(oid), "--text", "字" * 1001).output
    with db.session() as session:
        assert session.get(Objection, oid).resolved_at is None
    assert line_api.calls("push") == []


def test_resolve_for_a_student_not_on_line(school, db, cli, line_api):
    oid = _raise(db, school, "fix", ReceiptItem.course_record)
    with db.session() as session:
        session.scalars(select(LineBinding).where(LineBinding.line_user_id == uid("fix"))).one().unbound_at = NOW
    result = cli("resolve", str(oid), "--text", "已更正", "--by", "註冊組長")
    assert result.exit_code == 0 and "學生沒有綁定 LINE" in result.output
    assert line_api.calls("push") == []
    with db.session() as session:
        row = session.get(Objection, oid)
        assert (row.resolution, row.resolved_by) == ("已更正", "註冊組長") and row.resolved_at is not None


def test_each_objection_carries_the_date_the_school_must_answer_by(school, db, cli):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Asia/Taipei")
    thursday = datetime(2026, 10, 15, 10, 0, tzinfo=tz)               # NOW: a Thursday
    # 3 school days (the default): Fri, Mon, Tue -> by the end of Tue 10/20 (the weekend does not count)
    assert objections.answer_by(thursday, 3, tz) == datetime(2026, 10, 20, 23, 59, 59, tzinfo=tz)
    assert objections.answer_by(thursday, 1, tz) == datetime(2026, 10, 16, 23, 59, 59, tzinfo=tz)
    _raise(db, school, "fix", ReceiptItem.course_record, "物理應為 3 學分")  # raised 10/15: long overdue today
    listed = cli("list")
    assert "處理中・已逾回覆期限（10/20（二）23:59）" in listed.output
    assert "其中 1 筆已逾回覆期限（學校規定 3 個上課日內回覆）" in listed.output
