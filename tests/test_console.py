"""The staff console over HTTP (Flask test client): signing in with a one-time link, every refusal
(no session, a teacher's link, an expired or reused link, a POST without the CSRF token, a session of
someone who lost their duty or is too old), and each page's work through the same domain functions."""
from __future__ import annotations

import base64
import csv
import io
import re
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.domain import console_access, objections
from bot.infra.models import ConsoleAudit, Objection, Student, TeacherAbsence, TeacherDuty
from bot.infra.vocab import ReceiptItem
from tests.helpers import texts_of
from tests.student_school import NOW, build, uid

PAGES = ["/console/", "/console/import", "/console/objections", "/console/binding", "/console/absences",
         "/console/deliveries", "/console/deliveries.csv", "/console/audit"]


@pytest.fixture
def school(db, services):
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


def link_for(db, school, name: str, at=NOW) -> str:
    with db.session() as s:
        return "/console/login/" + console_access.issue(s, school.ids[name], at)


def sign_in(client, db, school, name: str) -> None:
    response = client.get(link_for(db, school, name))
    assert response.status_code == 302 and response.headers["Location"].endswith("/console/")


def csrf(client, page: str = "/console/") -> str:
    html = client.get(page).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def audit_actions(db) -> list[str]:
    with db.session() as s:
        return list(s.scalars(select(ConsoleAudit.action).order_by(ConsoleAudit.id)))


# -- signing in ----------------------------------------------------------------------------
def test_staff_get_a_link_by_sending_後台_and_others_the_ordinary_menu(school, chat, client, line_api):
    answer = texts_of(chat(uid("reg")).say("後台"))
    url = re.search(r"http://localhost(/console/login/[\w-]+)", answer)
    assert url and "10 分鐘內有效，只能使用一次" in answer
    response = client.get(url.group(1))
    assert response.status_code == 302
    page = client.get("/console/").get_data(as_text=True)
    assert "總覽（115-1 學期）" in page and "REG老師（註冊組）" in page
    for name in ("fix", "wang"):  # a student, a subject teacher: no link, the menu
        answer = texts_of(chat(uid(name)).say("後台"))
        assert "/console/login/" not in answer and "我看不懂這句話" in answer


def test_the_session_cookie_is_signed_httponly_and_lax(school, db, client, app):
    response = client.get(link_for(db, school, "reg"))
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # http://localhost
    app.config["SESSION_COOKIE_SECURE"] = True  # what an https PUBLIC_URL sets
    assert "Secure" in client.get(link_for(db, school, "aca")).headers["Set-Cookie"]


def test_pages_are_not_framed_cached_or_referred(school, db, client):
    response = client.get(link_for(db, school, "reg"))
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the sign-in link never leaves in a Referer
    page = client.get("/console/objections")
    assert (page.headers["X-Frame-Options"], page.headers["X-Content-Type-Options"], page.headers["Cache-Control"]) \
        == ("DENY", "nosniff", "no-store")


def test_https_public_url_makes_the_cookie_secure(services, db):
    from bot import create_app

    services.settings = services.settings.with_(public_url="https://bot.school.test")
    assert create_app(services=services).config["SESSION_COOKIE_SECURE"] is True


@pytest.mark.parametrize("page", PAGES)
def test_no_session_gets_the_sign_in_explanation_never_data(school, client, page):
    response = client.get(page)
    body = response.get_data(as_text=True)
    assert response.status_code == 401 and "請先登入後台" in body and "在 LINE 上對學習歷程小幫手傳「後台」" in body
    assert "FIX同學" not in body and "REG老師" not in body


def test_a_subject_teachers_link_is_refused(school, db, client):
    response = client.get(link_for(db, school, "wang"))
    assert response.status_code == 403 and "只開放註冊組、教學組、訓育組與管理者" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 401  # and no session came of it


def test_an_expired_link_is_refused(school, db, client):
    stale = link_for(db, school, "reg", at=NOW - timedelta(minutes=console_access.LINK_MINUTES, seconds=1))
    response = client.get(stale)
    assert response.status_code == 403 and "已過期" in response.get_data(as_text=True)
    assert client.get("/console/").status_code == 401


