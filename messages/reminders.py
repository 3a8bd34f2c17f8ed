"""Reminder texts (zh-TW) and the one message a person gets per sweep.

Each rule contributes a `Section` (a heading and a few lines); `reminder_message` folds
one person's sections into one Flex bubble whose ``altText`` is the full text fallback.
Builders are deterministic, so people owed the same reminder get byte-identical messages
(which the sweep multicasts).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.infra.config import SchoolRules
from bot.infra.line_limits import MAX_ALT_TEXT, utf16_len
from bot.infra.vocab import (
    OUTCOME_UPLOADS_PER_TERM,
    OUTCOME_PICKS_PER_YEAR,
    PERFORMANCE_PICKS_PER_YEAR,
)
from messages.common import postback_action
from messages.texts import BOT_NAME

MAX_LIST_LINES = 30
WEEKDAYS = "一二三四五六日"
TITLE = "學習歷程提醒"


@dataclass(frozen=True)
class Section:
    """One reminder inside a message: a heading and its lines."""

    heading: str
    lines: tuple[str, ...]


def when(moment: datetime, tz: ZoneInfo) -> str:
    """A deadline as people read it: 9/30（二）17:00."""
    local = moment.astimezone(tz)
    return f"{local.month}/{local.day}（{WEEKDAYS[local.weekday()]}）{local:%H:%M}"


def _capped(lines: list[str], unit: str = "人") -> list[str]:
    if len(lines) <= MAX_LIST_LINES:
        return lines
    return lines[:MAX_LIST_LINES] + [f"…另有 {len(lines) - MAX_LIST_LINES} {unit}"]


# -- 課程學習成果上傳 ------------------------------------------------------------
def outcome_upload_opening(term: str, deadline: str, limit: int = OUTCOME_UPLOADS_PER_TERM) -> Section:
    """``limit``: the school's 課程學習成果 limit a term (本校規定)."""
    return Section(f"{term} 課程學習成果上傳開放", (
        f"截止：{deadline}",
        f"想上傳的成果請在截止前完成（本校規定每學期至多 {limit} 件，不限科目），"
        "上傳後記得「送出認證」。",
    ))


def outcome_upload_todo(term: str, deadline: str, drafts: int, failed: list[tuple[str, str, str]]) -> Section:
    """``failed``: (subject, title, the teacher's reason) of items that can still be fixed."""
    lines = [f"截止：{deadline}"]
    if drafts:
        lines.append(f"你有 {drafts} 件成果尚未送出認證，請在截止前送出。")
    if failed:
        lines.append(f"你有 {len(failed)} 件成果認證失敗，可修改後重新送出：")
        lines += _capped([f"• {subject}「{title}」：{reason or '（老師未填說明）'}"
                          for subject, title, reason in failed], "件")
    return Section(f"{term} 課程學習成果上傳即將截止", tuple(lines))


# -- 課程學習成果認證 ------------------------------------------------------------
# Certification after uploading closed (the seed's 「此時間區間僅教師可認證」): a 退回 is final for the term.
FINAL_RETURN = "學生上傳已截止：此時退回（認證失敗）的成果，學生本學期無法再重新送出。"


def certification_todo(term: str, deadline: str, count: int, classes: list[str], oldest_days: int,
                       proxies_told: list[str], final: bool = False) -> Section:
    """``final``: uploading has closed for the term, so a 退回 now cannot be corrected by the student."""
    lines = [
        f"截止：{deadline}",
        f"您有 {count} 件課程學習成果待認證（班級：{'、'.join(classes)}）。",
        f"最久的一件已等待 {oldest_days} 天。",
    ]
    if final:
        lines.append(FINAL_RETURN)
    if proxies_told:
        lines.append(f"期限將至，已同時通知代理教師：{'、'.join(proxies_told)}。")
    return Section(f"{term} 課程學習成果待認證", tuple(lines))


def _teacher_lines(teachers: list[tuple[str, int, list[str], bool]]) -> list[str]:
    """One line per teacher: (name, pending count, classes, on leave now)."""
    return _capped([f"• {name} 老師{'（請假中）' if absent else ''}：{count} 件（{'、'.join(classes)}）"
                    for name, count, classes, absent in teachers])


def certification_proxy(term: str, deadline: str, teachers: list[tuple[str, int, list[str], bool]],
                        final: bool = False) -> Section:
    """``teachers``: (teacher's name, pending count, classes, on leave now) whose proxy you are."""
    lines = [f"截止：{deadline}", "您是下列課程的代理教師，任課教師尚未完成認證："]
    lines += _teacher_lines(teachers)
    if final:
        lines.append(FINAL_RETURN)
    return Section(f"{term} 代理認證通知", tuple(lines))


def certification_office(term: str, deadline: str, teachers: list[tuple[str, int, list[str], bool]]) -> Section:
    """教學組 at the escalation point: ``teachers`` (name, pending count, classes, on leave now), most first."""
    lines = [f"截止：{deadline}", "認證期限將至，下列任課教師仍有課程學習成果待認證（已再次提醒教師）："]
    lines += _teacher_lines(teachers)
    return Section(f"{term} 課程學習成果待認證（教學組）", tuple(lines))


# -- 多元表現上傳 ----------------------------------------------------------------
def performance_upload_opening(term: str, deadline: str, school: SchoolRules = SchoolRules()) -> Section:
    return Section(f"{term} 多元表現上傳開放", (
        f"截止：{deadline}",
        f"每學期至多 {school.performance_uploads_per_term} 件、每學年至多 {school.performance_uploads_per_year} 件"
        "（本校規定）。",
    ))


