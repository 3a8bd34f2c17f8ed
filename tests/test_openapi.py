"""The OpenAPI validator itself: it accepts what LINE accepts and catches what LINE would refuse."""
from __future__ import annotations

import copy
import json

import pytest

from bot.demo.simulator.events import callback_body, follow_event, postback_event, text_event, unfollow_event
from messages.common import message_action, postback_action, quick_reply, text
from tests.openapi import messaging_validator, spec_dir, validate_webhook

USER = "U" + "a" * 32
PUSH = "/v2/bot/message/push"


@pytest.fixture(scope="module")
def validate():
    return messaging_validator()


def push(*messages: dict) -> dict:
    return {"to": USER, "messages": list(messages)}


def bubble(*components: dict) -> dict:
    return {"type": "flex", "altText": "學習歷程", "contents": {
        "type": "bubble",
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": list(components)},
    }}


GOOD_BUBBLE = bubble(
    {"type": "text", "text": "課程學習成果", "weight": "bold", "size": "lg", "wrap": True},
    {"type": "separator", "margin": "md"},
    {"type": "box", "layout": "horizontal", "contents": [
        {"type": "text", "text": "待認證", "flex": 0},
        {"type": "text", "text": "3 件", "align": "end"},
    ]},
    {"type": "button", "style": "primary", "action": postback_action("認證", "a=cert&id=1", "認證")},
    {"type": "button", "style": "link", "action": {"type": "uri", "label": "開啟", "uri": "https://example.com"}},
)


def test_spec_files_are_found():
    assert (spec_dir() / "messaging-api.yml").is_file() and (spec_dir() / "webhook.yml").is_file()


def test_valid_messages_are_accepted(validate):
    assert validate("POST", PUSH, push({"type": "text", "text": "你好"})) == []
    assert validate("POST", PUSH, push(GOOD_BUBBLE)) == []
    quick = text("選一個", quick=["我的進度", "期限", "說明"])
    quick["quickReply"]["items"].append({"type": "action", "action": postback_action("勾選", "a=pick&id=9")})
    assert validate("POST", PUSH, push(quick)) == []
    full = quick_reply(message_action(str(i)) for i in range(13))
    assert validate("POST", PUSH, push({"type": "text", "text": "13", "quickReply": full})) == []
    assert validate("POST", "/v2/bot/message/reply", {"replyToken": "t", "messages": [GOOD_BUBBLE]}) == []
    assert validate("POST", "/v2/bot/message/multicast", {"to": [USER] * 500, "messages": [text("x")]}) == []


def test_gets_and_operations_without_a_body_are_not_checked(validate):
    assert validate("GET", "/v2/bot/message/quota", None) == []
    assert validate("GET", "/v2/bot/info", None) == []
    assert validate("POST", PUSH, None) == []


def test_text_without_text_is_rejected(validate):
    errors = validate("POST", PUSH, push({"type": "text"}))
    assert errors == ["$.messages[0]: 'text' is a required property"]


def test_unknown_message_type_is_rejected(validate):
    errors = validate("POST", PUSH, push({"type": "txet", "text": "x"}))
    assert len(errors) == 1 and "unknown type 'txet'" in errors[0] and errors[0].startswith("$.messages[0].type")


def test_flex_box_with_unknown_component_is_rejected(validate):
    bad = copy.deepcopy(GOOD_BUBBLE)
    bad["contents"]["body"]["contents"][2]["contents"].append({"type": "widget", "text": "?"})
    errors = validate("POST", PUSH, push(bad))
    assert len(errors) == 1
    assert errors[0].startswith("$.messages[0].contents.body.contents[2].contents[2].type: unknown type 'widget'")


def test_button_without_action_is_rejected(validate):
    bad = copy.deepcopy(GOOD_BUBBLE)
    del bad["contents"]["body"]["contents"][3]["action"]
    assert validate("POST", PUSH, push(bad)) == [
        "$.messages[0].contents.body.contents[3]: 'action' is a required property"]


def test_fourteen_quick_replies_are_rejected(validate):
    message = {"type": "text", "text": "x", "quickReply": {
        "items": [{"type": "action", "action": message_action(str(i))} for i in range(14)]}}
    assert validate("POST", PUSH, push(message)) == ["$.messages[0].quickReply.items: 14 items; at most 13 allowed"]


def test_nested_errors_inside_subtypes_are_found(validate):
    """Errors deep inside discriminated subtypes (action inside a quick reply, enum in a box)."""
    long_data = text("x")
    long_data["quickReply"] = quick_reply([postback_action("p", "a=" + "x" * 299)])
    assert validate("POST", PUSH, push(long_data)) == [
        "$.messages[0].quickReply.items[0].action.data: 301 characters; at most 300 allowed"]
    bad_layout = copy.deepcopy(GOOD_BUBBLE)
    bad_layout["contents"]["body"]["layout"] = "diagonal"
    assert len(validate("POST", PUSH, push(bad_layout))) == 1
    typeless_action = text("x")
    typeless_action["quickReply"] = {"items": [{"type": "action", "action": {"label": "a", "text": "a"}}]}
    assert validate("POST", PUSH, push(typeless_action)) != []
    assert validate("POST", PUSH, push(*[text("x")] * 6)) == ["$.messages: 6 items; at most 5 allowed"]
    assert validate("POST", PUSH, {"messages": [text("x")]}) == ["$: 'to' is a required property"]


def test_unknown_operation_is_reported(validate):
    assert validate("POST", "/v2/bot/message/shout", {"x": 1}) != []


def test_nullable_is_honoured():
    """``nullable: true`` admits null there and nowhere else."""
    from tests.openapi import MESSAGING_URI, errors_of, schema_validator

    plan = schema_validator(MESSAGING_URI, "#/components/schemas/MembershipListResponse")
    membership = {"membershipId": 1, "title": "t", "description": "d", "benefits": ["b"], "price": 1.0,
                  "currency": "JPY", "memberCount": 1, "memberLimit": None, "isInAppPurchase": False,
                  "isPublished": True}
    assert errors_of(plan, {"memberships": [membership]}) == []
    assert errors_of(plan, {"memberships": [{**membership, "memberCount": None}]}) != []


def _webhook(event: dict) -> dict:
    return json.loads(callback_body([event]))


@pytest.mark.parametrize("event", [
    text_event(USER, "我的進度", "r" * 32),
    postback_event(USER, "a=pick&id=3", "r" * 32),
    follow_event(USER, "r" * 32),
    unfollow_event(USER),
], ids=["text", "postback", "follow", "unfollow"])
def test_simulated_webhook_events_match_webhook_yml(event):
    assert validate_webhook(_webhook(event)) == []


def test_broken_webhook_bodies_are_rejected():
    event = text_event(USER, "hi", "r" * 32)
    del event["message"]["text"]
    assert validate_webhook(_webhook(event)) == ["$.events[0].message: 'text' is a required property"]
    odd_mode = postback_event(USER, "a=x", "r" * 32)
    odd_mode["mode"] = "sleepy"
    assert len(validate_webhook(_webhook(odd_mode))) == 1
    no_id = follow_event(USER, "r" * 32)
    del no_id["webhookEventId"]
    assert validate_webhook(_webhook(no_id)) == ["$.events[0]: 'webhookEventId' is a required property"]
    assert validate_webhook({"destination": "Ubot", "events": []}) != []
    assert validate_webhook({"destination": "U" + "0" * 32, "events": [{**unfollow_event(USER), "type": "wave"}]}) != []