def test_a_link_works_once(school, db, client, app):
    link = link_for(db, school, "reg")
    assert client.get(link).status_code == 302
    other = app.test_client()  # someone else opening the same link (a forwarded message)
    response = other.get(link)
    assert response.status_code == 403 and "已經用過" in response.get_data(as_text=True)
    assert other.get("/console/").status_code == 401
    assert client.get("/console/login/not-a-real-token").status_code == 403


def test_a_session_is_refused_once_the_duty_is_gone_or_it_is_12_hours_old(school, db, client, services):
    sign_in(client, db, school, "reg")
    assert client.get("/console/objections").status_code == 200
    services.clock = lambda: NOW + timedelta(hours=12, minutes=1)
    assert client.get("/console/objections").status_code == 403
    services.clock = lambda: NOW
    assert client.get("/console/objections").status_code == 401  # the old session was cleared
    sign_in(client, db, school, "reg")
    with db.session() as s:
        s.query(TeacherDuty).filter(TeacherDuty.teacher_id == school.ids["reg"]).delete()
    response = client.get("/console/objections")
    assert response.status_code == 403 and "不具行政職務" in response.get_data(as_text=True)


def test_a_post_without_the_csrf_token_changes_nothing(school, db, client, line_api):
    with db.session() as s:
        oid = objections.raise_objection(s, school.ids["fix"], school.batches["fix:114-2"], ReceiptItem.course_record,
                                         "物理應為 3 學分", NOW).objection.id
    sign_in(client, db, school, "reg")
    response = client.post(f"/console/objections/{oid}/resolve", data={"text": "已更正"})
    assert response.status_code == 400 and "缺少安全驗證碼" in response.get_data(as_text=True)
    response = client.post(f"/console/objections/{oid}/resolve", data={"text": "已更正", "csrf_token": "forged"})
    assert response.status_code == 400
    with db.session() as s:
        assert s.get(Objection, oid).resolved_at is None
    assert line_api.calls("push") == []
    assert client.post("/console/logout").status_code == 400  # signing out is a POST with the token too


def test_signing_out_ends_the_session(school, db, client):
    sign_in(client, db, school, "reg")
    response = client.post("/console/logout", data={"csrf_token": csrf(client)})
    assert response.status_code == 302 and client.get("/console/").status_code == 401
    assert audit_actions(db) == ["sign_in", "sign_out"]


# -- the pages' work -------------------------------------------------------------------------
def test_each_office_sees_its_objections_and_resolving_tells_the_student(school, db, client, line_api):
    with db.session() as s:
        record = objections.raise_objection(s, school.ids["fix"], school.batches["fix:114-2"],
                                            ReceiptItem.course_record, "物理應為 3 學分", NOW).objection.id
        cadre = objections.raise_objection(s, school.ids["max"], school.batches["max:114-2"], ReceiptItem.cadre,
                                           "我不是學藝股長", NOW).objection
        cadre.created_at, cadre = NOW - timedelta(days=10), cadre.id  # raised ten days ago: past 3 school days
    sign_in(client, db, school, "reg")  # 註冊組: 修課紀錄 only
    page = client.get("/console/objections").get_data(as_text=True)
    assert f"#{record}" in page and f"#{cadre}" not in page and "物理應為 3 學分" in page
    assert client.post(f"/console/objections/{cadre}/resolve",
                       data={"text": "x", "csrf_token": csrf(client)}).status_code == 404  # not theirs
    response = client.post(f"/console/objections/{record}/resolve",
                           data={"text": "已更正為 3 學分", "csrf_token": csrf(client)})
    assert response.status_code == 302
    [push] = line_api.sent_to(uid("fix"))
    assert "已更正為 3 學分" in texts_of(push.messages) and "註冊組已處理" in texts_of(push.messages)
    with db.session() as s:
        assert s.get(Objection, record).resolved_by == "REG老師（T-reg）"
    assert "已處理，已用 LINE 通知學生" in client.get("/console/objections").get_data(as_text=True)
    client.post("/console/logout", data={"csrf_token": csrf(client)})
    sign_in(client, db, school, "act1")  # 訓育組: the 幹部經歷 one, ten days old: overdue
    page = client.get("/console/objections").get_data(as_text=True)
    assert f"#{cadre}" in page and "已逾回覆期限" in page and f"#{record}" not in page
    assert audit_actions(db) == ["sign_in", "resolve", "sign_out", "sign_in"]


