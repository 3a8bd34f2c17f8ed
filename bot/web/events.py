"""Is a webhook event well formed enough to handle? The fields the bot reads, checked against the shapes
of LINE's webhook.yml (source an object, userId and replyToken strings, timestamp a number of
milliseconds, message and postback objects with string text and data), and every string clean: no NUL
and no lone surrogate (no database keeps them, no JSON encoder sends them back). A malformed event is
skipped (logged by its type only), never costing the other events of its body."""
from __future__ import annotations

from datetime import datetime, timezone

MAX_ID = 128          # userId, replyToken, webhookEventId: LINE's are 33-64 characters
MAX_TEXT = 10_000     # LINE caps a text message at 5,000 characters
MAX_DATA = 1_000      # postback data: 300 in LINE's spec


def _clean(value: object, limit: int) -> bool:
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate ("\ud800")
        return False
    return True


def problem(event: object) -> str | None:
    """Why ``event`` cannot be handled, or None when it can."""
    if not isinstance(event, dict):
        return "not an object"
    if not _clean(event.get("type"), 64):
        return "type"
    for key, limit in (("webhookEventId", MAX_ID), ("replyToken", MAX_ID)):
        if key in event and event[key] is not None and not _clean(event[key], limit):
            return key
    source = event.get("source")
    if source is not None:
        if not isinstance(source, dict):
            return "source"
        if "userId" in source and source["userId"] is not None and not _clean(source["userId"], MAX_ID):
            return "source.userId"
    ts = event.get("timestamp")
    if ts is not None:
        if isinstance(ts, bool) or not isinstance(ts, (int, float)):
            return "timestamp"
        try:
            datetime.fromtimestamp(ts / 1000, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return "timestamp"
    message = event.get("message")
    if message is not None:
        if not isinstance(message, dict) or not _clean(message.get("type", ""), 64):
            return "message"
        if "text" in message and not _clean(message["text"], MAX_TEXT):
            return "message.text"
    postback = event.get("postback")
    if postback is not None:
        if not isinstance(postback, dict) or ("data" in postback and not _clean(postback["data"], MAX_DATA)):
            return "postback"
    return None
