"""Long lists as Flex: rows split over the bubbles of a carousel, kept under LINE's limits.

`paged` puts ``rows`` (Flex components, one per entry) ROWS_PER_BUBBLE to a bubble, at most
MAX_BUBBLES bubbles; what does not fit is dropped and counted in a closing line ("…另有 N 人"),
and bubbles are dropped from the end until the message passes `bot.infra.line_limits.check_messages`.
"""
from __future__ import annotations

from bot.infra.line_limits import MessageLimitError, check_messages
from messages.common import postback_action
from messages.flex import GREEN, GREY, RED, alt, bubble, button, flex, text

__all__ = ["GREEN", "GREY", "RED", "text", "alt", "uri_button", "postback_button", "paged"]

ROWS_PER_BUBBLE = 15
MAX_BUBBLES = 10


def uri_button(label: str, uri: str) -> dict:
    return {"type": "button", "style": "primary", "height": "sm", "color": "#06C755",
            "action": {"type": "uri", "label": label[:20], "uri": uri}}


def postback_button(label: str, data: str, display: str | None = None, primary: bool = False) -> dict:
    return button(postback_action(label, data, display), primary)


def paged(title: str, alt_text: str, rows: list[dict], intro: list[dict] | None = None,
          footer: list[dict] | None = None, subtitle: str | None = None, unit: str = "項",
          rows_per_bubble: int = ROWS_PER_BUBBLE, max_bubbles: int = MAX_BUBBLES,
          headings: tuple[dict, ...] = ()) -> dict:
    """A bubble (or a carousel of bubbles) listing ``rows``; ``intro`` opens the first bubble and
    ``footer`` closes every bubble. Over the limits, the tail is cut and counted (rows that are
    among ``headings`` are not counted)."""
    pages = [rows[i:i + rows_per_bubble] for i in range(0, len(rows), rows_per_bubble)] or [[]]
    keep = min(len(pages), max_bubbles)
    heading_ids = {id(h) for h in headings}
    while True:
        shown = pages[:keep]
        hidden = sum(1 for page in pages[keep:] for r in page if id(r) not in heading_ids)
        bubbles = []
        for index, page in enumerate(shown):
            body = list(intro or []) if index == 0 else []
            body += page
            if index == len(shown) - 1 and hidden > 0:
                body.append(text(f"…另有 {hidden} {unit}未列出", size="sm", color=RED, margin="md"))
            page_title = title if len(shown) == 1 else f"{title}（{index + 1}/{len(shown)}）"
            bubbles.append(bubble(page_title, body, list(footer or []), subtitle, spacing="sm"))
        contents = bubbles[0] if len(bubbles) == 1 else {"type": "carousel", "contents": bubbles}
        message = flex(alt_text, contents)
        try:
            check_messages([message])
            return message
        except MessageLimitError:
            if keep == 1:
                if rows_per_bubble <= 1:
                    raise
                return paged(title, alt_text, rows, intro, footer, subtitle, unit, rows_per_bubble // 2, 1,
                             headings)
            keep -= 1