def performance_upload_none(term: str, deadline: str) -> Section:
    return Section(f"{term} 多元表現上傳即將截止", (
        f"截止：{deadline}",
        "你這學年還沒有上傳任何多元表現（幹部、競賽、志工、檢定、社團等都可以）。",
    ))


# -- 勾選 -------------------------------------------------------------------------
def pick_opening(year: int, deadline: str) -> Section:
    return Section(f"{year} 學年度勾選開放", (
        f"截止：{deadline}",
        f"請勾選要提交中央的項目：課程學習成果至多 {OUTCOME_PICKS_PER_YEAR} 件、"
        f"多元表現至多 {PERFORMANCE_PICKS_PER_YEAR} 件。",
    ))


def pick_todo(year: int, deadline: str, outcomes: bool, performances: bool) -> Section:
    what = "、".join(w for w, on in (("課程學習成果", outcomes), ("多元表現", performances)) if on)
    return Section(f"{year} 學年度勾選即將截止", (
        f"截止：{deadline}",
        f"你有{what}但還沒有勾選任何一件；未勾選就不會提交到中央資料庫。",
    ))


def pick_class_list(year: int, deadline: str, class_code: str,
                    students: list[tuple[int, str, bool, bool]]) -> Section:
    """``students``: (seat, name, outcomes not picked, performances not picked) of the class."""
    lines = [f"截止：{deadline}", f"{class_code} 班尚未勾選的同學（{len(students)} 人）："]
    lines += _capped([f"{seat:02d} {name}（{_not_picked(outcomes, performances)}）"
                      for seat, name, outcomes, performances in students])
    return Section(f"{year} 學年度勾選：班級名單", tuple(lines))


def _not_picked(outcomes: bool, performances: bool) -> str:
    return "、".join(w for w, on in (("成果", outcomes), ("多元表現", performances)) if on)


# -- 收訖明細確認 ----------------------------------------------------------------
def receipt_todo(term: str, deadline: str, last_day: bool) -> Section:
    lines = [f"截止：{deadline}", "學校已提交你的收訖明細，請輸入「收訖明細」查看並確認；有疑義請在期限內提出。"]
    if last_day:
        lines.append("今天是最後一天，逾期未確認也未提出疑義，視為確認。")
    return Section(f"{term} 收訖明細確認", tuple(lines))


def receipt_class_list(term: str, deadline: str, class_code: str, students: list[tuple[int, str]]) -> Section:
    lines = [f"截止：{deadline}", f"{class_code} 班尚未確認的同學（{len(students)} 人）："]
    lines += _capped([f"{seat:02d} {name}" for seat, name in students])
    return Section(f"{term} 收訖明細確認：班級名單", tuple(lines))


# -- status changes and notices ---------------------------------------------------
def outcome_failed(subject: str, title: str, reason: str | None, can_resubmit: bool = True) -> Section:
    """``can_resubmit`` False: uploading has closed for the term (only teachers certify now)."""
    return Section("課程學習成果認證失敗", (
        f"{subject}「{title}」認證失敗。",
        f"老師的說明：{reason or '（未填寫）'}",
        "請在上傳期限內修改後重新送出認證。" if can_resubmit else
        "上傳期間已結束，這件成果本學期無法再重新送出；如有疑問請洽任課老師。",
    ))


def certification_missed(term: str, deadline: str, items: list[tuple[str, str]]) -> Section:
    """``items``: (subject, title) still 待認證 when certification closed."""
    lines = [f"認證已於 {deadline} 截止，下列課程學習成果沒有在期限內完成認證，不能勾選提交："]
    lines += _capped([f"• {subject}「{title}」" for subject, title in items])
    lines.append("如有疑問請洽任課老師或教學組。")
    return Section(f"{term} 課程學習成果未完成認證", tuple(lines))


def quota_notice(kept: int, remaining: int) -> Section:
    return Section("LINE 訊息額度不足", (
        f"本月剩餘額度 {remaining} 則，本次有 {kept} 人的提醒暫緩發送。",
        "已先送出期限最近的提醒；其餘會在額度恢復（下個月或提高方案）後補送。",
    ))


# -- the one message ---------------------------------------------------------------
def text_fallback(sections: list[Section]) -> str:
    parts = [f"【{TITLE}】"]
    for section in sections:
        parts.append(f"■ {section.heading}\n" + "\n".join(section.lines))
    body = "\n\n".join(parts)
    if utf16_len(body) > MAX_ALT_TEXT:
        cut = body
        while utf16_len(cut) > MAX_ALT_TEXT - 2:
            cut = cut[: len(cut) - 50]
        body = cut + "…"
    return body


def _text(value: str, **style) -> dict:
    return {"type": "text", "text": value, "wrap": True, **style}


def reminder_message(sections: list[Section], snooze: tuple[tuple[str, str], ...] = ()) -> dict:
    """One Flex bubble holding every section; altText is the whole reminder as plain text. ``snooze``:
    the (label, postback data) of each snooze button (「明天再提醒我」...), in the footer."""
    body: list[dict] = []
    for index, section in enumerate(sections):
        if index:
            body.append({"type": "separator", "margin": "lg"})
        body.append(_text(section.heading, weight="bold", size="md", margin="lg" if index else "none"))
        body += [_text(line, size="sm", color="#555555", margin="sm") for line in section.lines]
    bubble = {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "contents": [
            _text(f"📌 {TITLE}", weight="bold", size="lg", color="#1B5E20"),
            _text(BOT_NAME, size="xs", color="#888888"),
        ]},
        "body": {"type": "box", "layout": "vertical", "contents": body},
    }
    if snooze:
        bubble["footer"] = {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
            {"type": "button", "style": "secondary", "height": "sm", "action": postback_action(label, data, label)}
            for label, data in snooze]}
    return {"type": "flex", "altText": text_fallback(sections), "contents": bubble}