def test_import_previews_every_bad_row_then_imports_only_on_confirm(school, db, client):
    sign_in(client, db, school, "reg")
    bad = "學號,姓名,班級,座號,年級\nN1,新同學,101,30,高一\nN2,,101,31,高四\n".encode()
    response = client.post("/console/import", data={"csrf_token": csrf(client, "/console/import"),
                                                    "files": [(io.BytesIO(bad), "新生.csv")]},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "資料庫沒有任何變更" in page and "新生.csv" in page
    assert "姓名不可空白" in page and "年級「高四」不是可用的值" in page and "確認匯入" not in page
    good = "學號,姓名,班級,座號,年級\nN1,新同學,101,30,高一\n".encode()
    response = client.post("/console/import", data={"csrf_token": csrf(client, "/console/import"),
                                                    "files": [(io.BytesIO(good), "新生.csv")]},
                           content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    upload = re.search(r'name="upload" value="([^"]+)"', page).group(1)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Student).where(Student.student_no == "N1")) == 0
    response = client.post("/console/import/confirm", data={"csrf_token": csrf(client), "upload": upload})
    assert response.status_code == 302
    with db.session() as s:
        assert s.scalar(select(Student.name).where(Student.student_no == "N1")) == "新同學"
    page = client.get("/console/import").get_data(as_text=True)
    assert "匯入完成：新生.csv（學生名冊）：新增 1 筆" in page and "REG老師（T-reg）" in page
    again = client.post("/console/import/confirm", data={"csrf_token": csrf(client), "upload": upload})
    assert "預覽已過期或已匯入過" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_binding_slips_carry_one_qr_per_unbound_student_that_opens_the_chat(school, db, client, line_api):
    import zxingcpp

    sign_in(client, db, school, "reg")
    page = client.get("/console/binding").get_data(as_text=True)
    assert "102 班" in page and "未綁定 1" in page
    response = client.post("/console/binding/102/codes", data={"csrf_token": csrf(client, "/console/binding")})
    slips = response.get_data(as_text=True)
    images = re.findall(r'<img class="qr" src="data:image/png;base64,([^"]+)" alt="綁定 QR code" data-link="([^"]+)"',
                        slips)
    assert len(images) == 1 and "OUT同學" in slips
    data, link = images[0]
    [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(base64.b64decode(data))))
    code = re.search(r"綁定碼：<span class=\"code\">(\w{8})</span>", slips).group(1)
    assert found.text == link.replace("&amp;", "&")
    assert found.text == f"https://line.me/R/oaMessage/{line_api.basic_id}/?%E7%B6%81%E5%AE%9A%20{code}"
    assert audit_actions(db)[-1] == "codes"


def test_absences_are_marked_listed_and_ended(school, db, client):
    sign_in(client, db, school, "aca")
    response = client.post("/console/absences", data={"csrf_token": csrf(client, "/console/absences"),
                                                      "teacher": "T-wang", "from": "2026-10-15", "to": "2026-10-20",
                                                      "note": "公假"})
    assert response.status_code == 302
    page = client.get("/console/absences").get_data(as_text=True)
    assert "WANG老師（T-wang）" in page and "公假" in page
    with db.session() as s:
        absence_id = s.scalar(select(TeacherAbsence.id))
    client.post(f"/console/absences/{absence_id}/end", data={"csrf_token": csrf(client), "teacher": "T-wang"})
    assert "目前沒有教師請假" in client.get("/console/absences").get_data(as_text=True)
    bad = client.post("/console/absences", data={"csrf_token": csrf(client), "teacher": "T-wang",
                                                 "from": "2026-10-20", "to": "2026-10-15"}, follow_redirects=True)
    assert "沒有登記：結束時間必須晚於開始時間" in bad.get_data(as_text=True)
    assert audit_actions(db)[1:] == ["absence", "absence_end"]


def test_delivery_records_and_their_csv_are_text_never_formulas(school, db, client, services):
    from scheduler.sweep import run_sweep

    with db.session() as s:
        s.get(Student, school.ids["max"]).name = "=HYPERLINK(\"http://x\",\"y\")"
    run_sweep(services, now=NOW)
    sign_in(client, db, school, "reg")
    page = client.get("/console/deliveries").get_data(as_text=True)
    assert "已送達" in page and "FIX同學" in page
    response = client.get("/console/deliveries.csv")
    raw = response.get_data()
    assert raw.startswith("\ufeff".encode()) and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:3] == ["時間", "提醒", "期程"]
    names = {r[5] for r in rows[1:]}
    assert "'=HYPERLINK(\"http://x\",\"y\")" in names and "FIX同學" in names
    assert not any(cell.startswith(("=", "+", "-", "@")) for r in rows for cell in r)


