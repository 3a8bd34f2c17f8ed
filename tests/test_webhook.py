"""The webhook: signature, empty and unknown events, de-duplication, ordering, health.

Every body posted here is a real LINE webhook body: the well-formed ones are checked
against webhook.yml before they are sent (``post``), so the tests speak LINE's format.
"""
from __future__ import annotations

import json
import threading
import time


from bot import create_app
from bot.demo.simulator.events import callback_body, follow_event, text_event
from bot.web.webhook import MAX_BODY, signature_for
from handlers.routing import Router
from tests.helpers import SECRET, texts_of
from tests.openapi import validate_webhook

USER = "U" + "1" * 32
OTHER = "U" + "3" * 32


def post(client, body: bytes, signature: str | None):
    headers = {"Content-Type": "application/json"}
    if signature is not None:
        headers["X-Line-Signature"] = signature
    return client.post("/callback", data=body, headers=headers)


def signed(client, events: list[dict]):
    """Post well-formed events as LINE would: valid against webhook.yml and signed."""
    body = callback_body(events)
    assert validate_webhook(json.loads(body)) == []
    return post(client, body, signature_for(SECRET, body))


def test_missing_or_bad_signature_is_400_and_does_nothing(client, app, line_api):
    event = text_event(USER, "說明", line_api.issue_reply_token(USER))
    body = callback_body([event])
    assert post(client, body, None).status_code == 400
    assert post(client, body, "").status_code == 400
    assert post(client, body, signature_for("wrong-secret", body)).status_code == 400
    assert post(client, body + b" ", signature_for(SECRET, body)).status_code == 400
    app.extensions["portfolio"].dispatcher.drain()
    assert line_api.requests == []
    # Nothing was recorded either: the same event, properly signed, is still handled.
    assert post(client, body, signature_for(SECRET, body)).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert len(line_api.calls("reply")) == 1


def test_an_oversized_body_is_refused_unread_and_does_nothing(client, app, line_api):
    event = text_event(USER, "說明", line_api.issue_reply_token(USER))
    event["message"]["text"] = "x" * MAX_BODY  # a "webhook" no LINE would send
    body = callback_body([event])
    assert post(client, body, signature_for(SECRET, body)).status_code == 413
    app.extensions["portfolio"].dispatcher.drain()
    assert line_api.requests == []


def test_callback_answers_post_only_and_other_paths_still_reach_the_app(client, app, line_api):
    # /callback is a plain WSGI app ahead of Flask (bot/web/webhook.py ``mount``)
    for method in ("get", "put", "delete"):
        answer = getattr(client, method)("/callback")
        assert answer.status_code == 405 and answer.headers["Allow"] == "POST"
    assert client.get("/healthz").status_code == 200
    assert client.get("/callback/").status_code == 404  # Flask's, not the webhook's
    app.extensions["portfolio"].dispatcher.drain()
    assert line_api.requests == []


def test_a_body_sent_without_a_length_is_read_to_its_end_and_bounded(client, app, line_api):
    # A server that ends the stream itself (gunicorn with chunked encoding) says so with
    # wsgi.input_terminated; the body is then read without a Content-Length, up to MAX_BODY.
    import io

    def chunked(body: bytes):
        return client.post("/callback", input_stream=io.BytesIO(body), environ_overrides={
            "wsgi.input_terminated": True, "CONTENT_LENGTH": ""},
            headers={"Content-Type": "application/json", "X-Line-Signature": signature_for(SECRET, body)})

    event = text_event(USER, "說明", line_api.issue_reply_token(USER))
    assert chunked(callback_body([event])).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert len(line_api.calls("reply")) == 1
    big = text_event(USER, "說明", line_api.issue_reply_token(USER))
    big["message"]["text"] = "x" * MAX_BODY
    assert chunked(callback_body([big])).status_code == 413
    app.extensions["portfolio"].dispatcher.drain()
    assert len(line_api.calls("reply")) == 1


def test_empty_events_and_unknown_types_get_200(client, app, line_api):
    body = json.dumps({"destination": "U" + "0" * 32, "events": []}).encode()
    assert validate_webhook(json.loads(body)) == []
    assert post(client, body, signature_for(SECRET, body)).status_code == 200
    # A type LINE may add later (not in webhook.yml yet) is acknowledged and ignored.
    odd = json.dumps({"destination": "Uxxx", "events": [
        {"type": "somethingNew", "mode": "active", "timestamp": 1, "webhookEventId": "01X",
         "deliveryContext": {"isRedelivery": False}, "source": {"type": "user", "userId": "U1"}}]}).encode()
    assert post(client, odd, signature_for(SECRET, odd)).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert line_api.requests == []


def test_signed_body_that_is_not_json_is_200_and_does_nothing(client, app, line_api):
    # interface.md: 「A well-signed body always gets 200」 — a 400 would only make LINE send it again
    body = b"not json"
    assert post(client, body, signature_for(SECRET, body)).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert line_api.requests == []


def test_unbound_user_asking_for_help_gets_the_faq(chat):
    answer = chat().say("說明")
    assert len(answer) == 1
    assert "課程學習成果" in texts_of(answer) and "多元表現" in texts_of(answer)


def test_redelivered_event_is_handled_once(client, app, line_api):
    event = text_event(USER, "說明", line_api.issue_reply_token(USER))
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
    for again in (event, redelivered, redelivered):
        assert signed(client, [again]).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert len(line_api.calls("reply")) == 1


def test_a_duplicate_inside_a_batch_is_dropped_and_the_rest_handled(client, app, line_api):
    first = text_event(USER, "說明", line_api.issue_reply_token(USER))
    second = text_event(OTHER, "說明", line_api.issue_reply_token(OTHER))
    assert signed(client, [first, first, second]).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert len(line_api.sent_to(USER)) == 1 and len(line_api.sent_to(OTHER)) == 1


