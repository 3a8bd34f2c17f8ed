"""People who leave: 在學狀態 in the roster; no push, no list, no rate for anyone not 在學; their chat
says their status and whom to ask; the office gets the hand-off list; and after the school's
retention years their personal data is purged (rows stay, anonymous, for past rates)."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select

from bot.cli import main
from bot.domain.importer import import_files
from bot.infra.models import (
    BindingCode, LineBinding, Objection, Outcome, ReceiptBatch, ReceiptLine, ReminderLedger, Student,
)
from bot.infra.vocab import Enrolment, PersonKind, ReceiptItem
from scheduler.sweep import run_sweep
from tests.helpers import texts_of
from tests.student_school import NOW, TZ, build, local, uid

LAST_DAY = local("2026-10-17 08:05")  # the 114-2 收訖明細確認 window's last day, after the send time


@pytest.fixture
def school(db, services):
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


def _leave(db, school, name: str, status: Enrolment, since=NOW) -> None:
    with db.session() as session:
        student = session.get(Student, school.ids[name])
        student.enrolment, student.enrolment_since = status, since


def test_the_roster_reads_enrolment_and_dates_each_change(db, tmp_path: Path) -> None:
    # interface.md: 「在學狀態: 在學, 休學, 轉出, 畢業 or 離校」 (absent: 在學)
    roster = tmp_path / "s.csv"
    roster.write_text("學號,姓名,班級,座號,年級,在學狀態\nA1,甲,101,1,高一,\nA2,乙,101,2,高一,休學\n"
                      "A3,丙,101,3,高一,畢業\n", encoding="utf-8")
    first = local("2026-07-01 09:00")
    assert import_files(db, [roster], TZ, now=first).ok
    assert import_files(db, [roster], TZ, now=first + timedelta(days=30)).ok  # unchanged: the date stays
    roster.write_text("學號,姓名,班級,座號,年級,在學狀態\nA1,甲,101,1,高一,轉出\nA2,乙,101,2,高一,在學\n"
                      "A3,丙,101,3,高一,畢業\n", encoding="utf-8")
    later = local("2026-09-01 09:00")
    assert import_files(db, [roster], TZ, now=later).ok
    with db.session() as session:
        got = {s.student_no: (s.enrolment, s.enrolment_since, s.enrolled) for s in session.scalars(select(Student))}
    assert got == {"A1": (Enrolment.transferred, later, False), "A2": (Enrolment.enrolled, later, True),
                   "A3": (Enrolment.graduated, first, False)}
    roster.write_text("學號,姓名,班級,座號,年級,在學狀態\nA1,甲,101,1,高一,退學\n", encoding="utf-8")
    report = import_files(db, [roster], TZ, now=later)
    assert not report.ok
    assert "在學狀態「退學」不是可用的值（在學、休學、轉出、畢業、離校）" in str(report.errors[0])


def test_a_student_who_left_is_told_their_status_and_whom_to_ask(school, db, chat) -> None:
    _leave(db, school, "fix", Enrolment.graduated)
    me = chat(uid("fix"))
    for answer in (me.say("我的進度"), me.say("收訖明細"), me.say("選單"), me.say("隨便說說"),
                   me.tap(f"a=rc_confirm&b={school.batches['fix:114-2']}"), me.follow()):
        text = texts_of(answer)
        assert "在學狀態是「畢業」" in text and "請洽註冊組" in text, text
        assert "FIX同學" not in text and "114-2" not in text  # nothing of their records
    with db.session() as session:  # the button did nothing
        assert session.get(ReceiptBatch, school.batches["fix:114-2"]).confirmed_at is None
    assert "確定要解除綁定" in texts_of(me.say("解除綁定"))  # they may still unbind


def test_nobody_who_left_is_pushed_to(school, db, services, line_api) -> None:
    # interface.md: 「Anyone not 在學 gets no push.」 fix and max both owe 114-2 confirmation.
    before = run_sweep(services, now=LAST_DAY, dry_run=True)
    assert before.reached[("receipt", "last_day")] == 2
    _leave(db, school, "fix", Enrolment.transferred)
    _leave(db, school, "max", Enrolment.suspended)
    report = run_sweep(services, now=LAST_DAY)
    assert report.reached[("receipt", "last_day")] == 0
    assert line_api.sent_to(uid("fix")) == [] and line_api.sent_to(uid("max")) == []


def test_the_office_gets_the_hand_off_list_in_stats_and_its_workbook(school, db, cli_env, tmp_path) -> None:
    # Seed: 「學生在學期/學年度結束後離校，若無法利用原就讀學校學習歷程學校平臺進行收訖明細確認時，
    # 由原就讀學校利用紙本郵寄方式通知學生進行收訖明細確認。」
    _leave(db, school, "fix", Enrolment.left, since=local("2026-08-01 09:00"))
    _leave(db, school, "ace", Enrolment.graduated)  # confirmed everything: nothing to hand off
    out = tmp_path / "stats.xlsx"
    result = CliRunner().invoke(main, ["stats", "--now", "2026-10-15T10:00", "--xlsx", str(out)], env=cli_env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    at = lines.index("已不在學、收訖明細尚未確認（請以紙本郵寄通知確認）")
    assert lines[at + 1:at + 3] == ["  101 班 3 號 FIX同學（S-fix，離校）：114-2 未確認", "已寫入 " + str(out)]
    sheet = load_workbook(out)["離校待通知"]
    assert [[c.value for c in row] for row in sheet.iter_rows()] == [
        ["學號", "姓名", "班級", "座號", "在學狀態", "狀態異動日", "未確認的提交批次"],
        ["S-fix", "FIX同學", "101", "3", "離校", "2026-08-01", "114-2"]]


def _purge(cli_env, *args: str):
    return CliRunner().invoke(main, ["purge", *args], env=cli_env, catch_exceptions=False)


def _personal(db, school, name: str) -> dict:
    sid = school.ids[name]
    with db.session() as session:
        student = session.get(Student, sid)
        batches = select(ReceiptBatch.id).where(ReceiptBatch.student_id == sid)
        return {
            "name": student.name, "no": student.student_no,
            "bindings": session.scalar(select(func.count()).select_from(LineBinding).where(
                LineBinding.person_kind == PersonKind.student, LineBinding.person_id == sid)),
            "lines": session.scalar(select(func.count()).select_from(ReceiptLine).where(
                ReceiptLine.batch_id.in_(batches))),
            "objections": session.scalar(select(func.count()).select_from(Objection).where(
                Objection.batch_id.in_(batches))),
            "titles": sorted(session.scalars(select(Outcome.title).where(Outcome.student_id == sid))),
            "ledger": session.scalar(select(func.count()).select_from(ReminderLedger).where(
                ReminderLedger.person_kind == PersonKind.student, ReminderLedger.person_id == sid)),
        }


def test_purge_removes_personal_data_after_the_retention_years(school, db, services, cli_env) -> None:
    # Seed (臺南二中): 「已畢業學生之學習歷程檔案資料，封存 2年；達保存年限後，始得刪除。」
    # Seed (國教署): 「離校生之學習歷程檔案資料，保存○年…達保存年限後，始得刪除。」
    from bot.domain import objections

    with db.session() as session:
        objections.raise_objection(session, school.ids["fix"], school.batches["fix:114-2"], ReceiptItem.cadre,
                                   "我不是學藝股長", NOW)
        session.add(BindingCode(code_hash="h" * 64, person_kind=PersonKind.student, person_id=school.ids["fix"]))
    run_sweep(services, now=local("2026-10-13 08:05"))  # fix and max get the opening reminder: ledger rows
    _leave(db, school, "fix", Enrolment.graduated, since=NOW - timedelta(days=2 * 365 + 1))
    _leave(db, school, "ace", Enrolment.graduated, since=NOW - timedelta(days=365))        # 1 year: kept
    _leave(db, school, "max", Enrolment.suspended, since=NOW - timedelta(days=5 * 365))    # 休學: never
    statuses = select(Outcome.status, Outcome.picked).where(Outcome.student_id == school.ids["fix"]).order_by(Outcome.id)
    with db.session() as session:
        before = session.execute(statuses).all()
    kept = {name: _personal(db, school, name) for name in ("fix", "ace", "max")}
    assert kept["fix"]["bindings"] == 1 and kept["fix"]["lines"] == 5 and kept["fix"]["ledger"] == 1

    dry = _purge(cli_env, "--dry-run", "--now", "2026-10-15T10:00")
    assert dry.exit_code == 0, dry.output
    assert "將刪除 1 位學生的個人資料" in dry.output and "  S-fix FIX同學" in dry.output
    assert "  收訖明細內容：5 筆" in dry.output and "  疑義：1 筆" in dry.output and "（試算" in dry.output
    assert {name: _personal(db, school, name) for name in kept} == kept

    done = _purge(cli_env, "--now", "2026-10-15T10:00")
    assert done.exit_code == 0 and "已刪除 1 位學生的個人資料" in done.output
    assert _personal(db, school, "fix") == {
        "name": "（已刪除）", "no": f"purged-{school.ids['fix']}", "bindings": 0, "lines": 0, "objections": 0,
        "titles": ["", "", ""], "ledger": 0}
    assert _personal(db, school, "ace") == kept["ace"] and _personal(db, school, "max") == kept["max"]
    with db.session() as session:  # statuses, picks and batches stay, anonymous, for the counts
        assert session.get(ReceiptBatch, school.batches["fix:114-2"]) is not None
        assert session.execute(statuses).all() == before and len(before) == 3
    again = _purge(cli_env, "--now", "2026-10-15T10:00")
    assert "沒有到期的學生，沒有刪除任何資料。" in again.output


def test_the_worker_retention_job_purges_too(school, db, services) -> None:
    from scheduler.worker import retention

    _leave(db, school, "fix", Enrolment.transferred, since=NOW - timedelta(days=3 * 365))
    retention(services)
    assert _personal(db, school, "fix")["name"] == "（已刪除）"
