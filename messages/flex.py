"""Small Flex Message pieces the self-service builders share: text, rows, buttons, a bubble, days left."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.infra.line_limits import MAX_ALT_TEXT, utf16_len

GREEN = "#1B5E20"
GREY = "#666666"
RED = "#C62828"
ORANGE = "#E65100"


def text(value: str, **style) -> dict:
    return {"type": "text", "text": value or " ", "wrap": True, **style}


def row(label: str, value: str, color: str = GREY) -> dict:
    """A label on the left and its value on the right."""
    return {"type": "box", "layout": "horizontal", "margin": "sm", "contents": [
        text(label, size="sm", color=GREY, flex=3),
        text(value, size="sm", color=color, flex=4, align="end", weight="bold"),
    ]}


def separator() -> dict:
    return {"type": "separator", "margin": "md"}


def button(action: dict, primary: bool = False) -> dict:
    return {"type": "button", "style": "primary" if primary else "secondary", "height": "sm",
            "margin": "sm", "action": action, **({"color": "#06C755"} if primary else {})}


def bubble(title: str, body: list[dict], buttons: list[dict] | None = None, subtitle: str | None = None,
           spacing: str | None = None) -> dict:
    """A titled bubble; ``spacing`` (e.g. "sm"), when given, spaces the body's and footer's contents."""
    header = [text(title, weight="bold", size="lg", color=GREEN)]
    if subtitle:
        header.append(text(subtitle, size="xs", color="#888888"))
    gap = {"spacing": spacing} if spacing else {}
    out = {
        "type": "bubble",
        "header": {"type": "box", "layout": "vertical", "contents": header},
        "body": {"type": "box", "layout": "vertical", **gap, "contents": body or [text(" ")]},
    }
    if buttons:
        out["footer"] = {"type": "box", "layout": "vertical", **gap, "contents": buttons}
    return out


def alt(value: str) -> str:
    """An altText within LINE's limit."""
    if utf16_len(value) <= MAX_ALT_TEXT:
        return value
    while utf16_len(value) > MAX_ALT_TEXT - 1:
        value = value[:-20]
    return value + "…"


def flex(alt_text: str, contents: dict) -> dict:
    return {"type": "flex", "altText": alt(alt_text), "contents": contents}


def days_left(deadline: datetime, now: datetime, tz: ZoneInfo) -> str:
    """今天截止 / 還有 3 天 (counted in the school's calendar days)."""
    days = (deadline.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days <= 0:
        return "今天截止"
    return f"還有 {days} 天"


def days_until(start: datetime, now: datetime, tz: ZoneInfo) -> str:
    days = (start.astimezone(tz).date() - now.astimezone(tz).date()).days
    return "今天" if days <= 0 else f"{days} 天後"