def test_an_event_id_is_remembered_for_a_day(client, app, services, line_api):
    """The intake row (unique per webhookEventId) is kept a day by the retention job; after that the
    same id would count as new (LINE redelivers within minutes to hours)."""
    from datetime import datetime, timedelta, timezone

    from bot.infra import intake

    now = datetime.now(timezone.utc)
    services.clock = lambda: now
    event = text_event(USER, "說明", line_api.issue_reply_token(USER))
    assert signed(client, [event]).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert intake.forget_old(services.db, now + timedelta(hours=23)) == 0
    assert signed(client, [event]).status_code == 200      # within the day: a duplicate
    app.extensions["portfolio"].dispatcher.drain()
    assert len(line_api.calls("reply")) == 1
    assert intake.forget_old(services.db, now + timedelta(days=1, minutes=1)) == 1
    event["replyToken"] = line_api.issue_reply_token(USER)
    assert signed(client, [event]).status_code == 200      # forgotten: handled again
    app.extensions["portfolio"].dispatcher.drain()
    assert len(line_api.calls("reply")) == 2


def test_two_web_processes_sharing_the_database_handle_a_redelivery_once(services, app, line_api, store):
    """A second app (another gunicorn worker, its own store) sees the first one's intake row."""
    from bot.infra.services import Services
    from bot.infra.store import MemoryStore

    other_store = MemoryStore()
    other = Services(settings=services.settings, db=services.db, store=other_store, sender=services.sender)
    second_app = create_app(services=other, router=services.dispatcher.router)
    try:
        event = text_event(USER, "說明", line_api.issue_reply_token(USER))
        assert signed(app.test_client(), [event]).status_code == 200
        assert signed(second_app.test_client(), [event]).status_code == 200
        services.dispatcher.drain()
        other.dispatcher.drain()
        assert len(line_api.calls("reply")) == 1
    finally:
        other.dispatcher.shutdown()


def test_events_of_one_user_are_handled_in_order_and_others_are_not_held_up(client, app, services, line_api):
    """The first event is slow; the user's later ones wait for it, another user's do not."""
    handled: list[str] = []
    lock = threading.Lock()
    router = Router()

    @router.text(r".")
    def record(ctx, session):
        if ctx.text == "slow":
            time.sleep(0.3)
        with lock:
            handled.append(f"{ctx.user_id[-1]}:{ctx.text}")
        return []

    services.dispatcher.router = router
    mine = [text_event(USER, "slow", line_api.issue_reply_token(USER))]
    mine += [text_event(USER, str(n), line_api.issue_reply_token(USER)) for n in range(12)]
    assert signed(client, mine[:5]).status_code == 200
    assert signed(client, [text_event(OTHER, "quick", line_api.issue_reply_token(OTHER))]).status_code == 200
    assert signed(client, mine[5:]).status_code == 200
    services.dispatcher.drain()
    assert [h for h in handled if h.startswith("1:")] == ["1:slow", *(f"1:{n}" for n in range(12))]
    assert handled.index("3:quick") < handled.index("1:slow")


def test_a_failing_send_does_not_block_the_users_next_events(client, app, services, line_api, monkeypatch):
    sender = services.sender
    real_reply = sender.reply
    calls: list[str] = []

    def reply_failing_once(token, messages, **kwargs):
        calls.append(token)
        if len(calls) == 1:
            raise ConnectionError("network gone")
        return real_reply(token, messages, **kwargs)

    monkeypatch.setattr(sender, "reply", reply_failing_once)
    assert signed(client, [text_event(USER, "說明", line_api.issue_reply_token(USER)),
                           text_event(USER, "說明", line_api.issue_reply_token(USER))]).status_code == 200
    services.dispatcher.drain()
    assert len(calls) == 2 and len(line_api.sent_to(USER)) == 1
    assert signed(client, [text_event(USER, "說明", line_api.issue_reply_token(USER))]).status_code == 200
    services.dispatcher.drain()
    assert len(line_api.sent_to(USER)) == 2


def test_an_answer_over_lines_limits_is_replaced_by_an_apology(client, app, services, line_api):
    """A builder's bug (six messages) is never sent; the user still hears back, by reply."""
    from messages import common

    router = Router()

    @router.text(r".")
    def too_many(ctx, session):
        return [{"type": "text", "text": str(n)} for n in range(6)]

    services.dispatcher.router = router
    assert signed(client, [text_event(USER, "說明", line_api.issue_reply_token(USER))]).status_code == 200
    services.dispatcher.drain()
    assert [(d.via, d.messages) for d in line_api.sent_to(USER)] == [("reply", [common.try_again_later()])]


def test_a_store_outage_does_not_silence_the_bot(client, app, services, line_api, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    for method in ("add_once", "get", "set", "delete", "incr"):
        monkeypatch.setattr(services.store, method, down)
    assert signed(client, [text_event(USER, "說明", line_api.issue_reply_token(USER))]).status_code == 200
    services.dispatcher.drain()
    assert [d.via for d in line_api.sent_to(USER)] == ["reply"]
    assert "常見問題" in texts_of(line_api.sent_to(USER)[0].messages)


def test_follow_event_body_is_valid_and_answered(client, app, line_api):
    assert signed(client, [follow_event(USER, line_api.issue_reply_token(USER))]).status_code == 200
    app.extensions["portfolio"].dispatcher.drain()
    assert [d.via for d in line_api.sent_to(USER)] == ["reply"]


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["database"] is True
