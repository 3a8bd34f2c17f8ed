"""The chat screens of issue #13 on a phone: headless Chromium at 375 px (an iPhone's width), against the
real demo. Each screen is photographed (PHONE_SHOTS=<folder> keeps the PNGs) and checked for what must be
on it: the course names and buttons of a teacher's 待認證 and its list, the staff 統計 with each heading on
the bubble that holds its lines, a reminder with its snooze button, and 設定 showing the snooze. Nothing
may stick out past the right edge of the screen.

Needs Debian's `chromium` and `chromium-driver`; skipped without them unless REQUIRE_BROWSER=1 (CI).
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from bot.demo.school import STAFF, STUDENTS, SUBJECT_TEACHERS
from bot.domain.people import load_person
from bot.domain.queries.teacher import pending_for_teacher, waiting_items
from tests.test_simulator_browser import (  # noqa: F401 (fixtures)
    _until, bot_rows, browser_paths, chromium_on, css, demo, new_bot_rows, person_row, type_and_send,
)

pytestmark = pytest.mark.browser

WIDTH = 375  # CSS pixels


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(os.environ.get("PHONE_SHOTS") or tempfile.mkdtemp(prefix="phone-shots-"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def phone(browser_paths, demo):
    """Chromium as a 375-px-wide phone, on the simulator, after the demo's first reminder sweep."""
    with chromium_on(browser_paths, demo, {"width": WIDTH, "height": 812, "deviceScaleFactor": 2,
                                            "mobile": True}) as browser:
        _until(lambda: css(browser, "#people .person"), "the people list")
        yield browser


# -- helpers --------------------------------------------------------------------------------
def open_chat(phone, user_id: str) -> None:
    """Back to the list (on a phone the chat replaces it), then this person's chat."""
    back = css(phone, "#back-to-people")
    if back and back[0].is_displayed():
        back[0].click()
    person_row(phone, user_id).click()
    _until(lambda: bot_rows(phone), "the chat")
    _until(lambda: css(phone, "#chat-input")[0].is_displayed(), "the composer")


def fits(phone, element) -> None:
    """The page is not wider than the phone, and ``element`` is not cut at either edge."""
    assert phone.execute_script("return document.documentElement.scrollWidth") <= WIDTH
    left, right = phone.execute_script("var r = arguments[0].getBoundingClientRect(); return [r.left, r.right];",
                                       element)
    assert left >= 0 and right <= WIDTH, (left, right)


def photograph(phone, row, shots: Path, name: str) -> Path:
    phone.execute_script("arguments[0].scrollIntoView({block: 'end'})", row)
    path = shots / f"{name}.png"
    phone.save_screenshot(str(path))
    from PIL import Image
    with Image.open(path) as shot:
        assert shot.width == WIDTH * 2  # the device pixel ratio is 2
    return path


def bubbles(row) -> list:
    return row.find_elements("css selector", ".flex-bubble")


def labels(element) -> list[str]:
    return [b.text.strip() for b in element.find_elements("css selector", ".flex-button") if b.text.strip()]


def bubble_with(row, heading: str):
    """The one bubble of ``row`` that shows ``heading``."""
    found = [b for b in bubbles(row) if heading in b.get_attribute("textContent")]
    assert len(found) == 1, (heading, [b.get_attribute("textContent")[:80] for b in bubbles(row)])
    return found[0]


def teacher_with_pending(demo):
    with demo.services.db.session() as s:
        settings = demo.services.settings
        for listed in demo.demo.in_group(SUBJECT_TEACHERS):
            person = load_person(s, listed.user_id)
            view = pending_for_teacher(s, person.id, demo.services.clock(), settings.stages, settings.tz)
            if view.own:
                return listed, view, {c.course_id: waiting_items(s, c.course_id) for c in view.own}
    raise AssertionError("the demo has no subject teacher with items to certify")


