"""The demo school's welcome card: a Flex bubble telling a demo person who they are playing."""
from __future__ import annotations

from typing import Iterable

from messages import texts
from messages.common import message_action, quick_reply

DEMO_SCHOOL_NAME = "示範高中"
BRAND_GREEN = "#06C755"


def _button(label: str, primary: bool) -> dict:
    return {
        "type": "button",
        "style": "primary" if primary else "secondary",
        "height": "sm",
        "action": message_action(label),
        **({"color": BRAND_GREEN} if primary else {}),
    }


def welcome_card(name: str, who: str, suggestions: Iterable[str], quick: Iterable[str] = ()) -> dict:
    """A Flex bubble: the demo person's name and role, buttons that send suggested words, and the
    person's menu as quick replies (what LINE shows under the last message)."""
    labels = list(suggestions)[:4]
    card = {
        "type": "flex",
        "altText": f"{name}，歡迎使用{texts.BOT_NAME}",
        "contents": {
            "type": "bubble",
            "size": "kilo",
            "header": {
                "type": "box",
                "layout": "vertical",
                "backgroundColor": BRAND_GREEN,
                "paddingAll": "md",
                "contents": [
                    {"type": "text", "text": DEMO_SCHOOL_NAME, "color": "#FFFFFF", "size": "xs"},
                    {"type": "text", "text": texts.BOT_NAME, "color": "#FFFFFF", "size": "lg", "weight": "bold"},
                ],
            },
            "body": {
                "type": "box",
                "layout": "vertical",
                "spacing": "sm",
                "contents": [
                    {"type": "text", "text": f"{name}，歡迎！", "weight": "bold", "size": "md", "wrap": True},
                    {"type": "box", "layout": "baseline", "spacing": "sm", "contents": [
                        {"type": "text", "text": "身分", "size": "sm", "color": "#999999", "flex": 1},
                        {"type": "text", "text": who, "size": "sm", "color": "#333333", "flex": 4, "wrap": True},
                    ]},
                    {"type": "separator", "margin": "md"},
                    {"type": "text", "text": "點下方按鈕，或直接輸入文字試試看。", "size": "xs", "color": "#888888",
                     "wrap": True, "margin": "md"},
                ],
            },
            "footer": {
                "type": "box",
                "layout": "vertical",
                "spacing": "sm",
                "contents": [_button(label, index == 0) for index, label in enumerate(labels)],
            },
        },
    }
    if not labels:  # LINE refuses an empty box: no buttons, no footer
        del card["contents"]["footer"]
    quick = list(quick)
    if quick:
        card["quickReply"] = quick_reply(message_action(label) for label in quick)
    return card
