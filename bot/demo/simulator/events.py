"""Builds webhook bodies as LINE sends them (used by the simulator and the tests)."""
from __future__ import annotations

import json
import time
import uuid


def _base(event_type: str, user_id: str, reply_token: str | None = None) -> dict:
    event = {
        "type": event_type,
        "mode": "active",
        "timestamp": int(time.time() * 1000),
        "source": {"type": "user", "userId": user_id},
        "webhookEventId": "01" + uuid.uuid4().hex[:24].upper(),
        "deliveryContext": {"isRedelivery": False},
    }
    if reply_token is not None:
        event["replyToken"] = reply_token
    return event


def text_event(user_id: str, text: str, reply_token: str) -> dict:
    event = _base("message", user_id, reply_token)
    event["message"] = {"type": "text", "id": str(uuid.uuid4().int)[:18], "quoteToken": uuid.uuid4().hex, "text": text}
    return event


def postback_event(user_id: str, data: str, reply_token: str) -> dict:
    event = _base("postback", user_id, reply_token)
    event["postback"] = {"data": data}
    return event


def follow_event(user_id: str, reply_token: str) -> dict:
    event = _base("follow", user_id, reply_token)
    event["follow"] = {"isUnblocked": False}
    return event


def unfollow_event(user_id: str) -> dict:
    return _base("unfollow", user_id)


def callback_body(events: list[dict], destination: str = "U" + "0123456789abcdef" * 2) -> bytes:
    return json.dumps({"destination": destination, "events": events}, ensure_ascii=False).encode("utf-8")