def test_a_reminder_given_up_is_reported_failed_in_the_delivery_records_and_the_log(school, db, client, services,
                                                                                       line_api, caplog):
    """Issue #12 item 6: an outbox row LINE never accepts is given up after MAX_OUTBOX_ATTEMPTS requests, and
    the office sees it: 提醒紀錄 shows it 失敗 with the reason, and the worker's log says so."""
    import logging

    from sqlalchemy import update

    from bot.infra.models import OutboxMessage
    from bot.infra.sender import MAX_OUTBOX_ATTEMPTS
    from scheduler.sweep import run_sweep

    for endpoint in ("push", "multicast"):
        line_api.fail_next(endpoint, 500, times=1000)
    run_sweep(services, now=NOW)
    with db.session() as s:
        pending = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending"))
        assert pending > 0
        s.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(
            attempts=MAX_OUTBOX_ATTEMPTS - 1, next_attempt_at=None, created_at=NOW - timedelta(hours=1)))
    with caplog.at_level(logging.ERROR, logger="bot.infra.sender"):
        assert services.sender.retry_pending() == 0
    with db.session() as s:
        rows = list(s.scalars(select(OutboxMessage)))
    # (a try's own retries count too: it is given up at the first check past the cap)
    assert {r.status for r in rows} == {"failed"}
    assert all(MAX_OUTBOX_ATTEMPTS <= r.attempts < MAX_OUTBOX_ATTEMPTS + services.settings.sender_attempts for r in rows)
    assert sum("given up after" in r.getMessage() for r in caplog.records) == pending
    sign_in(client, db, school, "reg")
    page = client.get("/console/deliveries").get_data(as_text=True)
    assert "失敗" in page and "gave up after" in page and "已送達" not in page


def test_the_audit_page_lists_who_did_what(school, db, client):
    sign_in(client, db, school, "reg")
    page = client.get("/console/audit").get_data(as_text=True)
    assert "REG老師（T-reg）" in page and "登入" in page


def test_the_overview_shows_windows_rates_and_the_next_sweep(school, db, client):
    sign_in(client, db, school, "reg")
    page = client.get("/console/").get_data(as_text=True)
    assert "課程學習成果上傳（115-1）" in page and "進行中" in page and "尚未開始" in page
    assert page.count("<svg class=\"chart\"") >= 3 and "各班認證率" in page
    assert "本月已用" in page and "現在執行一次提醒掃描會傳給" in page


def test_the_retention_job_forgets_old_links_and_audit_entries(school, db, services, client):
    from scheduler.worker import retention

    sign_in(client, db, school, "reg")
    link_for(db, school, "aca")  # never opened
    services.clock = lambda: NOW + timedelta(days=2)
    retention(services)
    from bot.infra.models import ConsoleToken
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ConsoleToken)) == 0
        assert s.scalar(select(func.count()).select_from(ConsoleAudit)) == 1  # kept two years
    services.clock = lambda: NOW + timedelta(days=731)
    retention(services)
    assert audit_actions(db) == []


def test_console_link_prints_a_working_link_for_staff_only(school, db, cli_env, client):
    from click.testing import CliRunner

    from bot.cli import main

    env = {**cli_env, "PUBLIC_URL": "http://localhost"}
    result = CliRunner().invoke(main, ["console-link", "T-reg"], env=env)
    assert result.exit_code == 0 and "REG老師（T-reg）的後台登入連結（10 分鐘內有效，只能使用一次）" in result.output
    path = re.search(r"http://localhost(/console/login/\S+)", result.output).group(1)
    assert client.get(path).status_code == 302 and client.get("/console/").status_code == 200
    for teacher_no, reason in (("T-wang", "不具行政職務"), ("T-none", "找不到教師編號 T-none")):
        refused = CliRunner().invoke(main, ["console-link", teacher_no], env=env)
        assert refused.exit_code == 2 and reason in refused.output and "Traceback" not in refused.output
    no_url = CliRunner().invoke(main, ["console-link", "T-reg"], env=cli_env)
    assert no_url.exit_code == 2 and "請先設定 PUBLIC_URL" in no_url.output
