"""The webhook: signature, empty and unknown events, de-duplication, health."""
from __future__ import annotations

import json

from bot.simulator.events import callback_body, text_event
from bot.webhook import signature_for
from tests.conftest import SECRET, texts_of


def post(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    return client.post("/callback", data=body, headers=headers)


def test_missing_or_bad_signature_is_400_and_does_nothing(client, app, line_api):
    body = callback_body([text_event("U" + "1" * 32, "說明", line_api.issue_reply_token("U" + "1" * 32))])
    assert post(client, body, None).status_code == 400
    assert post(client, body, signature_for("wrong-secret", body)).status_code == 400
    assert post(client, body + b" ", signature_for(SECRET, body)).status_code == 400
    app.extensions["portfolio"].dispatcher.drain()
    assert line_api.requests == []


def test_empty_events_and_unknown_types_get_200(client, app, line_api):
    body = json.dumps({"destination": "Uxxx", "events": []}).encode()
    assert post(client, body, signature_for(SECRET, body)).status_code == 200
    odd = json.dumps({"destination": "Uxxx", "events": [
        {"type": "somethingNew", "mode": "active", "timestamp": 1, "webhookEventId": "01X",
         "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": "U1"}}]}).encode()
    assert post(client, odd, signature_for(SECRET, odd)).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert line_api.requests == []


def test_unbound_user_asking_for_help_gets_the_faq(chat):
    answer = chat().say("說明")
    assert len(answer) == 1
    assert "課程學習成果" in texts_of(answer) and "多元表現" in texts_of(answer)


def test_redelivered_event_is_handled_once(client, app, line_api):
    user = "U" + "2" * 32
    event = text_event(user, "說明", line_api.issue_reply_token(user))
    body = callback_body([event])
    for _ in range(3):
        assert post(client, body, signature_for(SECRET, body)).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert len(line_api.calls("reply")) == 1


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] is True
