"""設定: which reminder kinds are on, a toggle for each, and what the bot knows about the person."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.people import Person
from bot.domain.queries.deliveries import RULE_LABELS
from bot.infra.models import STATUS_CHANGE
from bot.infra.vocab import PersonKind, WindowKind
from messages import commands as c
from messages import common, flex
from messages.binding import UNBIND_COMMAND, role_of
from messages.reminders import when

SETTINGS_COMMAND = c.SETTINGS.label
KNOWN_HEADING = "綁定資料"
NO_KINDS = "沒有可以關閉的提醒（額度通知等行政通知一律送出）。"
SNOOZED_HEADING = "延後的提醒"
MUTE_ACTION = "mute"   # a=mute&k=<kind>&on=0|1
KIND_LABELS: dict[str, str] = {
    WindowKind.outcome_upload.value: "課程學習成果上傳提醒",
    WindowKind.certification.value: "課程學習成果認證提醒",
    WindowKind.performance_upload.value: "多元表現上傳提醒",
    WindowKind.pick.value: "勾選提醒",
    WindowKind.receipt.value: "收訖明細確認提醒",
    STATUS_CHANGE: "認證失敗通知",
}


def _toggle(kind: str, on: bool) -> dict:
    label = "關閉" if on else "開啟"
    action = common.postback_action(label, f"a={MUTE_ACTION}&k={kind}&on={0 if on else 1}",
                                    f"{label}{KIND_LABELS[kind]}")
    return {"type": "button", "style": "secondary" if on else "primary", "height": "sm", "flex": 2,
            "action": action, **({} if on else {"color": "#06C755"})}


def _kind_row(kind: str, on: bool) -> dict:
    state = "開啟中" if on else "已關閉"
    return {"type": "box", "layout": "horizontal", "margin": "md", "alignItems": "center", "contents": [
        {"type": "box", "layout": "vertical", "flex": 5, "contents": [
            flex.text(KIND_LABELS[kind], size="sm", weight="bold"),
            flex.text(state, size="xs", color=flex.GREEN if on else flex.RED),
        ]},
        _toggle(kind, on),
    ]}


def settings_bubble(person: Person, kinds: list[str], muted: set[str], bound_at: datetime | None,
                    tz: ZoneInfo, seat: int | None = None, number: str | None = None,
                    snoozed: list[tuple[str, datetime]] = ()) -> dict:
    """The person's reminder switches, the reminders they put off (rule, until), and what the bot knows
    about them."""
    you = "你" if person.kind == PersonKind.student else "您"  # students are 你, teachers 您
    known = [flex.text(KNOWN_HEADING, weight="bold", size="md"),
             flex.row("姓名", person.name), flex.row("身分", role_of(person, seat))]
    if number:
        known.append(flex.row("學號" if person.kind == PersonKind.student else "教師編號", number))
    if bound_at is not None:
        known.append(flex.row("綁定時間", when(bound_at, tz)))
    known.append(flex.text(f"小幫手只保存這個 LINE 帳號綁定的身分、{you}的提醒設定，以及學校匯入的學習歷程資料；"
                           f"輸入「{UNBIND_COMMAND}」即可解除綁定。", size="xs", color=flex.GREY, margin="sm"))
    body = [*known, flex.separator(), flex.text("提醒設定", weight="bold", size="md", margin="md")]
    body += [_kind_row(kind, kind not in muted) for kind in kinds] or [
        flex.text(NO_KINDS, size="sm", color=flex.GREY, margin="sm")]
    lines = [f"{KIND_LABELS[k]}：{'已關閉' if k in muted else '開啟中'}" for k in kinds]
    if snoozed:
        later = [(RULE_LABELS.get(rule, rule), when(until, tz)) for rule, until in snoozed]
        later = list(dict.fromkeys(later))  # one line per item and time
        body += [flex.separator(), flex.text(SNOOZED_HEADING, weight="bold", size="md", margin="md")]
        body += [flex.row(label, f"{at} 再提醒") for label, at in later]
        lines += [SNOOZED_HEADING + "：", *(f"{label}：{at} 再提醒" for label, at in later)]
    alt = "設定\n" + "\n".join(lines)
    footer = [flex.button(common.message_action(c.STATUS.label if person.kind == PersonKind.student else c.HELP.label))]
    return flex.flex(alt, flex.bubble("⚙️ 設定", body, footer, f"{person.name}"))


def changed(kind: str, on: bool, was_on: bool) -> dict:
    label = KIND_LABELS[kind]
    if on == was_on:
        return common.text(f"「{label}」本來就{'開啟' if on else '關閉'}中，沒有變更。")
    if on:
        return common.text(f"已開啟「{label}」。")
    return common.text(f"已關閉「{label}」，之後不會再收到這類提醒；隨時可以在「{SETTINGS_COMMAND}」重新開啟。")


def bad_setting() -> dict:
    return common.text("這個設定按鈕有誤或不適用於你的身分，請重新輸入「設定」。", quick=[SETTINGS_COMMAND])
