"""統計 (zh-TW) for staff: today's rates, the classes and teachers furthest behind; shared wording
with `portfolio-bot stats` (the `*_line` functions)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.queries.leavers import Leaver
from bot.domain.queries.rates import ClassRate, Confirmation, DayRate, Rates, TeacherRate
from bot.infra.vocab import ENROLMENT_LABELS
from messages import commands
from messages import common
from messages.lists import GREY, RED, paged, text
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


def _heading(value: str, into: list[dict]) -> dict:
    made = text(value, weight="bold", margin="lg")
    into.append(made)
    return made


def _line(value: str, color: str | None = None) -> dict:
    return text(value, size="sm", margin="sm", **({"color": color} if color else {}))


def stats(r: Rates, tz: ZoneInfo) -> dict:
    """The rates as one Flex list: totals, furthest behind, confirmation per day, per class, per teacher."""
    headings: list[dict] = []
    rows: list[dict] = [_heading("全校", headings)] + [_line(x) for x in totals_lines(r)]
    behind_c, behind_t = r.behind_classes(), r.behind_teachers()
    rows.append(_heading("最落後的班級", headings))
    rows += [_line(behind_class_line(c), RED) for c in behind_c] or [_line("沒有待認證的班級 🎉", GREY)]
    rows.append(_heading("最落後的教師", headings))
    rows += [_line(teacher_line(t), RED) for t in behind_t] or [_line("沒有待認證的教師 🎉", GREY)]
    for c in r.confirmations:
        rows.append(_heading(confirmation_heading(c), headings))
        rows += [_line(day_line(d)) for d in c.days] or [_line("期程尚未開始", GREY)]
    rows.append(_heading("各班", headings))
    rows += [_line(class_line(c)) for c in r.classes]
    rows.append(_heading("各教師", headings))
    rows += [_line(teacher_line(t)) for t in r.teachers]
    alt = "\n".join([f"{r.term_label} 統計", *totals_lines(r), "最落後的班級：",
                     *(behind_class_line(c) for c in behind_c), "最落後的教師：",
                     *(teacher_line(t) for t in behind_t)])
    return paged("統計", alt, rows, subtitle=f"{r.term_label} 學期・{as_of(r.as_of, tz)}", unit="行",
                 headings=tuple(headings))


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
    return common.text("後台尚未設定網址或金鑰（PUBLIC_URL、SECRET_KEY），請洽系統管理者。", quick=[commands.STATS.label])
