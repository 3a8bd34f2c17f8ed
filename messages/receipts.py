"""收訖明細: a student's batches grouped by item with 確認無誤 / 提出疑義, the objection dialogue,
the office's notice and the student's resolution notice."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.objections import MAX_REASON, ObjectionRow, Refusal
from bot.domain.queries.student import BatchView
from bot.infra.config import SchoolRules
from bot.infra.vocab import (
    DUTY_LABELS, RECEIPT_ITEM_LABELS, RECEIPT_WINDOW_MIN_DAYS, Duty, ReceiptItem,
)
from messages import commands as c
from messages import common, flex
from messages.reminders import when

SCHOOL = SchoolRules()  # the defaults, for callers that do not pass the school's settings

RECEIPTS_COMMAND = c.RECEIPTS.label
CANCEL = c.CANCEL.label
CONFIRM_ACTION = "rc_ok"     # a=rc_ok&b=<batch id>
OBJECT_ACTION = "rc_obj"     # a=rc_obj&b=<batch id>
ITEM_ACTION = "rc_item"      # a=rc_item&b=<batch id>&i=<item>
SEND_ACTION = "rc_send"      # a=rc_send&b=<batch id>&i=<item>  (the reason is in the conversation)
MAX_LINES_PER_ITEM = 12
MAX_BATCHES = 5
QUICK = [RECEIPTS_COMMAND, c.STATUS.label, c.HELP.label]


def office_of(item: ReceiptItem, school: SchoolRules = SCHOOL) -> str:
    """The office that answers a 疑義 on ``item`` (the school's setting)."""
    return DUTY_LABELS[school.office(item)]


def _state(batch: BatchView, now: datetime, tz: ZoneInfo) -> tuple[str, str]:
    """(what the batch's state is, its colour)."""
    if batch.confirmed_at is not None:
        how = "視為確認（期限內未確認）" if batch.confirmed_how == "deemed" else "已確認"
        return f"{how}：{when(batch.confirmed_at, tz)}", flex.GREEN
    window = batch.window
    if window is None:
        return "學校尚未公告確認期間", flex.GREY
    if now < window.starts_at:
        return f"確認期間 {when(window.starts_at, tz)} 開始", flex.GREY
    if batch.objection_open:
        return "疑義處理中：處理完成前不需確認", flex.ORANGE
    if now >= window.ends_at:
        return f"確認期間已於 {when(window.ends_at, tz)} 結束", flex.GREY
    return f"待確認：截止 {when(window.ends_at, tz)}（{flex.days_left(window.ends_at, now, tz)}）", flex.RED


def _open(batch: BatchView, now: datetime) -> bool:
    return batch.confirmed_at is None and batch.window is not None and batch.window.is_open(now)


def _objection_lines(batch: BatchView, school: SchoolRules) -> list[str]:
    out = []
    for o in batch.objections:
        label = RECEIPT_ITEM_LABELS[o.item]
        if o.resolved_at is None:
            out.append(f"疑義（{label}）處理中：{office_of(o.item, school)}")
        else:
            out.append(f"疑義（{label}）已回覆：{o.resolution}")
    return out


def batch_bubble(batch: BatchView, now: datetime, tz: ZoneInfo, school: SchoolRules = SCHOOL) -> dict:
    state, colour = _state(batch, now, tz)
    body: list[dict] = [flex.text(state, size="sm", color=colour, weight="bold")]
    for item, contents in batch.lines.items():
        body += [flex.separator(), flex.text(RECEIPT_ITEM_LABELS[item], weight="bold", size="md", margin="md")]
        shown = contents[:MAX_LINES_PER_ITEM]
        body += [flex.text(f"• {c}", size="sm", color=flex.GREY, margin="xs") for c in shown]
        if len(contents) > len(shown):
            body.append(flex.text(f"…另有 {len(contents) - len(shown)} 筆", size="xs", color=flex.GREY))
    if not batch.lines:
        body.append(flex.text("（這份明細沒有項目）", size="sm", color=flex.GREY))
    notes = _objection_lines(batch, school)
    if notes:
        body.append(flex.separator())
        body += [flex.text(n, size="sm", color=flex.ORANGE, margin="sm") for n in notes]
    buttons = None
    if _open(batch, now):  # while a 疑義 is open: only another 疑義, no 確認無誤
        buttons = [] if batch.objection_open else [
            flex.button(common.postback_action("確認無誤", f"a={CONFIRM_ACTION}&b={batch.id}", "確認無誤"),
                        primary=True)]
        buttons.append(flex.button(common.postback_action("提出疑義", f"a={OBJECT_ACTION}&b={batch.id}", "提出疑義"),
                                   primary=batch.objection_open))
    return flex.bubble(f"🧾 {batch.term_label} 收訖明細", body, buttons, "學校提交到中央資料庫的資料")


def _summary(batch: BatchView, now: datetime, tz: ZoneInfo) -> str:
    state, _ = _state(batch, now, tz)
    items = "、".join(f"{RECEIPT_ITEM_LABELS[i]} {len(c)} 筆" for i, c in batch.lines.items())
    return f"{batch.term_label} 收訖明細（{items or '無項目'}）：{state}"


def receipts(batches: list[BatchView], now: datetime, tz: ZoneInfo, school: SchoolRules = SCHOOL) -> list[dict]:
    """The batches to look at: every unconfirmed one and the latest confirmed one (newest first)."""
    if not batches:
        return [common.text(
            "目前沒有你的收訖明細。學校每學期把資料提交到中央資料庫後，會在這裡請你確認"
            f"（確認期間至少 {RECEIPT_WINDOW_MIN_DAYS} 天）。", quick=[c.STATUS.label, c.DEADLINES.label, c.HELP.label])]
    shown = [b for b in batches if b.confirmed_at is None]
    latest_confirmed = next((b for b in batches if b.confirmed_at is not None), None)
    if latest_confirmed is not None:
        shown.append(latest_confirmed)
    shown = shown[:MAX_BATCHES]
    alt = "\n".join(["收訖明細"] + [_summary(b, now, tz) for b in shown])
    bubbles = [batch_bubble(b, now, tz, school) for b in shown]
    contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
    message = flex.flex(alt, contents)
    message["quickReply"] = common.quick_reply(common.message_action(q) for q in QUICK)
    return [message]


# -- answers to the buttons ----------------------------------------------------------
def refused(refusal: Refusal, batch: BatchView | None, tz: ZoneInfo) -> dict:
    """A clear zh-TW reason why nothing was recorded."""
    window = batch.window if batch else None
    if refusal == Refusal.not_found:
        body = "找不到這份收訖明細，請重新輸入「收訖明細」查看你的資料。"
    elif refusal == Refusal.no_window:
        body = f"學校尚未公告 {batch.term_label} 收訖明細的確認期間，現在還不能確認或提出疑義。"
    elif refusal == Refusal.not_open_yet:
        body = (f"{batch.term_label} 收訖明細的確認期間還沒開始（{when(window.starts_at, tz)} 開始），"
                "屆時再確認或提出疑義。")
    elif refusal == Refusal.closed:
        body = (f"{batch.term_label} 收訖明細的確認期間已於 {when(window.ends_at, tz)} 結束，"
                "逾期未確認也未提出疑義的，視為確認；現在不能再確認或提出疑義。如有問題請洽註冊組。")
    elif refusal == Refusal.objection_open:
        body = (f"你對 {batch.term_label} 收訖明細提出的疑義還在處理中，處理完成前不能按「確認無誤」；"
                "有結果會用 LINE 通知你。")
    elif refusal == Refusal.confirmed:
        body = (f"你已確認 {batch.term_label} 收訖明細，不能再提出疑義。"
                "如仍有問題，請洽註冊組。")
    else:
        body = "這個操作已無法使用，請重新輸入「收訖明細」。"
    return common.text(body, quick=QUICK)


def confirmed(batch: BatchView, fresh: bool, tz: ZoneInfo) -> dict:
    at = when(batch.confirmed_at, tz) if batch.confirmed_at else ""
    if fresh:
        body = f"已確認 {batch.term_label} 收訖明細無誤（{at}）。謝謝！"
    elif batch.confirmed_how == "deemed":
        body = f"{batch.term_label} 收訖明細已於 {at} 視為確認，不需要再確認。"
    else:
        body = f"{batch.term_label} 收訖明細已於 {at} 確認過了，不需要再確認。"
    return common.text(body, quick=QUICK)


def choose_item(batch: BatchView) -> dict:
    """Which item the objection is about: one quick-reply button per item, and 取消."""
    items = list(batch.lines) + [i for i in ReceiptItem if i not in batch.lines]
    actions = [common.postback_action(RECEIPT_ITEM_LABELS[i], f"a={ITEM_ACTION}&b={batch.id}&i={i.value}",
                                      RECEIPT_ITEM_LABELS[i]) for i in items]
    actions.append(common.message_action(CANCEL))
    return {"type": "text", "quickReply": common.quick_reply(actions),
            "text": f"要對 {batch.term_label} 收訖明細的哪一個項目提出疑義？請點下方按鈕選擇。"}


def ask_reason(batch: BatchView, item: ReceiptItem, school: SchoolRules = SCHOOL) -> dict:
    return common.text(
        f"請直接輸入你對「{RECEIPT_ITEM_LABELS[item]}」的疑義說明（{MAX_REASON} 字以內），"
        f"例如哪一筆資料有誤、正確應為何。\n送出後會轉給{office_of(item, school)}處理。輸入「{CANCEL}」可放棄。",
        quick=[CANCEL])


def reason_problem(refusal: Refusal, length: int = 0) -> dict:
    if refusal == Refusal.too_long:
        body = f"疑義說明最多 {MAX_REASON} 字，你輸入了 {length} 字，請精簡後再傳一次。"
    else:
        body = "請輸入疑義說明的文字。"
    return common.text(body + f"\n輸入「{CANCEL}」可放棄。", quick=[CANCEL])


def confirm_reason(batch: BatchView, item: ReceiptItem, reason: str, school: SchoolRules = SCHOOL) -> dict:
    """The reason shown back with 送出 / 取消; typing again replaces it."""
    body = [
        flex.text(f"{batch.term_label} 收訖明細・{RECEIPT_ITEM_LABELS[item]}", size="sm", color=flex.GREY),
        flex.text(reason, size="md", margin="md"),
        flex.text(f"送出後轉給{office_of(item, school)}處理。要修改請直接重新輸入。", size="xs", color=flex.GREY,
                  margin="md"),
    ]
    buttons = [
        flex.button(common.postback_action("送出", f"a={SEND_ACTION}&b={batch.id}&i={item.value}", "送出疑義"),
                    primary=True),
        flex.button(common.message_action(CANCEL)),
    ]
    return flex.flex(f"確認送出疑義（{RECEIPT_ITEM_LABELS[item]}）：{reason}",
                     flex.bubble("確認送出疑義", body, buttons))


def expired() -> dict:
    return common.text("這個疑義已逾時或已取消，沒有送出。請重新輸入「收訖明細」再提出一次。", quick=QUICK)


def objection_pending(item: ReceiptItem, school: SchoolRules = SCHOOL) -> dict:
    return common.text(f"你對「{RECEIPT_ITEM_LABELS[item]}」的疑義已送出，{office_of(item, school)}處理中；"
                       "有結果會用 LINE 通知你。", quick=QUICK)


def objection_recorded(batch: BatchView, item: ReceiptItem, at: datetime, tz: ZoneInfo,
                       reached: Duty | None, school: SchoolRules = SCHOOL) -> dict:
    """``reached``: whose office was told by LINE (the one in charge, or 管理者); None when nobody could be."""
    office = office_of(item, school)
    if reached is None:  # never say 已轉給 when nothing was sent
        passed = (f"已記錄，但{office}目前沒有人能用 LINE 收到通知：請直接到{office}當面說明"
                  "（學校也能在疑義清單看到這筆），處理結果仍會用 LINE 通知你。")
    elif reached == school.office(item):
        passed = f"已轉給{office}處理，結果會用 LINE 通知你。"
    else:
        passed = f"{office}目前沒有人能用 LINE 收到通知，已轉給{DUTY_LABELS[reached]}，結果會用 LINE 通知你。"
    return common.text(
        f"已收到你對 {batch.term_label} 收訖明細「{RECEIPT_ITEM_LABELS[item]}」的疑義（{when(at, tz)}），"
        f"{passed}\n"
        "疑義處理完成前，這份明細不需要（也不能）按「確認無誤」；其他項目若也有問題，可再提出疑義。", quick=QUICK)


def cancelled() -> dict:
    return common.text("已取消，沒有送出任何疑義。", quick=QUICK)


def bad_button() -> dict:
    return common.text("這個按鈕的資料有誤或已失效，請重新輸入「收訖明細」。", quick=QUICK)


# -- the office and the student ------------------------------------------------------
def office_notice(row: ObjectionRow, tz: ZoneInfo, answer_by: datetime) -> dict:
    """One push to the office in charge: who, what, by when, and how to answer."""
    return common.text(
        f"【收訖明細疑義 #{row.id}】\n"
        f"項目：{row.term_label} {RECEIPT_ITEM_LABELS[row.item]}\n"
        f"學生：{row.class_code} 班 {row.seat} 號 {row.student_name}（學號 {row.student_no}）\n"
        f"提出時間：{when(row.created_at, tz)}（請於 {when(answer_by, tz)} 前回覆）\n"
        f"說明：{row.reason}\n\n"
        f"處理後請執行：portfolio-bot objections resolve {row.id} --text \"處理結果\"，系統會通知學生。")


CORRECTION_RESOLVES = "學校已更正這個項目的資料並重新提交，請查看更正後的收訖明細。"


def corrected_notice(term_label: str, items: list[ReceiptItem], confirm_by: datetime | None, tz: ZoneInfo) -> dict:
    """One push when the school re-submitted corrected data: what changed and what to do now."""
    what = "、".join(RECEIPT_ITEM_LABELS[i] for i in items)
    ask = (f"請輸入「{RECEIPTS_COMMAND}」查看並重新確認（截止 {when(confirm_by, tz)}）；"
           "若仍有問題，可再提出疑義。" if confirm_by is not None
           else f"請輸入「{RECEIPTS_COMMAND}」查看；如仍有問題，請洽註冊組。")
    return common.text(f"【收訖明細已更正】\n學校已更正你的 {term_label} 收訖明細（{what}）。\n{ask}", quick=QUICK)


def resolution_notice(row: ObjectionRow, tz: ZoneInfo, school: SchoolRules = SCHOOL) -> dict:
    """The outcome, pushed to the student."""
    return common.text(
        f"【收訖明細疑義回覆】\n你在 {when(row.created_at, tz)} 對 {row.term_label} "
        f"「{RECEIPT_ITEM_LABELS[row.item]}」提出的疑義，{office_of(row.item, school)}已處理：\n{row.resolution}\n"
        "如仍有問題，請洽該處室。", quick=QUICK)
