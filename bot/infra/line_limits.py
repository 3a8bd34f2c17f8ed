"""LINE's hard limits on what one request may carry; anything over them is refused before sending.

Messages are encoded with orjson: the same compact UTF-8 JSON as ``json.dumps(ensure_ascii=False,
separators=(",", ":"))``, byte for byte (tests/test_line_limits.py), at a tenth of its cost. That
encoding was a tenth of the CPU of a tap on 我的進度 under load (bench/README.md, issue #12 item 12).
"""
from __future__ import annotations

import json
import re
from typing import Any

import orjson

MAX_MESSAGES = 5
MAX_TEXT_UTF16 = 5000
MAX_QUICK_REPLY_ITEMS = 13
MAX_POSTBACK_DATA = 300
MAX_BUBBLE_BYTES = 30_000  # "30 KB": the smaller reading (not 30 × 1024), so nothing near the edge is refused by LINE
MAX_CAROUSEL_BUBBLES = 12
MAX_CAROUSEL_BYTES = 50_000
MAX_ALT_TEXT = 1500
MAX_MULTICAST_RECIPIENTS = 500


class MessageLimitError(ValueError):
    """A message that LINE would reject (or truncate) was about to be sent."""


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


# What json would refuse or write otherwise is passed over by orjson, so that it goes to json below.
_ORJSON_AS_JSON = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS


def compact_json(obj: Any) -> bytes:
    """``obj`` as compact JSON in UTF-8, as ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``
    encoded would give it, for what messages hold: strings, integers, booleans, null, lists and
    objects. What orjson does not take (an integer past 64 bits, a key that is not a string, a lone
    surrogate, a subclass of str, a datetime, a dataclass) goes through ``json``, which writes it or
    raises as it always did. (A float could be spelled otherwise, 1e-7 for 1e-07: messages hold none.)"""
    try:
        return orjson.dumps(obj, option=_ORJSON_AS_JSON)
    except orjson.JSONEncodeError:
        return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _json_bytes(obj: Any) -> int:
    return len(compact_json(obj))


# A "data" member holding a string, in compact JSON: an action's data (postback; datetime picker, whose
# limit is the same). Inside a JSON string every quote is escaped, so this matches only members. The
# string is matched as runs of plain characters between escapes (a run is one step of the matcher, not
# one per character: a sweep's 32,502 reminders, each with its snooze buttons, took 0.2 s the other way).
_DATA = re.compile(r'"data":"([^"\\]*(?:\\.[^"\\]*)*)"')


def _long_data(text: str) -> bool:
    """Whether an action in the compact JSON ``text`` carries data over MAX_POSTBACK_DATA characters
    (found in the text: walking the objects cost a reply as much as encoding them)."""
    for raw in _DATA.findall(text):
        # the escaped form is never shorter than the string it encodes
        if len(raw) > MAX_POSTBACK_DATA and len(json.loads(f'"{raw}"')) > MAX_POSTBACK_DATA:
            return True
    return False


def check_messages(messages: list[dict]) -> None:
    """Raise MessageLimitError if ``messages`` breaks any of LINE's limits."""
    encode_checked(messages)


def encode_checked(messages: list[dict]) -> str:
    """``messages`` as compact JSON, once checked against LINE's limits (MessageLimitError if not).

    Each message is encoded once: that text bounds its bubble's size (a bubble is inside its
    message), so a bubble is measured on its own only when the message is near the limit, and the
    actions' data are measured in that text. A sweep checks tens of thousands of bubbles and stores
    this same text."""
    if not messages:
        raise MessageLimitError("no messages")
    if len(messages) > MAX_MESSAGES:
        raise MessageLimitError(f"{len(messages)} messages in one request (max {MAX_MESSAGES})")
    encoded: list[str] = []
    for index, message in enumerate(messages):
        where = f"message {index + 1}"
        if not isinstance(message, dict):
            raise MessageLimitError(f"{where}: not a message object")
        raw = compact_json(message)
        size = len(raw)
        text = raw.decode("utf-8")
        encoded.append(text)
        if message.get("type") == "text":
            if not isinstance(message.get("text"), str) or not message["text"]:
                raise MessageLimitError(f"{where}: a text message without text")
            if utf16_len(message["text"]) > MAX_TEXT_UTF16:
                raise MessageLimitError(f"{where}: text over {MAX_TEXT_UTF16} UTF-16 units")
        quick = message.get("quickReply") or {}
        items = quick.get("items", []) if isinstance(quick, dict) else None
        if not isinstance(items, list):
            raise MessageLimitError(f"{where}: quick reply items are not a list")
        if len(items) > MAX_QUICK_REPLY_ITEMS:
            raise MessageLimitError(f"{where}: {len(items)} quick replies (max {MAX_QUICK_REPLY_ITEMS})")
        if "altText" in message and (not isinstance(message["altText"], str)
                                     or utf16_len(message["altText"]) > MAX_ALT_TEXT):
            raise MessageLimitError(f"{where}: altText over {MAX_ALT_TEXT} characters")
        if message.get("type") == "flex":
            contents = message.get("contents")
            if not isinstance(contents, dict):
                raise MessageLimitError(f"{where}: a Flex message without contents")
            if contents.get("type") == "bubble" and size > MAX_BUBBLE_BYTES \
                    and _json_bytes(contents) > MAX_BUBBLE_BYTES:
                raise MessageLimitError(f"{where}: bubble over 30 KB")
            if contents.get("type") == "carousel":
                bubbles = contents.get("contents", [])
                if len(bubbles) > MAX_CAROUSEL_BUBBLES:
                    raise MessageLimitError(f"{where}: {len(bubbles)} bubbles in a carousel (max 12)")
                if size > MAX_CAROUSEL_BYTES and _json_bytes(contents) > MAX_CAROUSEL_BYTES:
                    raise MessageLimitError(f"{where}: carousel over 50 KB")
                if size > MAX_BUBBLE_BYTES and any(_json_bytes(b) > MAX_BUBBLE_BYTES for b in bubbles):
                    raise MessageLimitError(f"{where}: a carousel bubble over 30 KB")
        if _long_data(text):
            raise MessageLimitError(f"{where}: postback data over {MAX_POSTBACK_DATA} characters")
    return "[" + ",".join(encoded) + "]"
