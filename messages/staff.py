"""統計 (zh-TW) for staff: today's rates, the classes and teachers furthest behind, and 完整報表 (a one-time
link to the console); shared wording with `portfolio-bot stats` and the console (the `*_line` functions)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Callable
from zoneinfo import ZoneInfo

from bot.domain.queries.leavers import Leaver
from bot.domain.queries.rates import ClassRate, Confirmation, DayRate, Rates, TeacherRate
from bot.infra.vocab import ENROLMENT_LABELS
from messages import commands
from messages import common
from messages.flex import bubble, flex
from messages.lists import GREY, RED, postback_button, text, uri_button
from messages.reminders import WEEKDAYS

NO_TERM = "還沒有任何學期資料，請先匯入開課資料與作業期程。"


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:g} 天"


def day_label(day) -> str:
    return f"{day.month}/{day.day}（{WEEKDAYS[day.weekday()]}）"


def totals_lines(r: Rates) -> list[str]:
    t = r.totals
    return [
        f"認證率 {pct(t.certification_rate)}（已認證 {t.certified} / 送出 {t.submitted} 件，待認證 {t.pending} 件"
        + (f"，逾期未認證 {t.uncertified} 件" if t.uncertified else "") + "）",
        f"勾選率 {pct(t.pick_rate)}（已勾選 {t.picked} / 可勾選 {t.can_pick} 人）",
        f"收訖明細確認率 {pct(t.confirmation_rate)}（已確認 {t.confirmed} / {t.batches} 份）",
        f"教師認證天數中位數 {days(r.median_days)}",
    ]


def class_line(c: ClassRate) -> str:
    late = f"，逾期未認證 {c.uncertified} 件" if c.uncertified else ""
    return (f"{c.code}：認證 {pct(c.certification_rate)}（待 {c.pending} 件{late}）｜"
            f"勾選 {pct(c.pick_rate)}（{c.picked}/{c.can_pick} 人）｜確認 {pct(c.confirmation_rate)}")


def day_line(d: DayRate) -> str:
    return f"{day_label(d.day)} {pct(d.rate)}（{d.confirmed}/{d.total}）"


def confirmation_heading(c: Confirmation) -> str:
    return f"收訖明細確認率：{c.audience}（{c.term_label} 批次）"


def teacher_line(t: TeacherRate) -> str:
    return (f"{t.name}（{t.teacher_no}）：待認證 {t.pending} 件，最久 {t.oldest_days} 天，"
            f"中位數 {days(t.median_days)}（已處理 {t.done} 件）")


def behind_class_line(c: ClassRate) -> str:
    return f"{c.code}：認證率 {pct(c.certification_rate)}，待認證 {c.pending} 件"


# -- 統計 in chat: three bubbles sized for a phone (375 px wide) ------------------------------
# One bubble per question, each holding its own headings and lines: (1) the whole school, (2) the
# classes furthest behind on each rate, (3) the teachers with the most 待認證. Figures sit in their own
# cells (no wrap: a long one shrinks to fit), so a line never breaks inside a field. The full lists
# are in the console (完整報表) and in `portfolio-bot stats --xlsx`.
SIZE = "mega"         # 300 px: shows whole at 375 px, with the next bubble peeking
FEW_CLASSES = 3       # classes shown per rate
REPORT_ACTION = "stats_report"
REPORT = "完整報表"
CONSOLE_NOT_CONFIGURED = "後台尚未設定網址或金鑰（PUBLIC_URL、SECRET_KEY），請洽系統管理者。"
XLSX_HINT = "XLSX 報表可請系統管理者在伺服器執行 portfolio-bot stats --xlsx 統計.xlsx 匯出。"


@dataclass(frozen=True)
class Measure:
    """One of the three rates, per class: how to read it, and what is still to do ("待認證 2 件")."""

    name: str
    rate: Callable[[ClassRate], float | None]
    left: Callable[[ClassRate], int]
    left_words: str   # "待認證 {} 件"
    none_yet: str     # no class has anything to count
    all_done: str     # every class is at 100%


MEASURES = (
    Measure("認證率", lambda c: c.certification_rate, lambda c: c.pending, "待認證 {} 件",
            "尚無送出認證的成果", "沒有待認證的班級 🎉"),
    Measure("勾選率", lambda c: c.pick_rate, lambda c: c.can_pick - c.picked, "未勾選 {} 人",
            "尚無可勾選的學生", "可勾選的學生都已勾選 🎉"),
    Measure("收訖明細確認率", lambda c: c.confirmation_rate, lambda c: c.batches - c.confirmed, "未確認 {} 份",
            "尚無收訖明細", "收訖明細都已確認 🎉"),
)


def behind_on(r: Rates, m: Measure) -> list[ClassRate]:
    """The classes with something left to do on ``m``, lowest rate first (then most left, then code).
    For 認證率 these are `Rates.behind_classes` (what the console and `portfolio-bot stats` list)."""
    return r.classes_behind(m.rate, m.left)


def _figure(value: str, flex: int, **style) -> dict:
    """A number in its own cell: never wrapped; a long one is shrunk to fit."""
    return {"type": "text", "text": value or " ", "flex": flex, "align": "end", "wrap": False,
            "adjustMode": "shrink-to-fit", **style}


def _cells(*cells: dict, margin: str = "sm") -> dict:
    return {"type": "box", "layout": "horizontal", "margin": margin, "spacing": "sm", "contents": list(cells)}


def _note(value: str, color: str = GREY) -> dict:
    return text(value, size="xs", color=color)


def _total(label: str, figure: str, *details: tuple[str, str]) -> list[dict]:
    """A total: its name and figure on one line, what it counts on small lines under it."""
    return [_cells(text(label, size="sm", flex=5), _figure(figure, 3, size="md", weight="bold"), margin="md"),
            *(_note(value, color) for value, color in details)]


def _recent_days(c: Confirmation, n: int = 3) -> str:
    """The cumulative rate at the end of the window's last ``n`` days so far."""
    shown = c.days[-n:]
    return " → ".join(f"{d.day.month}/{d.day.day} {pct(d.rate)}" for d in shown) if shown else "期程尚未開始"


