"""The answers to a snooze button (「明天再提醒我」, 「今晚 8 點再提醒」), zh-TW."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.domain.queries.deliveries import RULE_LABELS
from messages import commands as c
from messages import common
from messages.reminders import when


def _items(rules: list[str]) -> str:
    return "、".join(dict.fromkeys(RULE_LABELS.get(rule, rule) for rule in rules))


def snoozed(rules: list[str], until: datetime, tz: ZoneInfo, already: bool = False) -> dict:
    """Done (or done before: each reminder can be put off once)."""
    if already:
        return common.text(f"這則提醒已經延後過了（每則提醒只能延後一次），會在 {when(until, tz)} 再提醒你：{_items(rules)}。",
                           quick=[c.SETTINGS.label])
    these = "這幾項" if len(set(rules)) > 1 else "這項"
    return common.text(f"好的，{when(until, tz)} 再提醒你：{_items(rules)}。在那之前不會再傳{these}提醒；"
                       f"已延後的提醒可在「{c.SETTINGS.label}」查看。", quick=[c.SETTINGS.label])


def too_late(until: datetime, tz: ZoneInfo) -> dict:
    return common.text(f"這個按鈕的時間（{when(until, tz)}）已經過了，之後的提醒會照常送出。", quick=[c.MENU.label])


def not_yours() -> dict:
    return common.text("找不到這則提醒（可能不是傳給這個帳號的，或已經過期），沒有延後任何提醒。", quick=[c.MENU.label])
