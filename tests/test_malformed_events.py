"""Every validly signed body gets 200; a malformed event is skipped without costing the body's other
events (deep nesting, a non-object source, a non-string userId, a NUL or a lone surrogate, a timestamp
out of range)."""
from __future__ import annotations

import json

import pytest

from bot.demo.simulator.events import text_event
from bot.web.webhook import signature_for
from tests.helpers import SECRET, texts_of
from tests.student_school import NOW, build, uid


@pytest.fixture
def school(db, services):
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


def post(client, app, body: bytes):
    response = client.post("/callback", data=body, headers={"X-Line-Signature": signature_for(SECRET, body),
                                                            "Content-Type": "application/json"})
    app.extensions["portfolio"].dispatcher.drain()
    return response


def test_a_deeply_nested_or_unparsable_signed_body_gets_200(client, app):
    assert post(client, app, b"[" * 976 + b"]" * 976).status_code == 200
    assert post(client, app, b'{"events": [' + b"[" * 5000 + b"]" * 5000 + b"]}").status_code == 200
    assert post(client, app, b"not json at all").status_code == 200
    assert client.post("/callback", data=b"[]", headers={"X-Line-Signature": "forged"}).status_code == 400


def test_malformed_events_are_skipped_and_the_rest_answered(school, client, app, line_api):
    good = text_event(uid("fix"), "說明", line_api.issue_reply_token(uid("fix")))
    bad = []
    for change in (lambda e: e.update(source="U123"),
                   lambda e: e["source"].update(userId=12345),
                   lambda e: e["message"].update(text="說明\x00"),
                   lambda e: e["message"].update(text="說明\ud800"),
                   lambda e: e.update(timestamp=10 ** 30),
                   lambda e: e.update(timestamp="yesterday"),
                   lambda e: e.update(postback=["a=b"], type="postback"),
                   lambda e: e.update(replyToken={"x": 1})):
        event = text_event(uid("max"), "說明", line_api.issue_reply_token(uid("max")))
        change(event)
        bad.append(event)
    body = json.dumps({"destination": "U" + "0" * 32, "events": [*bad[:4], good, *bad[4:]]}).encode()
    assert post(client, app, body).status_code == 200
    assert "常見問題" in texts_of([m for d in line_api.sent_to(uid("fix")) for m in d.messages])
    assert line_api.sent_to(uid("max")) == []
