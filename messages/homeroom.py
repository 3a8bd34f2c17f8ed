"""班級名單 and 一鍵提醒 (zh-TW): a 導師's class lists, the nudge's cost and confirm, and the
one message each nudged student gets."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.domain.nudge import NudgePlan
from bot.domain.queries.homeroom import EMPTY, FAILED, OUTCOMES, PERFORMANCES, UNCONFIRMED, UNPICKED, ClassList, ListRow
from bot.infra.vocab import OUTCOME_PICKS_PER_YEAR, PERFORMANCE_PICKS_PER_YEAR
from messages import commands as c
from messages import common
from messages.lists import GREY, RED, paged, postback_button, text
from messages.reminders import when

LIST_ACTION = "hr_list"
NUDGE_ACTION = "hr_nudge"
NUDGE_GO_ACTION = "hr_nudge_go"
NUDGE_CANCEL_ACTION = "hr_nudge_cancel"

TITLES: dict[str, str] = {
    UNCONFIRMED: "未確認收訖明細",
    UNPICKED: "未勾選",
    FAILED: "認證失敗未修正",
    EMPTY: "本學期未上傳",
}
NO_CLASS = "查不到您的班級或本學期資料，請洽註冊組。"
NOT_YOUR_CLASS = "您只能查看與提醒自己班級的名單。"
UNKNOWN_LIST = "這份名單已失效，請重新輸入「班級名單」。"
ALREADY_TODAY = "這份名單今天已經提醒過了（每份名單每天限提醒一次），明天再試。"
NOBODY = "名單上的同學都還沒綁定 LINE（或已封鎖），無法提醒。"
EMPTY_LIST = "這份名單目前沒有同學，不需要提醒 🎉"
FAILED_CLOSED = ("上傳期間已結束，現在只有老師能認證：認證失敗的成果本學期已無法重新送出，所以不發提醒。"
                 "有疑問的同學請洽任課老師。")
CANCELLED = "已取消，沒有送出任何提醒。"
QUOTA_REACHED = "本月的 LINE 訊息額度已經用完，暫時無法提醒；請洽管理者。"
QUIET = "現在是安靜時段（{start}–{end}），不發送提醒；請在 {end} 之後再試。"


def _data(action: str, key: str, class_id: int, **extra: object) -> str:
    tail = "".join(f"&{k}={v}" for k, v in extra.items())
    return f"a={action}&l={key}&c={class_id}{tail}"


def _deadline(listing: ClassList, tz: ZoneInfo) -> str:
    if listing.window is None:
        return "尚無期程"
    return f"截止 {when(listing.window.ends_at, tz)}"


def overview(lists: list[ClassList], sent_today: set[str], tz: ZoneInfo) -> dict:
    """The class's four lists with counts; a button opens each."""
    if not lists:
        return common.text(NO_CLASS)
    first = lists[0]
    rows: list[dict] = []
    buttons: list[dict] = []
    for listing in lists:
        count = len(listing.rows)
        note = "（今天已提醒）" if listing.key in sent_today else ""
        rows.append({"type": "box", "layout": "horizontal", "margin": "md", "contents": [
            text(TITLES[listing.key] + (f"（{listing.term_label}）" if listing.key == UNCONFIRMED else ""),
                 size="sm", flex=5),
            text(f"{count} 人", size="sm", flex=2, align="end", weight="bold", color=RED if count else GREY),
        ]})
        rows.append(text(f"{_deadline(listing, tz)}{note}", size="xs", color=GREY))
        buttons.append(postback_button(f"{TITLES[listing.key]}（{count}）",
                                       _data(LIST_ACTION, listing.key, listing.class_id),
                                       display=f"查看{TITLES[listing.key]}名單"))
    alt = f"{first.class_code} 班級名單：" + "、".join(f"{TITLES[l.key]} {len(l.rows)} 人" for l in lists)
    # 收訖明細 of last term is confirmed this term: the subtitle names this term, the row its batch.
    this_term = next((l.term_label for l in lists if l.key != UNCONFIRMED), first.term_label)
    return paged(f"{first.class_code} 班級名單", alt, rows, footer=buttons, subtitle=f"{this_term} 學期")


UNPICKED_WORDS = {OUTCOMES: "課程學習成果", PERFORMANCES: "多元表現"}


def row_detail(row: ListRow) -> str:
    """What a list row adds after the name: the subjects 認證失敗 (×N when several), or what is not picked."""
    failed = [subject if count == 1 else f"{subject}×{count}" for subject, count in row.failed]
    return "、".join(failed + [UNPICKED_WORDS[kind] for kind in row.unpicked])


