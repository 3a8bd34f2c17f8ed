"""The simulator page in headless Chromium, against the real demo server (`start_demo`).

What a person sees is checked: the people list, the welcome card and its quick replies,
text answers, a tapped quick reply, Flex bubbles (a reply and a pushed one), a confirm
template, and binding the unbound demo student with the code shown on the page.

Needs Debian's `chromium` and `chromium-driver` (or $CHROMIUM / $CHROMEDRIVER); skipped
without them unless REQUIRE_BROWSER=1 (CI), where their absence fails the run.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator

import pytest
from sqlalchemy import func, select

from bot.demo import DemoServer, start_demo
from bot.demo.school import STUDENTS
from bot.infra.models import OutboxMessage

pytestmark = pytest.mark.browser

CHROME_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1280,900")
WAIT = 10.0


def _find(variable: str, name: str, debian_path: str) -> str | None:
    """$CHROMIUM / $CHROMEDRIVER when set (must exist), else Debian's path, else the PATH."""
    chosen = os.environ.get(variable)
    if chosen:
        return chosen if os.access(chosen, os.X_OK) else None
    if os.access(debian_path, os.X_OK):
        return debian_path
    return shutil.which(name)


@pytest.fixture(scope="module")
def browser_paths() -> tuple[str, str]:
    chromium = _find("CHROMIUM", "chromium", "/usr/bin/chromium")
    driver = _find("CHROMEDRIVER", "chromedriver", "/usr/bin/chromedriver")
    if chromium and driver:
        return chromium, driver
    missing = ", ".join(n for n, p in (("chromium", chromium), ("chromedriver", driver)) if not p)
    if os.environ.get("REQUIRE_BROWSER") == "1":
        pytest.fail(f"REQUIRE_BROWSER=1 but {missing} is not installed (apt-get install chromium chromium-driver)")
    pytest.skip(f"{missing} not installed")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[DemoServer]:
    running = start_demo("127.0.0.1", 0, tmp_path_factory.mktemp("demo") / "demo.sqlite3")
    swept = threading.Event()

    def on_job(event) -> None:
        if event.job_id == "sweep":
            swept.set()

    from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
    running.scheduler.add_listener(on_job, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    running.swept = swept  # the first reminder sweep runs 2 s after start
    yield running
    running.stop()


@contextmanager
def chromium_on(browser_paths: tuple[str, str], demo: DemoServer, metrics: dict | None = None):
    """Headless Chromium on the simulator, once the demo's first reminder sweep has been delivered (so no
    push lands in the middle of a check); ``metrics``: a device to emulate (CDP's setDeviceMetricsOverride)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = browser_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(chromedriver), options=options)
    try:
        browser.set_page_load_timeout(WAIT)
        if metrics:
            browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
        demo.swept.wait(timeout=15)
        _until(lambda: _pending_pushes(demo) == 0, "the first sweep's pushes were delivered")
        browser.get(demo.simulator_url + "/")
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def driver(browser_paths, demo):
    with chromium_on(browser_paths, demo) as browser:
        yield browser


def _pending_pushes(demo: DemoServer) -> int:
    with demo.services.db.session() as s:
        return s.scalar(select(func.count(OutboxMessage.id)).where(OutboxMessage.status == "pending"))


def _until(check: Callable[[], object], what: str, timeout: float = WAIT):
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            found = check()
            if found:
                return found
        except Exception as exc:  # stale elements while the page re-renders
            last_error = exc
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for: {what}" + (f" (last error: {last_error})" if last_error else ""))


# -- page helpers ---------------------------------------------------------------------------
def css(driver, selector: str):
    from selenium.webdriver.common.by import By
    return driver.find_elements(By.CSS_SELECTOR, selector)


def bot_rows(driver):
    return css(driver, "#chat .msg.bot")


def chips(driver) -> list[str]:
    return [c.text for c in css(driver, "#quick-replies .chip") if c.is_displayed()]


def person_row(driver, user_id: str):
    return _until(lambda: [r for r in css(driver, "#people .person") if r.get_attribute("data-user-id") == user_id],
                  f"the row of {user_id}")[0]


def new_bot_rows(driver, before: int, what: str, at_least: int = 1):
    def grown():
        rows = bot_rows(driver)
        return rows[before:] if len(rows) >= before + at_least else None
    return _until(grown, what)


def type_and_send(driver, text: str) -> None:
    box = css(driver, "#chat-input")[0]
    box.clear()
    box.send_keys(text)
    css(driver, "#send-button")[0].click()


def open_person(driver, user_id: str, name: str):
    person_row(driver, user_id).click()
    _until(lambda: any(f"{name}，歡迎！" in r.text for r in bot_rows(driver)), f"{name}'s welcome card")


def console_errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


# -- the checks ------------------------------------------------------------------------------
def test_the_people_list_loads_grouped_with_the_binding_code(driver, demo):
    rows = _until(lambda: css(driver, "#people .person"), "the people list")
    assert len(rows) == len(demo.demo.people)
    titles = [t.text for t in css(driver, "#people .group-title")]
    assert [t.split("（")[0] for t in titles] == ["學生", "任課教師", "導師", "行政", "未綁定"]
    holder = demo.demo.unbound_student
    row = person_row(driver, holder.user_id)
    assert holder.name in row.text and f"綁定碼 {holder.code}" in row.text and "未綁定" in row.text
    assert css(driver, "#notice")[0].is_displayed() is False
    assert console_errors(driver) == []


def test_a_student_sees_the_welcome_card_help_and_a_flex_reply(driver, demo):
    student = next(p for p in demo.demo.people if p.group == STUDENTS and not p.code)
    open_person(driver, student.user_id, student.name)
    assert student.name in css(driver, "#chat-title")[0].text
    card = [r for r in bot_rows(driver) if f"{student.name}，歡迎！" in r.text][-1]
    # the greeting is the follow event's reply: not labelled 推播
    assert card.get_attribute("data-via") == "reply" and "推播" not in card.text
    assert card.find_elements("css selector", ".flex-bubble")
    buttons = [b.text for b in card.find_elements("css selector", ".flex-button")]
    assert buttons == ["我的進度", "期限", "收訖明細", "設定"]
    # LINE's look: the header's colour fills the bubble's width; the first button is primary
    header = card.find_element("css selector", ".flex-header .flex-root")
    assert header.value_of_css_property("background-color") in ("rgba(6, 199, 85, 1)", "rgb(6, 199, 85)")
    bubble = card.find_element("css selector", ".flex-bubble")
    assert abs(header.size["width"] - bubble.size["width"]) <= 1
    assert "flex-button-primary" in card.find_elements("css selector", ".flex-button")[0].get_attribute("class")
    assert chips(driver) == ["我的進度", "期限", "收訖明細", "設定", "說明"]

    # typed text -> the FAQ as a text bubble, with the menu again as quick replies
    before = len(bot_rows(driver))
    type_and_send(driver, "說明")
    answer = new_bot_rows(driver, before, "the answer to 說明")[0]
    assert "常見問題" in answer.find_element("css selector", ".bubble.text").text
    assert [u.text for u in css(driver, "#chat .msg.user .bubble")][-1] == "說明"
    assert css(driver, "#chat-input")[0].get_attribute("value") == ""
    _until(lambda: "我的進度" in chips(driver), "quick replies after 說明")

    # a tapped quick reply -> 我的進度 as a Flex bubble with its buttons
    before = len(bot_rows(driver))
    next(c for c in css(driver, "#quick-replies .chip") if c.text == "我的進度").click()
    progress = new_bot_rows(driver, before, "the answer to 我的進度")[0]
    assert [u.text for u in css(driver, "#chat .msg.user .bubble")][-1] == "我的進度"
    flex_bubble = progress.find_element("css selector", ".flex-bubble")
    assert "我的進度" in flex_bubble.text and "課程學習成果" in flex_bubble.text
    assert progress.get_attribute("data-via") == "reply" and "推播" not in progress.text
    labels = [b.text for b in flex_bubble.find_elements("css selector", ".flex-button")]
    assert "期限" in labels
    assert chips(driver) == []  # a Flex answer without quick replies hides the bar, as LINE does

    # a Flex button (message action) sends its text
    before = len(bot_rows(driver))
    next(b for b in flex_bubble.find_elements("css selector", ".flex-button") if b.text == "期限").click()
    deadlines = new_bot_rows(driver, before, "the answer to the 期限 button")[0]
    assert [u.text for u in css(driver, "#chat .msg.user .bubble")][-1] == "期限"
    assert "截止" in deadlines.text or "期限" in deadlines.text
    assert console_errors(driver) == []


def test_a_confirm_template_and_its_postback(driver, demo):
    student = next(p for p in demo.demo.people if p.group == STUDENTS and not p.code)
    if css(driver, "#chat-title")[0].text.split("・")[0] != student.name:
        open_person(driver, student.user_id, student.name)
    before = len(bot_rows(driver))
    type_and_send(driver, "解除綁定")
    asked = new_bot_rows(driver, before, "the confirm template")[0]
    card = asked.find_element("css selector", ".tpl-card.confirm")
    actions = card.find_elements("css selector", ".tpl-action")
    assert [a.text for a in actions] == ["解除綁定", "取消"] and "解除綁定" in card.text
    before = len(bot_rows(driver))
    next(a for a in actions if a.text == "取消").click()
    answer = new_bot_rows(driver, before, "the answer to 取消")[0]
    assert [u.text for u in css(driver, "#chat .msg.user .bubble")][-1] == "取消"  # the displayText
    assert "取消" in answer.text
    with demo.services.db.session() as s:  # nothing unbound
        from bot.domain.people import load_person
        assert load_person(s, student.user_id) is not None


def test_a_pushed_flex_bubble_appears_by_polling(driver, demo):
    student = next(p for p in demo.demo.people if p.group == STUDENTS and not p.code)
    if css(driver, "#chat-title")[0].text.split("・")[0] != student.name:
        open_person(driver, student.user_id, student.name)
    before = len(bot_rows(driver))
    flex = {"type": "flex", "altText": "測試推播", "contents": {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "backgroundColor": "#1D4E89", "contents": [
            {"type": "text", "text": "推播標題", "color": "#FFFFFF", "weight": "bold"}]},
        "body": {"type": "box", "layout": "vertical", "contents": [
            {"type": "box", "layout": "baseline", "contents": [
                {"type": "text", "text": "左欄", "flex": 1}, {"type": "text", "text": "右欄", "flex": 3}]},
            {"type": "separator"}, {"type": "text", "text": "長的說明文字" * 8, "wrap": True}]},
        "footer": {"type": "box", "layout": "vertical", "contents": [
            {"type": "button", "style": "link", "action": {"type": "message", "label": "期限", "text": "期限"}}]}}}
    demo.services.sender.push(student.user_id, [flex], purpose="browser-test")
    pushed = new_bot_rows(driver, before, "the pushed Flex bubble")[0]  # polled every 1.5 s
    assert pushed.get_attribute("data-via") == "push" and "推播" in pushed.text
    bubble = pushed.find_element("css selector", ".flex-bubble")
    for words in ("推播標題", "左欄", "右欄", "長的說明文字"):
        assert words in bubble.text
    left, right = [t for t in bubble.find_elements("css selector", ".flex-text") if t.text in ("左欄", "右欄")]
    assert left.location["y"] == right.location["y"] and right.size["width"] > 2 * left.size["width"]  # flex 1:3
    wrapped = next(t for t in bubble.find_elements("css selector", ".flex-text") if t.text.startswith("長的"))
    assert wrapped.size["height"] > 2 * left.size["height"]  # wrap: several lines
    assert "flex-button-link" in bubble.find_element("css selector", ".flex-button").get_attribute("class")


def test_a_buttons_template_and_a_carousel_and_tapping_a_template_button(driver, demo):
    student = next(p for p in demo.demo.people if p.group == STUDENTS and not p.code)
    if css(driver, "#chat-title")[0].text.split("・")[0] != student.name:
        open_person(driver, student.user_id, student.name)
    before = len(bot_rows(driver))
    buttons = {"type": "template", "altText": "選擇", "template": {
        "type": "buttons", "title": "按鈕範本標題", "text": "請選一個", "actions": [
            {"type": "message", "label": "看期限", "text": "期限"},
            {"type": "uri", "label": "開啟平台", "uri": "https://example.org/"}]}}
    bubble = {"type": "bubble", "size": "micro", "body": {"type": "box", "layout": "vertical", "contents": [
        {"type": "text", "text": "卡片"}]}}
    carousel = {"type": "flex", "altText": "輪播", "contents": {"type": "carousel", "contents": [
        {**bubble, "body": {**bubble["body"], "contents": [{"type": "text", "text": "第一張"}]}},
        {**bubble, "body": {**bubble["body"], "contents": [{"type": "text", "text": "第二張"}]}}]}}
    demo.services.sender.push(student.user_id, [buttons, carousel], purpose="browser-test")
    rows = new_bot_rows(driver, before, "the pushed template and carousel", at_least=2)
    card = rows[0].find_element("css selector", ".tpl-card")
    assert "按鈕範本標題" in card.text and "請選一個" in card.text
    assert [a.text for a in card.find_elements("css selector", ".tpl-action")] == ["看期限", "開啟平台"]
    first, second = rows[1].find_elements("css selector", ".flex-carousel .flex-bubble")
    assert first.text == "第一張" and second.text == "第二張"
    assert first.location["y"] == second.location["y"] and second.location["x"] > first.location["x"]  # side by side
    before = len(bot_rows(driver))
    card.find_elements("css selector", ".tpl-action")[0].click()
    new_bot_rows(driver, before, "the answer to the template's message action")
    assert [u.text for u in css(driver, "#chat .msg.user .bubble")][-1] == "期限"


def test_a_reminder_from_the_demo_scheduler_is_shown_as_a_pushed_flex_bubble(driver, demo):
    standin = demo.app.extensions["line_standin"]
    reminded = [p for p in demo.demo.people if p.group == STUDENTS and not p.code
                and any(d.via != "reply" and m["type"] == "flex" for d in standin.sent_to(p.user_id) for m in d.messages)]
    assert reminded, "the demo's first sweep reminded no student"
    person = reminded[-1]
    pushed = next(m for d in standin.sent_to(person.user_id) if d.via != "reply" for m in d.messages
                  if m["type"] == "flex")
    open_person(driver, person.user_id, person.name)
    shown = [r for r in bot_rows(driver) if r.get_attribute("data-via") != "reply" and r.find_elements(
        "css selector", ".flex-bubble") and f"{person.name}，歡迎！" not in r.text]
    assert shown and all("推播" in r.text for r in shown)
    words = [t for t in _flex_texts(pushed["contents"]) if t.strip()]
    assert words and all(w.split("\n")[0] in "\n".join(r.text for r in shown) for w in words)


def _flex_texts(node) -> list[str]:
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" and isinstance(node.get("text"), str) else []
        return own + [t for value in node.values() for t in _flex_texts(value)]
    if isinstance(node, list):
        return [t for value in node for t in _flex_texts(value)]
    return []


def test_binding_the_unbound_student_with_the_code_on_the_page(driver, demo):
    holder = demo.demo.unbound_student
    open_person(driver, holder.user_id, holder.name)
    hint = css(driver, "#chat-hint")[0]
    assert hint.is_displayed() and holder.code in hint.text
    assert chips(driver) == ["綁定說明", "說明"]
    hint.find_element("css selector", ".hint-code").click()  # fills the input with the code
    assert css(driver, "#chat-input")[0].get_attribute("value") == holder.code
    before = len(bot_rows(driver))
    css(driver, "#send-button")[0].click()
    reply = new_bot_rows(driver, before, "the answer to the binding code")[0]
    assert "綁定成功" in reply.text and holder.name in reply.text
    _until(lambda: chips(driver) == ["我的進度", "期限", "收訖明細", "設定", "說明"], "the student menu")
    row = person_row(driver, holder.user_id)
    _until(lambda: "綁定碼" not in person_row(driver, holder.user_id).text, "the used code leaves the list")
    assert "未綁定" not in person_row(driver, holder.user_id).text
    assert not css(driver, "#chat-hint")[0].is_displayed()
    assert "未綁定" not in css(driver, "#chat-title")[0].text and row is not None
    assert console_errors(driver) == []


def test_emoji_are_drawn_in_colour_without_an_emoji_font_on_the_machine(driver, demo):
    """The page ships its emoji font: 🎉 is drawn in colour, not as a grey box."""
    import io

    from PIL import Image

    driver.execute_script("""
        const probe = document.createElement('div');
        probe.id = 'emoji-probe';
        probe.style.cssText = 'position:fixed;left:0;top:0;font-size:64px;background:#fff;z-index:99;padding:4px';
        probe.textContent = '🎉📊';
        document.body.appendChild(probe);""")
    try:
        _until(lambda: driver.execute_script(
            "return document.fonts.check('64px \"Bot Emoji\"', '🎉') && document.fonts.status === 'loaded'"),
            "the emoji font loaded")
        pixels = Image.open(io.BytesIO(css(driver, "#emoji-probe")[0].screenshot_as_png)).convert("RGB").tobytes()
        colourful = sum(1 for i in range(0, len(pixels), 3) if max(pixels[i:i + 3]) - min(pixels[i:i + 3]) > 60)
        assert colourful > 200, f"only {colourful} coloured pixels: the emoji are boxes"
    finally:
        driver.execute_script("document.getElementById('emoji-probe').remove()")