# -- the screens ----------------------------------------------------------------------------
def test_a_teachers_worklist_and_a_courses_waiting_list(phone, demo, shots):
    listed, view, waiting = teacher_with_pending(demo)
    open_chat(phone, listed.user_id)
    before = len(bot_rows(phone))
    type_and_send(phone, "待認證")
    [row] = new_bot_rows(phone, before, "待認證")
    photograph(phone, row, shots, "1-teacher-pending")
    first = bubbles(row)[0]
    fits(phone, first)
    heading = f"我的課程（{sum(c.count for c in view.own)} 件）"
    mine = bubble_with(row, heading)
    text = mine.get_attribute("textContent")
    for course in view.own[:4]:  # the first bubble's courses: the names a teacher taps
        assert f"{course.subject} {course.class_code} 班：{course.count} 件" in text
        assert f"最久已等 {course.waited_days(demo.services.clock())} 天" in text
    assert [f"查看 {c.count} 件名單" for c in view.own[:4]] == [b for b in labels(mine) if b.startswith("查看")]
    assert "前往平臺認證" in labels(mine)

    # one tap: the course's waiting list (seat, name, 成果名稱, days waiting)
    course = view.own[0]
    tap = next(b for b in mine.find_elements("css selector", ".flex-button") if b.text.startswith("查看"))
    before = len(bot_rows(phone))
    tap.click()
    [listing] = new_bot_rows(phone, before, "the course's waiting list")
    photograph(phone, listing, shots, "2-teacher-waiting-list")
    fits(phone, bubbles(listing)[0])
    shown = listing.get_attribute("textContent")
    assert f"{course.subject} {course.class_code} 班待認證" in shown
    for item in waiting[course.course_id][:8]:
        assert f"{item.seat} 號 {item.name}" in shown and f"〈{item.title}〉" in shown
    assert "已等 " in shown and "前往平臺認證" in labels(listing) and "待認證" in labels(listing)


def test_staff_statistics_one_bubble_per_question(phone, demo, shots):
    registry = next(p for p in demo.demo.in_group(STAFF) if "註冊組" in p.detail)
    open_chat(phone, registry.user_id)
    before = len(bot_rows(phone))
    type_and_send(phone, "統計")
    [row] = new_bot_rows(phone, before, "統計")
    photograph(phone, row, shots, "3-staff-statistics")
    fits(phone, bubbles(row)[0])
    for heading, line in (("全校", "認證率"), ("落後的班級", "勾選率"), ("待認證最多的教師", "待認證")):
        holder = bubble_with(row, heading)
        assert line in holder.get_attribute("textContent")  # the heading is on the bubble with its lines
        assert "完整報表" in labels(holder)
    # a 註冊組 who teaches nothing is not offered 待認證
    assert "待認證" not in [c.text for c in css(phone, "#quick-replies .chip")]
    assert "待認證" not in phone.find_element("css selector", "#rich-menu").get_attribute("textContent")


def test_a_reminder_with_its_snooze_and_settings_showing_it(phone, demo, shots):
    def snoozable(listed) -> bool:
        return any(m["type"] == "flex" and "明天再提醒我" in str(m.get("contents", {}).get("footer", ""))
                   for d in demo.app.extensions["line_standin"].sent_to(listed.user_id)
                   if d.via != "reply" for m in d.messages)
    student = next(p for p in demo.demo.in_group(STUDENTS) if not p.code and snoozable(p))
    open_chat(phone, student.user_id)
    reminder = _until(lambda: [r for r in bot_rows(phone) if "學習歷程提醒" in r.text and "明天再提醒我" in r.text],
                      "a pushed reminder with its snooze")[0]
    photograph(phone, reminder, shots, "4-reminder-with-snooze")
    fits(phone, bubbles(reminder)[0])
    assert reminder.get_attribute("data-via") != "reply" and "推播" in reminder.text
    assert "明天再提醒我" in labels(reminder)
    before = len(bot_rows(phone))
    button = next(b for b in reminder.find_elements("css selector", ".flex-button") if b.text == "明天再提醒我")
    button.click()
    [answer] = new_bot_rows(phone, before, "the snooze's answer")
    assert "再提醒你" in answer.text and answer.get_attribute("data-via") == "reply"  # free: a reply

    before = len(bot_rows(phone))
    type_and_send(phone, "設定")
    [settings] = new_bot_rows(phone, before, "設定")
    photograph(phone, settings, shots, "5-settings-with-snooze")
    fits(phone, bubbles(settings)[0])
    shown = settings.get_attribute("textContent")
    assert "延後的提醒" in shown and "08:00 再提醒" in shown and "綁定資料" in shown
