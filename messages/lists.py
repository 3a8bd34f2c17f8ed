"""Long lists as Flex: rows split over the bubbles of a carousel, kept under LINE's limits.

`paged` puts ``rows`` (Flex components, one per entry) ROWS_PER_BUBBLE to a bubble, at most
MAX_BUBBLES bubbles; what does not fit is dropped and counted in a closing line ("…另有 N 人"),
and bubbles are dropped from the end until the message passes `bot.infra.line_limits.check_messages`.
"""
from __future__ import annotations

from bot.infra.line_limits import MessageLimitError, check_messages
from messages.common import postback_action
from messages.flex import GREEN, GREY, RED, alt, bubble, button, flex, text

__all__ = ["GREEN", "GREY", "RED", "text", "alt", "uri_button", "postback_button", "paged", "sectioned"]

ROWS_PER_BUBBLE = 15
MAX_BUBBLES = 10


def uri_button(label: str, uri: str) -> dict:
    return {"type": "button", "style": "primary", "height": "sm", "color": "#06C755",
            "action": {"type": "uri", "label": label[:20], "uri": uri}}


def postback_button(label: str, data: str, display: str | None = None, primary: bool = False) -> dict:
    return button(postback_action(label, data, display), primary)


def paged(title: str, alt_text: str, rows: list[dict], intro: list[dict] | None = None,
          footer: list[dict] | None = None, subtitle: str | None = None, unit: str = "項",
          rows_per_bubble: int = ROWS_PER_BUBBLE, max_bubbles: int = MAX_BUBBLES) -> dict:
    """A bubble (or a carousel of bubbles) listing ``rows``; ``intro`` opens the first bubble and
    ``footer`` closes every bubble. Over the limits, the tail is cut and counted."""
    pages = [rows[i:i + rows_per_bubble] for i in range(0, len(rows), rows_per_bubble)] or [[]]
    keep = min(len(pages), max_bubbles)
    while True:
        bodies = [list(page) for page in pages[:keep]]
        bodies[0][:0] = intro or []
        bubbles = _bubbles(title, bodies, sum(len(page) for page in pages[keep:]), unit, footer, subtitle)
        message = _within_limits(alt_text, bubbles)
        if message is not None:
            return message
        if keep == 1:
            if rows_per_bubble <= 1:
                check_messages([_message(alt_text, bubbles)])  # raises: one row is over LINE's limits
            return paged(title, alt_text, rows, intro, footer, subtitle, unit, rows_per_bubble // 2, 1)
        keep -= 1


def sectioned(title: str, alt_text: str, sections: list[tuple[str, list[dict]]], footer: list[dict] | None = None,
              subtitle: str | None = None, unit: str = "項", rows_per_bubble: int = ROWS_PER_BUBBLE,
              max_bubbles: int = MAX_BUBBLES) -> dict:
    """Like `paged`, for rows under headings: each (heading, rows) section starts a bubble, and a section
    longer than a bubble goes on under its heading marked （續）, so a heading is always on the bubble
    that holds its rows. Over the limits the tail is cut and counted in ``unit``."""
    pages: list[tuple[str, list[dict]]] = []
    for heading, rows in sections:
        for start in range(0, len(rows), rows_per_bubble):
            pages.append((heading if start == 0 else f"{heading}（續）", rows[start:start + rows_per_bubble]))
    keep = min(len(pages), max_bubbles)
    while True:
        bodies = [[text(heading, weight="bold", margin="md"), *rows] for heading, rows in pages[:keep]]
        bubbles = _bubbles(title, bodies, sum(len(rows) for _, rows in pages[keep:]), unit, footer, subtitle)
        message = _within_limits(alt_text, bubbles)
        if message is not None:
            return message
        if keep == 1:
            check_messages([_message(alt_text, bubbles)])  # raises: one bubble is over LINE's limits
        keep -= 1


def _bubbles(title: str, bodies: list[list[dict]], hidden: int, unit: str, footer: list[dict] | None,
             subtitle: str | None) -> list[dict]:
    """One titled bubble per body (「title（2/3）」 when there are several); the last counts the ``hidden``
    rows that did not fit."""
    made = []
    for index, body in enumerate(bodies):
        if index == len(bodies) - 1 and hidden > 0:
            body = [*body, text(f"…另有 {hidden} {unit}未列出", size="sm", color=RED, margin="md")]
        page_title = title if len(bodies) == 1 else f"{title}（{index + 1}/{len(bodies)}）"
        made.append(bubble(page_title, body, list(footer or []), subtitle, spacing="sm"))
    return made


def _message(alt_text: str, bubbles: list[dict]) -> dict:
    return flex(alt_text, bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles})


def _within_limits(alt_text: str, bubbles: list[dict]) -> dict | None:
    """The bubbles as one message, or None when it is over LINE's limits."""
    message = _message(alt_text, bubbles)
    try:
        check_messages([message])
    except MessageLimitError:
        return None
    return message