def class_list(listing: ClassList, nudge: NudgePlan, tz: ZoneInfo) -> dict:
    """One list: seat + name (+ detail) by seat; the nudge button when it can be used today."""
    title = f"{listing.class_code} {TITLES[listing.key]}"
    if not listing.rows:
        return common.text(f"{title}：目前沒有同學 🎉（{listing.term_label}，{_deadline(listing, tz)}）",
                           quick=[c.CLASS_LISTS.label])
    lines = [f"{r.seat:02d} {r.name}" + (f"（{d}）" if (d := row_detail(r)) else "") for r in listing.rows]
    intro = [text(f"{listing.term_label}・{_deadline(listing, tz)}", size="xs", color=GREY),
             text(f"共 {len(listing.rows)} 人", size="sm", weight="bold", margin="sm")]
    rows = [text(line, size="sm", margin="sm") for line in lines]
    if nudge.sent_today:
        footer = [text(ALREADY_TODAY, size="xs", color=GREY)]
    elif nudge.recipients:
        footer = [postback_button(f"一鍵提醒（{nudge.cost} 人）", _data(NUDGE_ACTION, listing.key, listing.class_id),
                                  display="一鍵提醒", primary=True)]
    else:
        footer = [text(NOBODY, size="xs", color=GREY)]
    alt = f"{title}（{len(lines)} 人）：\n" + "\n".join(lines)
    return paged(title, alt, rows, intro=intro, footer=footer, unit="人", rows_per_bubble=25)


def nudge_cost(nudge: NudgePlan) -> dict:
    """What the nudge will cost, and a confirm (the count travels along to catch a changed list)."""
    listing = nudge.listing
    lines = [f"將提醒「{TITLES[listing.key]}」名單上 {nudge.cost} 位同學，每人一則訊息，"
             f"共計 {nudge.cost} 則計費訊息。"]
    if nudge.unreachable:
        lines.append(f"另有 {nudge.unreachable} 位未綁定 LINE，無法提醒。")
    lines.append("每份名單每天只能提醒一次。確定送出？")
    body = "".join(lines)
    return {"type": "template", "altText": body[:400], "template": {
        "type": "confirm", "text": body[:240], "actions": [
            common.postback_action("送出", _data(NUDGE_GO_ACTION, listing.key, listing.class_id, n=nudge.cost),
                                   "送出提醒"),
            common.postback_action("取消", f"a={NUDGE_CANCEL_ACTION}", "取消"),
        ]}}


def list_changed(nudge: NudgePlan) -> list[dict]:
    return [common.text(f"名單有變動，現在是 {nudge.cost} 位同學，請再確認一次。"), nudge_cost(nudge)]


def nudge_sent(nudge: NudgePlan) -> dict:
    tail = f"（{nudge.unreachable} 位未綁定 LINE 無法提醒）" if nudge.unreachable else ""
    return common.text(f"已提醒「{TITLES[nudge.listing.key]}」名單上 {nudge.cost} 位同學，"
                       f"用掉 {nudge.cost} 則計費訊息。{tail}", quick=[c.CLASS_LISTS.label])


def refused(reason: str) -> dict:
    return common.text(reason, quick=[c.CLASS_LISTS.label])


def quiet_hours(start: str, end: str) -> dict:
    return common.text(QUIET.format(start=start, end=end), quick=[c.CLASS_LISTS.label])


def student_nudge(listing: ClassList, tz: ZoneInfo) -> dict:
    """The one message every nudged student of a list gets (identical, so it is multicast)."""
    deadline = f"（{_deadline(listing, tz)}）" if listing.window else ""
    bodies = {
        UNCONFIRMED: f"導師提醒：你的 {listing.term_label} 收訖明細還沒確認{deadline}。"
                     "請輸入「收訖明細」查看並確認；有疑義請在期限內提出，逾期未確認也未提出疑義，視為確認。",
        UNPICKED: f"導師提醒：你還沒勾選要提交中央資料庫的項目{deadline}。"
                  f"課程學習成果至多勾選 {OUTCOME_PICKS_PER_YEAR} 件、多元表現至多 {PERFORMANCE_PICKS_PER_YEAR} 件，"
                  "未勾選就不會提交。",
        FAILED: f"導師提醒：你有課程學習成果「認證失敗」還沒修正{deadline}。"
                "請看老師的說明，修改後重新送出認證。",
        EMPTY: f"導師提醒：你這學期還沒有上傳任何課程學習成果或多元表現{deadline}。"
               "有想留下的作品或表現，記得在期限內上傳。",
    }
    return common.text(bodies[listing.key], quick=[c.STATUS.label, c.DEADLINES.label])
