"""check_messages at and just over each of LINE's limits."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest

from bot.infra.line_limits import (
    MAX_BUBBLE_BYTES, MessageLimitError, _json_bytes, check_messages, compact_json, encode_checked, utf16_len,
)
from messages.common import message_action, postback_action, quick_reply, text

EMOJI = "😀"  # outside the BMP: two UTF-16 units, one Python character


def with_quick(n: int) -> dict:
    message = text("選一個")
    message["quickReply"] = {"items": [{"type": "action", "action": message_action(str(i))} for i in range(n)]}
    return message


def with_postback(data: str) -> dict:
    message = text("選一個")
    message["quickReply"] = quick_reply([postback_action("勾選", data)])
    return message


def bubble_of(size: int) -> dict:
    """A Flex message whose bubble is about ``size`` bytes of UTF-8 JSON."""
    body = {"type": "box", "layout": "vertical", "contents": [{"type": "text", "text": ""}]}
    contents = {"type": "bubble", "body": body}
    body["contents"][0]["text"] = "x" * (size - _json_bytes(contents))
    assert _json_bytes(contents) == size
    return {"type": "flex", "altText": "x", "contents": contents}


def refused(messages: list[dict]) -> str:
    with pytest.raises(MessageLimitError) as info:
        check_messages(messages)
    return str(info.value)


def test_utf16_counts_surrogate_pairs_twice():
    assert utf16_len("學習歷程") == 4
    assert utf16_len(EMOJI) == 2 and len(EMOJI) == 1


def test_text_of_5000_units_passes_5001_is_refused():
    check_messages([text("字" * 5000)])
    check_messages([text("字" * 4998 + EMOJI)])
    assert "5000" in refused([text("字" * 5001)])
    # 5000 Python characters, 5001 UTF-16 units: refused although len() says 5000
    assert "UTF-16" in refused([text("字" * 4999 + EMOJI)])


def test_13_quick_replies_pass_14_are_refused():
    check_messages([with_quick(13)])
    assert "14 quick replies" in refused([with_quick(14)])


def test_postback_data_of_300_passes_301_is_refused():
    check_messages([with_postback("a" * 300)])
    assert "postback data" in refused([with_postback("a" * 301)])


def test_postback_data_is_measured_in_characters_not_in_its_escaped_json():
    # 300 characters whose JSON escapes ("\"", "\\", "\n") make the encoded string 450 long: allowed
    check_messages([with_postback('a"\\\n' * 75)])
    check_messages([with_postback("勾" * 300)])
    assert "postback data" in refused([with_postback('a"\\\n' * 75 + "x")])


def test_a_text_that_reads_like_postback_data_is_not_postback_data():
    message = with_postback("ok")
    message["text"] = '"data":"' + "z" * 400 + '"'  # escaped in the JSON: not a member
    check_messages([message])


def test_postback_data_inside_a_flex_button_is_checked_too():
    button = {"type": "button", "action": postback_action("認證", "b" * 301)}
    flex = {"type": "flex", "altText": "x", "contents": {
        "type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [button]}}}
    assert "postback data" in refused([flex])


def test_five_messages_pass_six_are_refused():
    check_messages([text(str(i)) for i in range(5)])
    assert "6 messages" in refused([text(str(i)) for i in range(6)])


def test_no_messages_and_non_objects_are_refused():
    assert refused([]) == "no messages"
    assert "not a message object" in refused(["just a string"])  # type: ignore[list-item]


def test_bubble_of_30_kb_passes_one_byte_more_is_refused():
    check_messages([bubble_of(MAX_BUBBLE_BYTES)])
    assert "30 KB" in refused([bubble_of(MAX_BUBBLE_BYTES + 1)])


def test_carousel_of_12_bubbles_passes_13_are_refused():
    small = bubble_of(200)["contents"]
    carousel = {"type": "flex", "altText": "x", "contents": {"type": "carousel", "contents": [small] * 12}}
    check_messages([carousel])
    carousel["contents"]["contents"] = [small] * 13
    assert "13 bubbles" in refused([carousel])


def test_alt_text_of_1500_passes_1501_is_refused():
    flex = bubble_of(200)
    flex["altText"] = "字" * 1500
    check_messages([flex])
    flex["altText"] = "字" * 1501
    assert "altText" in refused([flex])


@pytest.mark.parametrize(("message", "reason"), [
    ({"type": "text"}, "without text"),
    ({"type": "text", "text": ""}, "without text"),
    ({"type": "text", "text": None}, "without text"),
    ({"type": "flex", "altText": "x"}, "without contents"),
    ({"type": "flex", "altText": "x", "contents": "bubble"}, "without contents"),
    ({"type": "text", "text": "x", "quickReply": {"items": "all of them"}}, "not a list"),
    ({"type": "text", "text": "x", "quickReply": ["items"]}, "not a list"),
    ({"type": "flex", "altText": None, "contents": {"type": "bubble"}}, "altText"),
], ids=["no text", "empty text", "null text", "flex without contents", "contents not an object",
        "items not a list", "quickReply not an object", "null altText"])
def test_malformed_messages_are_refused_with_a_reason_not_a_crash(message, reason):
    assert reason in refused([message])


def stdlib_json(obj) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


EVERY_CHARACTER = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF)


@pytest.mark.parametrize("obj", [
    EVERY_CHARACTER,  # every escape json makes (quote, backslash, control characters), and none it does not
    {EVERY_CHARACTER[:3000]: [True, False, None, 0, -1, 2**63 - 1, -2**63, 2**64 - 1, "", [], {}]},
    {"type": "text", "text": 'a "quote", a \\ backslash, a\nnew line, a \u2028 and 😀 \x7f \x00'},
], ids=["every character", "keys and scalars", "a text message"])
def test_messages_are_encoded_as_json_dumps_encodes_them_byte_for_byte(obj):
    assert compact_json(obj) == stdlib_json(obj)


def test_what_orjson_refuses_is_encoded_or_refused_as_json_does():
    big = {"n": 2**64}  # past orjson's 64 bits: json takes it
    assert compact_json(big) == stdlib_json(big) == b'{"n":18446744073709551616}'
    keys = {1: "one"}  # a key that is not a string: json turns it into one
    assert compact_json(keys) == stdlib_json(keys)

    class Label(str):  # a subclass of str (a StrEnum's members are): json writes its text
        def __str__(self) -> str:
            return "not this"
    assert compact_json({"text": Label("你好")}) == stdlib_json({"text": Label("你好")}) == '{"text":"你好"}'.encode()
    with pytest.raises(TypeError):  # json refuses a datetime (orjson would write it)
        compact_json({"at": datetime(2026, 11, 28, tzinfo=timezone.utc)})
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate cannot be UTF-8, as before
        encode_checked([{"type": "text", "text": "\ud800"}])
    with pytest.raises(TypeError):  # nor can an object json does not know
        encode_checked([{"type": "text", "text": object()}])


def test_the_encoded_messages_are_the_json_array_of_the_messages():
    messages = [{"type": "text", "text": "你好\n"}, bubble_of(300)]
    assert encode_checked(messages).encode("utf-8") == stdlib_json(messages)
