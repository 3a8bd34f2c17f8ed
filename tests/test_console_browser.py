"""The staff console in headless Chromium, walked as a staff member would, against the running demo:
後台 in the simulator → the link → 總覽 with its charts → an upload with a bad row (named, nothing
changed) → a good upload → 確認匯入 → the counts changed; resolving a 疑義 pushes to the student at the
LINE stand-in; the printed slips carry one QR code per student, each decoding to its LINE link. Every
page is photographed at 375 px and 1280 px (into $CONSOLE_SHOTS, default a temporary folder) and
must not scroll sideways on a phone.
"""
from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from bot.demo.school import STAFF
from bot.infra.models import Objection, Student
from tests.test_simulator_browser import (  # noqa: F401 (fixtures)
    _until, bot_rows, browser_paths, css, demo, driver, new_bot_rows, person_row, type_and_send,
)

pytestmark = pytest.mark.browser

PAGES = [("overview", "/console/"), ("import", "/console/import"), ("objections", "/console/objections"),
         ("binding", "/console/binding"), ("absences", "/console/absences"), ("deliveries", "/console/deliveries"),
         ("audit", "/console/audit")]


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("CONSOLE_SHOTS") or tempfile.mkdtemp(prefix="console-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def registry(demo):
    return next(p for p in demo.demo.in_group(STAFF) if "註冊組" in p.detail)


def sign_in_from_the_simulator(driver, demo) -> None:
    staff = registry(demo)
    driver.get(demo.simulator_url + "/")
    person_row(driver, staff.user_id).click()
    _until(lambda: bot_rows(driver), "the staff member's chat")
    before = len(bot_rows(driver))
    type_and_send(driver, "後台")
    [row] = new_bot_rows(driver, before, "the reply to 後台")
    link = _until(lambda: row.find_elements("css selector", "a.link"), "the sign-in link in the reply")[0]
    href = link.get_attribute("href")
    assert href.startswith(demo.url + "/console/login/")
    driver.get(href)
    _until(lambda: "總覽" in driver.find_element("css selector", "h1").text, "the overview after signing in")


def test_a_staff_member_runs_the_office_from_the_console(driver, demo, tmp_path, shots):
    sign_in_from_the_simulator(driver, demo)
    assert len(css(driver, "svg.chart")) >= 3 and "鄭秀英（註冊組）" in driver.page_source

    # 匯入: a bad row is named and nothing changes; a good file is previewed, then imported
    def students() -> int:
        with demo.services.db.session() as s:
            return s.scalar(select(func.count()).select_from(Student))
    before = students()
    bad = tmp_path / "轉入生.csv"
    bad.write_text("學號,姓名,班級,座號,年級\nX1,轉入生甲,101,41,高一\nX2,轉入生乙,101,42,高四\n", encoding="utf-8")
    driver.get(demo.url + "/console/import")
    css(driver, "input[type=file]")[0].send_keys(str(bad))
    css(driver, "form.card button[type=submit]")[0].click()
    _until(lambda: "匯入預覽" in driver.page_source, "the preview")
    assert "第3列" in driver.page_source and "年級「高四」不是可用的值" in driver.page_source
    assert not css(driver, "button.primary") and students() == before
    good = tmp_path / "轉入生.csv"
    good.write_text("學號,姓名,班級,座號,年級\nX1,轉入生甲,101,41,高一\n", encoding="utf-8")
    driver.get(demo.url + "/console/import")
    css(driver, "input[type=file]")[0].send_keys(str(good))
    css(driver, "form.card button[type=submit]")[0].click()
    _until(lambda: css(driver, "button.primary"), "the 確認匯入 button")
    assert students() == before
    css(driver, "button.primary")[0].click()
    _until(lambda: "匯入完成" in driver.page_source, "the import's result")
    assert students() == before + 1

    # 疑義: the demo's open one (修課紀錄, 註冊組's); the answer reaches the student at the stand-in
    with demo.services.db.session() as s:
        objection = s.scalar(select(Objection).where(Objection.resolved_at.is_(None)))
        oid = objection.id
    standin = demo.app.extensions["line_standin"]
    pushed_before = len(standin.calls("push"))
    driver.get(demo.url + "/console/objections")
    box = _until(lambda: css(driver, f"form[action$='/objections/{oid}/resolve'] textarea"), "the resolve form")[0]
    box.send_keys("已查明：物理為 3 學分，已更正並重新提交。")
    css(driver, f"form[action$='/objections/{oid}/resolve'] button")[0].click()
    _until(lambda: "已用 LINE 通知學生" in driver.page_source, "the resolution's result")
    pushes = standin.calls("push")[pushed_before:]
    assert any("已查明：物理為 3 學分" in str(call) for call in pushes)

    # 綁定: slips for 101 (its unbound student): one QR each, decoding to that student's link
    import zxingcpp

    driver.get(demo.url + "/console/binding")
    form = css(driver, "form[action$='/binding/101/codes']")[0]
    form.find_element("xpath", "./ancestor::details/summary").click()  # open 101's list
    handles = set(driver.window_handles)
    form.find_element("css selector", "button").click()
    new = _until(lambda: set(driver.window_handles) - handles, "the slips window")
    driver.switch_to.window(new.pop())
    _until(lambda: css(driver, "section.slip"), "the slips")
    slips = css(driver, "section.slip")
    qrs = css(driver, "img.qr")
    assert len(slips) == len(qrs) >= 1
    for slip, qr in zip(slips, qrs):
        driver.execute_script("arguments[0].scrollIntoView()", qr)
        [found] = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot_as_png)))
        assert found.text == qr.get_attribute("data-link")
        code = slip.find_element("css selector", ".code").text
        assert found.text.endswith("%E7%B6%81%E5%AE%9A%20" + code)  # 「綁定 code」 typed in
    driver.save_screenshot(str(shots / "slips-1280.png"))
    driver.close()
    driver.switch_to.window(next(iter(handles)))

    # every page, at a phone's width and a desktop's
    for width in (375, 1280):
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                               {"width": width, "height": 900, "deviceScaleFactor": 1, "mobile": width < 500})
        for name, path in PAGES:
            driver.get(demo.url + path)
            _until(lambda: css(driver, "main h1"), f"the {name} page")
            assert driver.execute_script("return document.documentElement.scrollWidth") <= width, (name, width)
            driver.save_screenshot(str(shots / f"{name}-{width}.png"))
    driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
