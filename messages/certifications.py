"""待認證 (zh-TW): a teacher's pending 課程學習成果 per course and class, and what they cover as proxy."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.queries.teacher import CourseLoad, PendingView, WaitingItem
from messages import commands as c
from messages import common
from messages.flex import button
from messages.lists import GREY, RED, paged, postback_button, sectioned, text, uri_button
from messages.reminders import FINAL_RETURN, when

TITLE = "待認證"
NOTHING = "目前沒有待認證的課程學習成果 🎉"
NO_LINK = "請登入學校的學習歷程檔案平臺完成認證。"
PLATFORM_LABEL = "前往平臺認證"
ITEMS_ACTION = "pending"   # a=pending&c=<course id>: the course's waiting items
COURSES_PER_BUBBLE = 4     # each with its button: what a phone shows without scrolling the bubble
ITEMS_PER_BUBBLE = 8
LONG_WAIT_DAYS = 7         # waiting this long shows in red


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
    lines.append(postback_button(f"查看 {load.count} 件名單", f"a={ITEMS_ACTION}&c={load.course_id}",
                                 f"{load.subject} {load.class_code} 班待認證名單"))
    return {"type": "box", "layout": "vertical", "margin": "lg", "contents": lines}


def _summary_line(load: CourseLoad, now: datetime, tz: ZoneInfo, whose: bool) -> str:
    who = f"{load.teacher_name} " if whose else ""
    deadline = f"，截止 {when(load.deadline, tz)}" if load.deadline else ""
    final = "；學生上傳已截止，退回即無法重送" if load.final else ""
    return f"{who}{load.subject} {load.class_code} 班 {load.count} 件（最久 {load.waited_days(now)} 天{deadline}{final}）"


def _footer(platform_url: str) -> list[dict]:
    link = platform_url if platform_url.startswith(("https://", "http://")) else ""
    return [uri_button(PLATFORM_LABEL, link)] if link else [text(NO_LINK, size="xs", color=GREY)]


def pending(view: PendingView, now: datetime, tz: ZoneInfo, platform_url: str) -> dict:
    """The 待認證 worklist: own courses first, then the ones covered as proxy (whose they are); each
    course with its count, oldest wait and deadline, and a button to its list of waiting items."""
    if not view.own and not view.covering:
        return common.text(NOTHING, quick=[c.HELP.label])
    sections: list[tuple[str, list[dict]]] = []
    alt_lines = [f"待認證共 {view.total} 件"]
    if view.own:
        sections.append((f"我的課程（{sum(c.count for c in view.own)} 件）",
                         [_row(c, now, tz, whose=False) for c in view.own]))
        alt_lines += [_summary_line(c, now, tz, False) for c in view.own]
    if view.covering:
        sections.append((f"代理認證（{sum(c.count for c in view.covering)} 件）",
                         [_row(c, now, tz, whose=True) for c in view.covering]))
        alt_lines += ["代理：" + _summary_line(c, now, tz, True) for c in view.covering]
    return sectioned(TITLE, "\n".join(alt_lines), sections, footer=_footer(platform_url), unit="門課",
                     subtitle=f"共 {view.total} 件，請於期限內完成認證", rows_per_bubble=COURSES_PER_BUBBLE)


def _item_row(item: WaitingItem, now: datetime) -> dict:
    days = item.waited_days(now)
    seat = f"{item.seat} 號 " if item.seat is not None else ""
    return {"type": "box", "layout": "horizontal", "margin": "md", "contents": [
        {"type": "box", "layout": "vertical", "flex": 4, "contents": [
            text(f"{seat}{item.name}", size="sm", weight="bold"),
            text(f"〈{item.title}〉", size="xs", color=GREY),
        ]},
        text(f"已等 {days} 天", size="xs", flex=3, align="end", color=RED if days >= LONG_WAIT_DAYS else GREY),
    ]}


def pending_items(load: CourseLoad, items: list[WaitingItem], now: datetime, tz: ZoneInfo,
                  platform_url: str) -> dict:
    """One course's waiting items (seat, name, 成果名稱, days waiting), longest waiting first, a page
    of the carousel per ITEMS_PER_BUBBLE."""
    head = f"{load.subject} {load.class_code} 班（{len(items)} 件）"
    deadline = f"截止 {when(load.deadline, tz)}" if load.deadline else "尚無認證期程"
    footer = [*_footer(platform_url), button(common.message_action(c.PENDING.label))]  # back to the courses
    alt_lines = [f"{load.term_label} {head}待認證：", *(
        f"{i.seat} 號 {i.name}〈{i.title}〉已等 {i.waited_days(now)} 天" for i in items)]
    return paged(f"{load.subject} {load.class_code} 班待認證", "\n".join(alt_lines),
                 [_item_row(i, now) for i in items], subtitle=f"{load.term_label}・{len(items)} 件・{deadline}",
                 footer=footer, unit="件", rows_per_bubble=ITEMS_PER_BUBBLE)


def not_pending() -> dict:
    """The course has nothing waiting for this teacher now (certified meanwhile, or not theirs)."""
    return common.text("這門課目前沒有待您認證的成果（可能已認證完畢，或不在您負責的範圍）。", quick=[TITLE])