def totals_body(r: Rates) -> list[dict]:
    t = r.totals
    body = _total("認證率", pct(t.certification_rate), (f"已認證 {t.certified}／送出 {t.submitted} 件", GREY))
    body += _total("待認證", f"{t.pending} 件", *([(f"逾期未認證 {t.uncertified} 件", RED)] if t.uncertified else []))
    body += _total("勾選率", pct(t.pick_rate), (f"已勾選 {t.picked}／可勾選 {t.can_pick} 人", GREY))
    body += _total("收訖明細確認率", pct(t.confirmation_rate), (f"已確認 {t.confirmed}／{t.batches} 份", GREY))
    body += _total("認證天數中位數", days(r.median_days))
    for c in r.confirmations:
        body += [text(f"收訖明細・{c.audience}（{c.term_label} 批次）", size="sm", weight="bold", margin="lg"),
                 _note(_recent_days(c))]
    return body


def _measure_heading(m: Measure, behind: int) -> dict:
    return _cells(text(m.name, size="sm", weight="bold", flex=5),
                  _figure(f"{behind} 班未完成" if behind else "", 4, size="xs", color=GREY), margin="lg")


def classes_body(r: Rates) -> list[dict]:
    body: list[dict] = []
    for index, m in enumerate(MEASURES):
        behind = behind_on(r, m)
        if index:
            body.append({"type": "separator", "margin": "lg"})
        body.append(_measure_heading(m, len(behind)))
        body += [_cells(text(c.code, size="sm", flex=3), _figure(pct(m.rate(c)), 2, size="sm", color=RED),
                        _figure(m.left_words.format(m.left(c)), 4, size="sm", color=GREY))
                 for c in behind[:FEW_CLASSES]]
        if not behind:
            counted = any(m.rate(c) is not None for c in r.classes)
            body.append(_note(m.all_done if counted else m.none_yet))
    return body


def _oldest_differs(teachers: list[TeacherRate]) -> bool:
    return len({t.oldest_days for t in teachers}) > 1


def teachers_body(r: Rates) -> list[dict]:
    """Most 待認證 first: the count and the teacher's median days to certify. 最久 (the oldest wait) is a
    column only when it differs between them; when it is the same for all, it is said once."""
    behind = r.behind_teachers()
    if not behind:
        return [_note("沒有待認證的教師 🎉")]
    oldest = _oldest_differs(behind)
    label = {"size": "xs", "color": GREY, "weight": "bold"}
    header = [text("教師", flex=4, **label), _figure("待認證", 3, **label), _figure("認證天數", 3, **label)] \
        + ([_figure("最久", 3, **label)] if oldest else [])
    body = [_cells(*header, margin="none")]
    for t in behind:
        row = [text(t.name, size="sm", flex=4), _figure(f"{t.pending} 件", 3, size="sm", color=RED, weight="bold"),
               _figure(days(t.median_days), 3, size="sm")] + ([_figure(f"{t.oldest_days} 天", 3, size="sm")]
                                                               if oldest else [])
        body.append(_cells(*row))
    if not oldest and behind[0].oldest_days:
        who = "每位最久的一件都" if len(behind) > 1 else "最久的一件"
        body.append(_note(f"{who}已等 {behind[0].oldest_days} 天", GREY) | {"margin": "md"})
    return body


