"""期限: the windows that concern a student, open ones first, with dates in the school's time zone."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.queries.student import StudentStatus, WindowRow
from bot.infra.vocab import (
    OUTCOME_PICKS_PER_YEAR, PERFORMANCE_PICKS_PER_YEAR, WINDOW_KIND_LABELS,
    OutcomeStatus, WindowKind,
)
from messages import commands as c
from messages import common, flex
from messages.reminders import when

DEADLINES_COMMAND = c.DEADLINES.label
MAX_WINDOWS = 12
# What each window asks of the student, in a few words.
WHAT_TO_DO: dict[WindowKind, str] = {
    WindowKind.outcome_upload: "上傳課程學習成果並送出認證",
    WindowKind.certification: "任課老師認證；認證失敗的可在上傳期限內修改後重新送出",
    WindowKind.performance_upload: "上傳多元表現",
    WindowKind.pick: "勾選要提交中央的成果（至多 6 件）與表現（至多 10 件）",
    WindowKind.receipt: "確認收訖明細，有疑義在期限內提出",
}
# Certification still open after uploading closed: teachers only (the seed's last days of 認證).
TEACHERS_ONLY = "上傳已截止，只有任課老師能認證；此時認證失敗的，本學期無法再重新送出"


def what_to_do(window: WindowRow, upload_open: set[int], now: datetime) -> str:
    """What a window asks; an open certification window whose term's uploading has closed is the teachers'."""
    if window.kind == WindowKind.certification and window.is_open(now) and window.term_id not in upload_open:
        return TEACHERS_ONLY
    return WHAT_TO_DO[window.kind]


def your_part(window: WindowRow, status: StudentStatus | None) -> str | None:
    """Where the student stands on what a window asks (None when there is nothing to say)."""
    if status is None:
        return None
    current = window.term_label == status.term_label
    if window.kind == WindowKind.outcome_upload and current:
        drafts, failed = len(status.by_status(OutcomeStatus.draft)), len(status.by_status(OutcomeStatus.failed))
        todo = []
        if drafts:
            todo.append(f"{drafts} 件未送出")
        if failed:
            todo.append(f"{failed} 件認證失敗待修改")
        return "你：" + ("、".join(todo) if todo else f"已上傳 {len(status.outcomes)} 件，沒有待處理的")
    if window.kind == WindowKind.certification and current:
        return f"你：{len(status.by_status(OutcomeStatus.pending))} 件待老師認證"
    if window.kind == WindowKind.performance_upload:
        return f"你：本學年已上傳 {status.performances}/{status.school.performance_uploads_per_year} 件"
    if window.kind == WindowKind.pick:
        return (f"你：已勾選成果 {status.outcome_picks}/{OUTCOME_PICKS_PER_YEAR}、"
                f"表現 {status.performance_picks}/{PERFORMANCE_PICKS_PER_YEAR}")
    if window.kind == WindowKind.receipt:
        return "你：收訖明細待確認" if window.term_id in status.unconfirmed_terms else "你：沒有待確認的收訖明細"
    return None


def _line(window: WindowRow, now: datetime, tz: ZoneInfo, upload_open: set[int],
          status: StudentStatus | None = None) -> str:
    label = f"{WINDOW_KIND_LABELS[window.kind]}（{window.term_label}）"
    if window.is_open(now):
        timing = f"截止 {when(window.ends_at, tz)}，{flex.days_left(window.ends_at, now, tz)}"
    else:
        timing = f"{when(window.starts_at, tz)} 開始（{flex.days_until(window.starts_at, now, tz)}），" \
                 f"截止 {when(window.ends_at, tz)}"
    mine = your_part(window, status) if window.is_open(now) else None
    return f"• {label}\n  {timing}\n  {what_to_do(window, upload_open, now)}" + (f"\n  {mine}" if mine else "")


def deadlines(windows: list[WindowRow], now: datetime, tz: ZoneInfo, status: StudentStatus | None = None) -> dict:
    """Open windows (soonest end first, with where the student stands), then coming ones (soonest start first)."""
    open_now = [w for w in windows if w.is_open(now)]
    coming = sorted((w for w in windows if w.starts_at > now), key=lambda w: (w.starts_at, w.id))
    if not open_now and not coming:
        return common.text("目前沒有開放中或即將開始的學習歷程期限。學校公告新的期程後，這裡就會顯示。",
                           quick=[c.STATUS.label, c.HELP.label])
    upload_open = {w.term_id for w in open_now if w.kind == WindowKind.outcome_upload}
    lines = ["【學習歷程期限】"]
    if open_now:
        lines.append("\n■ 開放中")
        lines += [_line(w, now, tz, upload_open, status) for w in open_now[:MAX_WINDOWS]]
    if coming:
        lines.append("\n■ 即將開始")
        lines += [_line(w, now, tz, upload_open) for w in coming[:MAX_WINDOWS]]
    lines.append(f"\n（時間為學校所在時區 {tz.key}）")
    return common.text("\n".join(lines), quick=[c.STATUS.label, c.RECEIPTS.label, c.HELP.label])
