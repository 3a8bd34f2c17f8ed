"""我的進度 (a student's status): one Flex bubble with a short text fallback, and the details on tap."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.queries.student import OutcomeRow, PerformanceRow, StudentStatus
from bot.infra.vocab import (
    OUTCOME_PICKS_PER_YEAR, OUTCOME_STATUS_LABELS, PERFORMANCE_PICKS_PER_YEAR,
    WINDOW_KIND_LABELS, OutcomeStatus, WindowKind,
)
from messages import commands as c
from messages import common, flex
from messages.reminders import when

STATUS_ACTION = "st"          # postback: a=st&v=<view>
VIEWS = ("outcomes", "performances", "picks")
STATUS_COMMAND = c.STATUS.label
MAX_DETAIL_LINES = 40
# After the upload window, only teachers certify; a 認證失敗 then cannot be sent again this term.
TEACHERS_ONLY_FAILED = "上傳期間已結束，現在只有老師能認證：認證失敗的成果本學期無法再重新送出，如有疑問請洽任課老師。"
STATUS_ORDER = (OutcomeStatus.failed, OutcomeStatus.draft, OutcomeStatus.pending, OutcomeStatus.certified)


def _fix_hint(status: StudentStatus, now: datetime, tz: ZoneInfo) -> str:
    """What a student with a failed item can do, and by when: resubmit only while uploading is open."""
    upload = status.window(WindowKind.outcome_upload, now)
    if upload is not None:
        return f"請依老師說明修改後，在 {when(upload.ends_at, tz)} 前重新送出認證。"
    if status.window(WindowKind.certification, now) is not None:
        return TEACHERS_ONLY_FAILED
    return "目前不在上傳期間，請洽任課老師或教學組。"


def _slots(status: StudentStatus) -> tuple[str, bool]:
    used = len(status.outcomes)
    limit = status.school.outcome_uploads_per_term  # the school's number (本校規定)
    if used > limit:
        return f"已上傳 {used} 件，超過本校每學期上限 {limit} 件", True
    return f"可再上傳 {limit - used} 件（本校上限 {limit}）", False


def _over(count: int, limit: int) -> bool:
    return count > limit


def _deadline_text(status: StudentStatus, now: datetime, tz: ZoneInfo) -> str:
    nxt = status.next_deadline(now)
    if nxt is None:
        return "目前沒有開放中的期限"
    return f"{WINDOW_KIND_LABELS[nxt.kind]} {when(nxt.ends_at, tz)}（{flex.days_left(nxt.ends_at, now, tz)}）"


def no_term() -> dict:
    return common.text("學校尚未匯入本學期的學習歷程資料，請稍後再查詢。", quick=[c.DEADLINES.label, c.HELP.label])


def status_summary(status: StudentStatus, now: datetime, tz: ZoneInfo) -> str:
    """The short text fallback (altText) of 我的進度."""
    counts = "、".join(f"{OUTCOME_STATUS_LABELS[s]} {len(status.by_status(s))}" for s in STATUS_ORDER
                       if status.by_status(s))
    slots, _ = _slots(status)
    parts = [
        f"我的進度（{status.term_label}）",
        f"課程學習成果：{counts or '尚未上傳'}；{slots}",
        f"多元表現：本學年 {status.performances}/{status.school.performance_uploads_per_year} 件",
        f"勾選：成果 {status.outcome_picks}/{OUTCOME_PICKS_PER_YEAR}、表現 {status.performance_picks}/"
        f"{PERFORMANCE_PICKS_PER_YEAR}",
        f"下一個期限：{_deadline_text(status, now, tz)}",
    ]
    if status.by_status(OutcomeStatus.failed):
        parts.insert(2, f"有 {len(status.by_status(OutcomeStatus.failed))} 件認證失敗，{_fix_hint(status, now, tz)}")
    return "\n".join(parts)


def status_bubble(status: StudentStatus, now: datetime, tz: ZoneInfo) -> dict:
    """我的進度 as one Flex bubble; the buttons open the details."""
    body: list[dict] = [flex.text("課程學習成果（本學期）", weight="bold", size="md")]
    if not status.outcomes:
        body.append(flex.text("本學期還沒有上傳任何課程學習成果。", size="sm", color=flex.ORANGE, margin="sm"))
    for s in STATUS_ORDER:
        rows = status.by_status(s)
        if rows:
            body.append(flex.row(OUTCOME_STATUS_LABELS[s], f"{len(rows)} 件",
                                 flex.RED if s == OutcomeStatus.failed else flex.GREY))
    slots, over = _slots(status)
    body.append(flex.text(slots, size="sm", color=flex.RED if over else flex.GREY, margin="sm"))
    failed = status.by_status(OutcomeStatus.failed)
    for item in failed[:5]:
        body.append(flex.text(f"✗ {item.subject}「{item.title}」：{item.reason or '（老師未填說明）'}",
                              size="sm", color=flex.RED, margin="sm"))
    if failed:
        body.append(flex.text(_fix_hint(status, now, tz), size="sm", color=flex.RED, margin="sm"))
    drafts = status.by_status(OutcomeStatus.draft)
    if drafts:
        body.append(flex.text(f"有 {len(drafts)} 件尚未送出認證，記得在期限內送出。", size="sm",
                              color=flex.ORANGE, margin="sm"))

    body += [flex.separator(), flex.text("多元表現（本學年）", weight="bold", size="md", margin="md")]
    perf_over = _over(status.performances, status.school.performance_uploads_per_year)
    body.append(flex.row("已上傳", f"{status.performances}/{status.school.performance_uploads_per_year} 件",
                         flex.RED if perf_over else flex.GREY))
    if perf_over:
        body.append(flex.text(f"超過本校規定每學年上限 {status.school.performance_uploads_per_year} 件，請洽訓育組。", size="sm",
                              color=flex.RED))

    body += [flex.separator(), flex.text("勾選提交中央（本學年）", weight="bold", size="md", margin="md")]
    for label, count, limit in (("課程學習成果", status.outcome_picks, OUTCOME_PICKS_PER_YEAR),
                                ("多元表現", status.performance_picks, PERFORMANCE_PICKS_PER_YEAR)):
        body.append(flex.row(label, f"{count}/{limit} 件", flex.RED if _over(count, limit) else flex.GREY))
        if _over(count, limit):
            body.append(flex.text(f"{label}勾選超過上限 {limit} 件，請取消多的勾選。", size="sm", color=flex.RED))

    body += [flex.separator(), flex.text("下一個期限", weight="bold", size="md", margin="md"),
             flex.text(_deadline_text(status, now, tz), size="sm", color=flex.GREY, margin="sm")]
    buttons = [
        flex.button(common.postback_action("成果明細", f"a={STATUS_ACTION}&v=outcomes", "成果明細")),
        flex.button(common.postback_action("多元表現明細", f"a={STATUS_ACTION}&v=performances", "多元表現明細")),
        flex.button(common.postback_action("勾選明細", f"a={STATUS_ACTION}&v=picks", "勾選明細")),
        flex.button(common.message_action(c.DEADLINES.label), primary=True),
    ]
    contents = flex.bubble("📊 我的進度", body, buttons, f"{status.name}・{status.term_label} 學期")
    return flex.flex(status_summary(status, now, tz), contents)


def _capped(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_DETAIL_LINES:
        return lines
    return lines[:MAX_DETAIL_LINES] + [f"…另有 {len(lines) - MAX_DETAIL_LINES} 件"]


def outcome_details(status: StudentStatus, now: datetime, tz: ZoneInfo) -> dict:
    lines = [f"【{status.term_label} 課程學習成果】"]
    if not status.outcomes:
        lines.append("本學期還沒有上傳任何課程學習成果。本校規定每學期至多上傳 "
                     f"{status.school.outcome_uploads_per_term} 件，上傳後要「送出認證」由任課老師認證。")
    for s in STATUS_ORDER:
        rows = status.by_status(s)
        if not rows:
            continue
        lines.append(f"\n■ {OUTCOME_STATUS_LABELS[s]}（{len(rows)} 件）")
        for item in rows:
            mark = "（已勾選）" if item.picked else ""
            lines.append(f"• {item.subject}「{item.title}」{mark}")
            if s == OutcomeStatus.failed:
                lines.append(f"  老師的說明：{item.reason or '（未填寫）'}")
    if status.by_status(OutcomeStatus.failed):
        lines.append("\n" + _fix_hint(status, now, tz))
    return common.text("\n".join(_capped(lines)), quick=[STATUS_COMMAND, c.DEADLINES.label, c.HELP.label])


def performance_details(status: StudentStatus, rows: list[PerformanceRow]) -> dict:
    lines = [f"【{status.year} 學年度多元表現】{len(rows)}/{status.school.performance_uploads_per_year} 件"]
    if not rows:
        lines.append("這學年還沒有上傳多元表現（幹部、競賽、志工、檢定、社團、自主學習等都可以）。")
    lines += _capped([f"• {r.category}：{r.title}{'（已勾選）' if r.picked else ''}" for r in rows])
    return common.text("\n".join(lines), quick=[STATUS_COMMAND, c.DEADLINES.label, c.HELP.label])


def pick_details(status: StudentStatus, outcomes: list[OutcomeRow], performances: list[PerformanceRow],
                 now: datetime, tz: ZoneInfo) -> dict:
    picked = [p for p in performances if p.picked]
    lines = [f"【{status.pick_year} 學年度勾選提交中央】",
             f"課程學習成果 {len(outcomes)}/{OUTCOME_PICKS_PER_YEAR} 件"]
    lines += _capped([f"• {o.subject}「{o.title}」" for o in outcomes]) or ["（尚未勾選）"]
    lines.append(f"多元表現 {len(picked)}/{PERFORMANCE_PICKS_PER_YEAR} 件")
    lines += _capped([f"• {p.category}：{p.title}" for p in picked]) or ["（尚未勾選）"]
    window = status.window(WindowKind.pick, now)
    if window is not None:
        lines.append(f"\n勾選截止：{when(window.ends_at, tz)}（{flex.days_left(window.ends_at, now, tz)}）")
    else:
        lines.append("\n目前不在勾選期間；勾選請在學校公告的期間內到學習歷程平臺完成。")
    return common.text("\n".join(lines), quick=[STATUS_COMMAND, c.DEADLINES.label, c.HELP.label])


def bad_view() -> dict:
    return common.text("這個按鈕已失效，請重新輸入「我的進度」。", quick=[STATUS_COMMAND])
