"""The school's own numbers: 多元表現 a term and a year (with the optional 學期 column), and the office
that answers a 疑義 on each 收訖明細 item. Each test quotes the seed line it holds the bot to."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.domain.importer import import_files
from bot.infra.config import SchoolRules, Settings
from bot.infra.db import Database
from bot.infra.models import Performance
from tests.helpers import texts_of
from tests.student_school import NOW as CHAT_NOW, uid
from tests.test_import import TZ, assert_rows, rejected, run, school, write  # noqa: F401 (school: a fixture)

WITH_TERM = "表現編號,學號,學年度,學期,類別,名稱,上傳時間,勾選"


def _csv(directory: Path, name: str, rows: list[str], header: str = WITH_TERM) -> Path:
    path = directory / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_performances_are_limited_per_term_as_well_as_per_year(school: Database, tmp_path: Path) -> None:
    # Seed (臺南二中 補充規定, 多元表現): 「學生每學期應於本校規定時間內上傳；每學期至多10件，每學年其件數至多20件。」
    ten = [f"A{i},S001,114,1,社團,上學期{i},," for i in range(10)]
    assert import_files(school, [_csv(tmp_path, "a.csv", ten)], TZ).ok
    errors = rejected(school, _csv(tmp_path, "b.csv", ["B1,S001,114,1,競賽,第十一件,,"]))
    assert_rows(errors, [("b.csv", 2, "學號 S001 在 114-1 的多元表現共 11 件，超過本校規定每學期 10 件的上限")])
    # the other term of the year still takes ten: twenty a year
    assert import_files(school, [_csv(tmp_path, "c.csv", [f"C{i},S001,114,2,志工,下學期{i},," for i in range(10)])],
                        TZ).ok
    errors = rejected(school, _csv(tmp_path, "d.csv", ["D1,S001,114,2,志工,第二十一件,,"]))
    assert_rows(errors, [("d.csv", 2, "超過本校規定每學年 20 件的上限"), ("d.csv", 2, "超過本校規定每學期 10 件")])


def test_without_the_term_column_the_term_is_the_upload_time_s(school: Database, tmp_path: Path) -> None:
    # interface.md: 「an optional 學期 column; absent: the term of 上傳時間」
    old = write(tmp_path, "p.csv", "performances", [
        "P1,S001,114,社團,十月,2025-10-01 20:00,", "P2,S001,114,社團,二月,2026-02-20,", "P3,S001,114,社團,未填,,"])
    assert run(school, old).ok
    with school.session() as session:
        assert dict(session.execute(select(Performance.performance_no, Performance.semester)).all()) == {
            "P1": 1, "P2": 2, "P3": None}
    errors = rejected(school, write(tmp_path, "q.csv", "performances", ["Q1,S001,114,社團,去年,2024-12-01,"]))
    assert_rows(errors, [("q.csv", 2, "上傳時間不在 114 學年度內，無法判斷學期（請填寫學期欄）")])
    errors = rejected(school, _csv(tmp_path, "r.csv", ["R1,S001,114,3,社團,第三學期,,"]))
    assert_rows(errors, [("r.csv", 2, "學期「3」不正確（須為 1 或 2）")])


def test_the_school_sets_its_performance_numbers(school: Database, tmp_path: Path) -> None:
    # Seed (工作小組簡報): 「每學年學生上傳時間及件數由學校自訂」
    rules = SchoolRules(performance_uploads_per_term=2, performance_uploads_per_year=3)
    three = _csv(tmp_path, "a.csv", [f"A{i},S001,114,1,社團,表現{i},," for i in range(3)])
    report = import_files(school, [three], TZ, school=rules)
    assert not report.ok and "超過本校規定每學期 2 件的上限" in str(report.errors[0])
    assert import_files(school, [three], TZ).ok  # the defaults (10 and 20) take them


def test_an_objection_goes_to_the_office_the_school_names(db, services, chat, line_api) -> None:
    # Seed (臺南二中 附表一): the offices in charge are the school's to assign; OBJECTION_OFFICES moves 幹部經歷
    # from 訓育組 to 註冊組 here, and the student is told the office that was set.
    from tests.student_school import build

    services.clock = lambda: CHAT_NOW
    services.settings = services.settings.with_(
        school=Settings.from_env({"OBJECTION_OFFICES": "幹部經歷=註冊組", "DATABASE_URL": "sqlite://"}).school)
    with db.session() as session:
        school = build(session)
    me = chat(uid("fix"))
    batch = school.batches["fix:114-2"]
    assert "送出後會轉給註冊組處理" in texts_of(me.tap(f"a=rc_item&b={batch}&i=cadre"))
    me.say("我不是學藝股長")
    assert "已轉給註冊組處理" in texts_of(me.tap(f"a=rc_send&b={batch}&i=cadre"))
    [notice] = line_api.sent_to(uid("reg"))
    assert "我不是學藝股長" in texts_of(notice.messages)
    assert line_api.sent_to(uid("act1")) == [] and line_api.sent_to(uid("act2")) == []