def stats_alt(r: Rates, tz: ZoneInfo) -> str:
    """The plain-text summary (altText: notifications and the chat list)."""
    lines = [f"{r.term_label} 學期統計（{as_of(r.as_of, tz)}）", *totals_lines(r)]
    for m in MEASURES:
        behind = behind_on(r, m)[:FEW_CLASSES]
        if behind:
            lines.append(f"{m.name}最低：" + "、".join(f"{c.code} {pct(m.rate(c))}" for c in behind))
    teachers = r.behind_teachers()
    if teachers:
        lines.append("待認證最多：" + "、".join(f"{t.name} {t.pending} 件" for t in teachers))
    return "\n".join(lines)


def report_button() -> dict:
    return postback_button(REPORT, f"a={REPORT_ACTION}", REPORT, primary=True)


def stats(r: Rates, tz: ZoneInfo, console: bool = True) -> dict:
    """統計 as a carousel of three phone-sized bubbles (全校, 落後的班級, 待認證最多的教師). ``console``:
    the console is set up, so each bubble ends with 完整報表 (a fresh one-time link when tapped);
    otherwise the first says so and where the XLSX comes from."""
    footer = [report_button()] if console else []
    pages = [
        ("全校", f"{r.term_label} 學期・{as_of(r.as_of, tz)}", totals_body(r),
         footer or [_note(f"{REPORT}：{CONSOLE_NOT_CONFIGURED}{XLSX_HINT}")]),
        ("落後的班級", f"各項比率最低的 {FEW_CLASSES} 班", classes_body(r), footer),
        ("待認證最多的教師", "認證天數：已處理件數的中位數", teachers_body(r), footer),
    ]
    bubbles = [bubble(title, body, buttons, subtitle, spacing="none") | {"size": SIZE}
               for title, subtitle, body, buttons in pages]
    return flex(stats_alt(r, tz), {"type": "carousel", "contents": bubbles})


def report_link(url: str, minutes: int) -> dict:
    """完整報表: a fresh one-time sign-in link to the console's 總覽, as a button (the link itself is in
    no text: not in the notification, not copied by a tap on the message)."""
    body = [text("後台總覽有各班的認證率、勾選率與收訖明細確認率圖表、每日累計確認率，以及最落後的班級與教師。", size="sm"),
            _note(f"按下方按鈕即登入後台（{minutes} 分鐘內有效，只能使用一次；請勿轉傳）。"
                  "逾時請再按一次「完整報表」。") | {"margin": "md"}]
    made = bubble(REPORT, body, [uri_button("開啟完整報表", url)], spacing="sm") | {"size": SIZE}
    return flex(f"完整報表：請按「開啟完整報表」登入後台（{minutes} 分鐘內有效，只能使用一次）。", made)


def report_not_configured() -> dict:
    return common.text(f"{CONSOLE_NOT_CONFIGURED}\n{XLSX_HINT}", quick=[commands.STATS.label])


LEAVERS_HEADING = "已不在學、收訖明細尚未確認（請以紙本郵寄通知確認）"
LEAVER_HEADER = ["學號", "姓名", "班級", "座號", "在學狀態", "狀態異動日", "未確認的提交批次"]


def leaver_cells(leaver: Leaver, tz: ZoneInfo) -> list[str]:
    """One row of the hand-off list (text cells)."""
    since = leaver.since.astimezone(tz).date().isoformat() if leaver.since else ""
    return [leaver.student_no, leaver.name, leaver.class_code, str(leaver.seat), ENROLMENT_LABELS[leaver.enrolment],
            since, "、".join(leaver.unconfirmed)]


def leaver_line(leaver: Leaver) -> str:
    return (f"{leaver.class_code} 班 {leaver.seat} 號 {leaver.name}（{leaver.student_no}，"
            f"{ENROLMENT_LABELS[leaver.enrolment]}）：{'、'.join(leaver.unconfirmed)} 未確認")


def as_of(moment: datetime, tz: ZoneInfo) -> str:
    local = moment.astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M} 為止"


def no_term() -> dict:
    return common.text(NO_TERM)


# -- 後台 ------------------------------------------------------------------------------
def console_link(url: str, minutes: int) -> dict:
    """The one-time sign-in link to the staff console."""
    return common.text(f"後台登入連結（{minutes} 分鐘內有效，只能使用一次；請勿轉傳）：\n{url}\n"
                       "在電腦上使用時，可把連結傳到電腦再開啟；登入後 12 小時內有效。", quick=[commands.STATS.label])


def console_not_configured() -> dict:
    return common.text(CONSOLE_NOT_CONFIGURED, quick=[commands.STATS.label])
