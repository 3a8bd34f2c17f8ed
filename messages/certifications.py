"""待認證 (zh-TW): a teacher's pending 課程學習成果 per course and class, and what they cover as proxy."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.queries.teacher import CourseLoad, PendingView
from messages import commands as c
from messages import common
from messages.lists import GREY, RED, paged, text, uri_button
from messages.reminders import FINAL_RETURN, when

TITLE = "待認證"
NOTHING = "目前沒有待認證的課程學習成果 🎉"
NO_LINK = "請登入學校的學習歷程檔案平台完成認證。"


def _row(load: CourseLoad, now: datetime, tz: ZoneInfo, whose: bool) -> dict:
    head = f"{load.term_label} {load.subject} {load.class_code} 班"
    if whose:
        head = f"{load.teacher_name}｜{head}"
    details = [f"最久已等 {load.waited_days(now)} 天"]
    details.append(f"截止 {when(load.deadline, tz)}" if load.deadline else "尚無認證期程")
    lines = [text(f"{head}：{load.count} 件", size="sm", weight="bold"),
             text("・".join(details), size="xs", color=GREY)]
    if load.final:
        lines.append(text(FINAL_RETURN, size="xs", color=RED))
    if not whose and load.teacher_absent:
        lines.append(text(f"您請假中，由 {load.proxy_name} 代理認證" if load.proxy_name
                          else "您請假中，目前沒有可用的代理教師", size="xs", color=RED))
    elif not whose and load.proxy_name:
        lines.append(text(f"期限將至，代理教師 {load.proxy_name} 也已可協助", size="xs", color=RED))
    elif whose:
        reason = "請假中" if load.teacher_absent else "期限將至"
        lines.append(text(f"任課教師{reason}，由您代理認證", size="xs", color=RED))
    return {"type": "box", "layout": "vertical", "margin": "md", "contents": lines}


def _summary_line(load: CourseLoad, now: datetime, tz: ZoneInfo, whose: bool) -> str:
    who = f"{load.teacher_name} " if whose else ""
    deadline = f"，截止 {when(load.deadline, tz)}" if load.deadline else ""
    final = "；學生上傳已截止，退回即無法重送" if load.final else ""
    return f"{who}{load.subject} {load.class_code} 班 {load.count} 件（最久 {load.waited_days(now)} 天{deadline}{final}）"


def pending(view: PendingView, now: datetime, tz: ZoneInfo, platform_url: str) -> dict:
    """The 待認證 answer: own courses first, then the ones covered as proxy (whose they are)."""
    if not view.own and not view.covering:
        return common.text(NOTHING, quick=[c.HELP.label])
    rows: list[dict] = []
    headings: list[dict] = []
    alt_lines = [f"待認證共 {view.total} 件"]
    if view.own:
        headings.append(text(f"我的課程（{sum(c.count for c in view.own)} 件）", weight="bold", margin="md"))
        rows.append(headings[-1])
        rows += [_row(c, now, tz, whose=False) for c in view.own]
        alt_lines += [_summary_line(c, now, tz, False) for c in view.own]
    if view.covering:
        headings.append(text(f"代理認證（{sum(c.count for c in view.covering)} 件）", weight="bold", margin="lg"))
        rows.append(headings[-1])
        rows += [_row(c, now, tz, whose=True) for c in view.covering]
        alt_lines += ["代理：" + _summary_line(c, now, tz, True) for c in view.covering]
    link = platform_url if platform_url.startswith(("https://", "http://")) else ""
    footer = [uri_button("前往平台認證", link)] if link else [text(NO_LINK, size="xs", color=GREY)]
    return paged(TITLE, "\n".join(alt_lines), rows, footer=footer, unit="門課",
                 subtitle=f"共 {view.total} 件，請於期限內完成認證", headings=tuple(headings))
