"""The sender against the LINE stand-in on a real port: reply, push, multicast, retries, limits, quota.

Every request the stand-in receives is checked against LINE's OpenAPI spec (it answers 400
with the details otherwise), and the tests also re-check the recorded bodies themselves.
"""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import flask
import pytest
from sqlalchemy import select, update

from bot.infra.models import OutboxMessage
from bot.infra.sender import QUOTA_FLAG, Sender
from messages.common import message_action, postback_action, quick_reply, text
from tests.openapi import messaging_validator

USER = "U" + "a" * 32
OTHER = "U" + "b" * 32
HELLO = [text("你好，這是學習歷程小幫手。")]


@pytest.fixture
def sender(services) -> Sender:
    return services.sender


@pytest.fixture(scope="module")
def spec_check():
    return messaging_validator()


def rows(db) -> list[OutboxMessage]:
    with db.session() as session:
        found = list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        session.expunge_all()
    return found


def statuses(line_api, endpoint: str) -> list[int]:
    return [r.status for r in line_api.calls(endpoint)]


def retry_keys(line_api, endpoint: str) -> list[str]:
    return [r.headers.get("X-Line-Retry-Key") for r in line_api.calls(endpoint)]


def copies(line_api, user: str) -> int:
    return len(line_api.sent_to(user))


@pytest.fixture(autouse=True)
def every_request_matches_the_spec(line_api, spec_check):
    """After each test: every body LINE received matches the spec, unless the test sent
    something invalid on purpose (it then sets ``expect_invalid``)."""
    state = {"expect_invalid": False}
    yield state
    for r in line_api.requests:
        errors = spec_check(r.method, r.path, r.body)
        if not state["expect_invalid"]:
            assert errors == [], (r.path, errors)
        assert r.headers.get("Authorization") == "Bearer test-channel-access-token"


# -- reply ---------------------------------------------------------------------
def test_reply_is_one_free_request(sender, line_api, db):
    line_api.monthly_limit = 0  # even with no quota left a reply goes through: replies are free
    result = sender.reply(line_api.issue_reply_token(USER), HELLO, fallback_to=USER)
    assert result.ok
    assert statuses(line_api, "reply") == [200] and len(line_api.requests) == 1
    assert line_api.used == 0 and rows(db) == []
    assert [d.via for d in line_api.sent_to(USER)] == ["reply"]
    assert line_api.sent_to(USER)[0].messages == HELLO
    assert "X-Line-Retry-Key" not in line_api.requests[0].headers


def test_stale_reply_token_falls_back_to_push(sender, line_api, db):
    result = sender.reply(uuid.uuid4().hex, HELLO, fallback_to=USER)
    assert result.ok
    assert statuses(line_api, "reply") == [400] and statuses(line_api, "push") == [200]
    assert [d.via for d in line_api.sent_to(USER)] == ["push"]
    [row] = rows(db)
    assert row.status == "sent" and row.kind == "push" and row.recipients == [USER]


def test_used_reply_token_falls_back_to_push_and_no_token_pushes_at_once(sender, line_api):
    token = line_api.issue_reply_token(USER)
    assert sender.reply(token, HELLO).ok
    assert sender.reply(token, HELLO, fallback_to=USER).ok  # the token is spent now
    assert sender.reply(None, HELLO, fallback_to=USER).ok
    assert statuses(line_api, "reply") == [200, 400] and statuses(line_api, "push") == [200, 200]
    assert [d.via for d in line_api.sent_to(USER)] == ["reply", "push", "push"]
    assert sender.reply(None, HELLO).status == "failed"  # nobody to push to


def test_rate_limited_or_5xx_reply_is_retried_as_a_reply_not_paid_for_as_a_push(sender, line_api, db):
    line_api.fail_next("reply", 429, "Too Many Requests")
    line_api.fail_next("reply", 500, "Internal server error")
    assert sender.reply(line_api.issue_reply_token(USER), HELLO, fallback_to=USER).ok
    assert statuses(line_api, "reply") == [429, 500, 200] and line_api.calls("push") == []
    assert [d.via for d in line_api.sent_to(USER)] == ["reply"] and rows(db) == []


def test_reply_whose_answer_is_lost_is_not_repeated(sender, line_api, db):
    """The reply landed but the connection dropped: pushing too would duplicate it."""
    line_api.fail_next("reply", 200, exception=True)
    result = sender.reply(line_api.issue_reply_token(USER), HELLO, fallback_to=USER)
    assert result.status == "failed"
    assert statuses(line_api, "reply") == [0] and line_api.calls("push") == []
    assert copies(line_api, USER) == 1


# -- push / multicast: the retry key ----------------------------------------------
def test_retry_key_is_a_uuid_stored_in_the_outbox_before_the_call(sender, line_api, db, monkeypatch):
    seen: list[tuple[str, str | None, str | None]] = []
    original = line_api.validator

    def spy(method, path, body):
        """Runs inside the stand-in's request: what did the outbox hold when LINE got the call?"""
        key = flask.request.headers.get("X-Line-Retry-Key")
        with db.session() as session:
            row = session.scalar(select(OutboxMessage).where(OutboxMessage.retry_key == key))
            seen.append((path, key, row.status if row else None))
        return original(method, path, body)

    monkeypatch.setattr(line_api, "validator", spy)
    assert sender.push(USER, HELLO, purpose="test").ok
    assert all(r.ok for r in sender.multicast([USER, OTHER], HELLO, purpose="test"))
    assert [s[0] for s in seen] == ["/v2/bot/message/push", "/v2/bot/message/multicast"]
    for _, key, status_at_call in seen:
        assert str(uuid.UUID(key)) == key
        assert status_at_call == "pending"  # committed before LINE was called
    assert [r.retry_key for r in rows(db)] == [seen[0][1], seen[1][1]]
    assert {r.status for r in rows(db)} == {"sent"}


def test_5xx_twice_then_success_retries_with_the_same_key(sender, line_api, db):
    line_api.fail_next("push", 500, "Internal server error", times=2)
    assert sender.push(USER, HELLO).ok
    assert statuses(line_api, "push") == [500, 500, 200]
    [row] = rows(db)
    assert retry_keys(line_api, "push") == [row.retry_key] * 3
    assert row.status == "sent" and row.attempts == 3 and row.sent_at is not None
    assert copies(line_api, USER) == 1


def test_dropped_connection_is_retried_with_the_same_key_and_409_counts_as_delivered(sender, line_api, db):
    line_api.fail_next("push", 200, exception=True)
    result = sender.push(USER, HELLO)
    assert result.ok
    assert statuses(line_api, "push") == [0, 409]  # processed-then-dropped, then "already accepted"
    [row] = rows(db)
    assert retry_keys(line_api, "push") == [row.retry_key] * 2
    assert row.status == "sent" and "409" in (row.last_error or "")
    assert copies(line_api, USER) == 1


def test_dropped_multicast_is_delivered_once_to_each(sender, line_api):
    line_api.fail_next("multicast", 200, exception=True)
    assert all(r.ok for r in sender.multicast([USER, OTHER], HELLO))
    assert statuses(line_api, "multicast") == [0, 409]
    assert copies(line_api, USER) == 1 and copies(line_api, OTHER) == 1


def test_rate_limit_429_is_retried(sender, line_api, db):
    line_api.fail_next("push", 429, "Too Many Requests")
    assert sender.push(USER, HELLO).ok
    assert statuses(line_api, "push") == [429, 200]
    assert len(set(retry_keys(line_api, "push"))) == 1
    assert rows(db)[0].status == "sent" and copies(line_api, USER) == 1


def test_outage_leaves_the_row_pending_for_later(sender, line_api, db):
    line_api.fail_next("push", 503, "Service Unavailable", times=3)
    result = sender.push(USER, HELLO)
    assert result.status == "pending"
    assert statuses(line_api, "push") == [503, 503, 503]
    [row] = rows(db)
    assert row.status == "pending" and row.attempts == 3 and "503" in row.last_error


def test_monthly_limit_is_not_retried_and_stops_further_pushes(sender, line_api, db, store):
    line_api.monthly_limit = 1
    line_api.used = 1
    result = sender.push(USER, HELLO)
    assert result.status == "quota" and not result.ok
    assert statuses(line_api, "push") == [429]
    [row] = rows(db)
    assert row.status == "quota" and "monthly limit" in row.last_error
    assert store.get(QUOTA_FLAG)
    before = len(line_api.requests)
    again = sender.push(OTHER, HELLO)
    later = sender.multicast([USER, OTHER], HELLO)
    assert again.status == "quota" and [r.status for r in later] == ["quota"]
    assert len(line_api.requests) == before  # no HTTP call at all
    assert [r.status for r in rows(db)] == ["quota"] * 3
    assert copies(line_api, USER) == 0 and copies(line_api, OTHER) == 0
    # a reply is still free and still goes out
    assert sender.reply(line_api.issue_reply_token(USER), HELLO).ok


def test_timed_out_push_is_retried_with_the_same_key_and_delivered_once(settings, db, store, line_api,
                                                                       monkeypatch):
    """LINE is slower than the sender's timeout once: the retry carries the same key, so
    whichever of the two LINE processes second is answered 409 and nobody gets two copies."""
    impatient = Sender(settings.with_(sender_timeout=0.6), db, store)
    original = line_api.validator
    slowed: list[str] = []

    def slow_first_call(method, path, body):
        if not slowed:
            slowed.append(flask.request.headers.get("X-Line-Retry-Key"))
            time.sleep(1.5)  # well past the timeout: the sender gives up on this answer
        return original(method, path, body)

    monkeypatch.setattr(line_api, "validator", slow_first_call)
    try:
        result = impatient.push(USER, HELLO)
    finally:
        impatient.close()
    assert result.ok
    deadline = time.monotonic() + 5
    while len(line_api.calls("push")) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the slow first request finishes after the sender moved on
    [row] = rows(db)
    assert slowed == [row.retry_key] and retry_keys(line_api, "push") == [row.retry_key] * 2
    assert sorted(statuses(line_api, "push")) == [200, 409]
    assert row.status == "sent" and row.attempts == 2
    assert copies(line_api, USER) == 1


def test_a_body_breaking_the_spec_is_refused_on_every_route(sender, line_api, db, spec_check,
                                                           every_request_matches_the_spec):
    """The stand-in validates reply, push and multicast bodies alike (Flex by its discriminators)."""
    every_request_matches_the_spec["expect_invalid"] = True
    bad = {"type": "flex", "altText": "x", "contents": {"type": "bubble", "body": {
        "type": "box", "layout": "vertical", "contents": [{"type": "icon"}]}}}  # an icon needs its url
    assert sender.reply(line_api.issue_reply_token(USER), [bad], fallback_to=USER).status == "failed"
    assert [r.status for r in sender.multicast([USER, OTHER], [bad])] == ["failed"]
    assert {r.status for r in line_api.requests} == {400}
    assert [r.path.rsplit("/", 1)[-1] for r in line_api.requests] == ["reply", "push", "multicast"]
    for r in line_api.requests:
        assert spec_check(r.method, r.path, r.body) == [
            "$.messages[0].contents.body.contents[0]: 'url' is a required property"]
    assert copies(line_api, USER) == 0 and copies(line_api, OTHER) == 0


def test_400_is_not_retried_and_marked_failed(sender, line_api, db):
    line_api.fail_next("push", 400, "The request body has 1 error(s)")
    result = sender.push(USER, HELLO)
    assert result.status == "failed"
    assert statuses(line_api, "push") == [400]
    [row] = rows(db)
    assert row.status == "failed" and row.attempts == 1 and row.last_error.startswith("400")


def test_a_message_breaking_the_spec_is_answered_400_with_details(sender, line_api, db,
                                                                  every_request_matches_the_spec):
    every_request_matches_the_spec["expect_invalid"] = True
    button = {"type": "button", "style": "primary"}  # no action: LINE refuses this
    flex = {"type": "flex", "altText": "x", "contents": {
        "type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": [button]}}}
    result = sender.push(USER, [flex])
    assert result.status == "failed"
    [call] = line_api.calls("push")
    assert call.status == 400
    [row] = rows(db)
    assert row.status == "failed" and row.attempts == 1
    assert copies(line_api, USER) == 0


# -- limits: refused before any HTTP call --------------------------------------------
def _big_bubble() -> dict:
    rows_ = [{"type": "text", "text": "課程學習成果" * 20, "wrap": True} for _ in range(120)]
    return {"type": "flex", "altText": "清單", "contents": {
        "type": "bubble", "body": {"type": "box", "layout": "vertical", "contents": rows_}}}


OVER_LIMITS = {
    "six messages": [text(str(i)) for i in range(6)],
    "text over 5000 UTF-16 units": [text("字" * 4999 + "😀")],
    "14 quick replies": [{"type": "text", "text": "x", "quickReply": {
        "items": [{"type": "action", "action": message_action(str(i))} for i in range(14)]}}],
    "postback data of 301": [{**text("x"), "quickReply": quick_reply([postback_action("勾選", "a" * 301)])}],
    "bubble over 30 KB": [_big_bubble()],
}


@pytest.mark.parametrize("messages", OVER_LIMITS.values(), ids=OVER_LIMITS.keys())
def test_over_limits_are_refused_without_any_http_call(sender, line_api, db, messages):
    assert sender.push(USER, messages).status == "refused"
    assert [r.status for r in sender.multicast([USER, OTHER], messages)] == ["refused"]
    assert sender.reply(line_api.issue_reply_token(USER), messages, fallback_to=USER).status == "refused"
    assert line_api.requests == []
    assert rows(db) == []


def test_just_under_the_limits_is_sent(sender, line_api):
    assert sender.push(USER, [text(str(i)) for i in range(5)]).ok
    assert sender.push(USER, [text("字" * 4998 + "😀")]).ok
    assert sender.push(USER, [{**text("x"), "quickReply": quick_reply([postback_action("勾選", "a" * 300)])}]).ok
    assert statuses(line_api, "push") == [200, 200, 200]
    assert line_api.sent_to(USER)[1].messages[0]["text"].endswith("😀")


# -- multicast chunks --------------------------------------------------------------------
def test_multicast_to_1001_goes_in_three_requests_of_at_most_500(sender, line_api, db):
    recipients = [f"U{i:032x}" for i in range(1001)]
    results = sender.multicast(recipients, HELLO, purpose="reminder")
    assert [r.ok for r in results] == [True, True, True]
    sizes = [len(r.body["to"]) for r in line_api.calls("multicast")]
    assert sizes == [500, 500, 1]
    assert sorted(to for r in line_api.calls("multicast") for to in r.body["to"]) == sorted(recipients)
    assert all(copies(line_api, user) == 1 for user in recipients)
    assert len({r.retry_key for r in rows(db)}) == 3
    assert line_api.used == 1001


# -- quota ------------------------------------------------------------------------------
def test_quota_reads_quota_and_consumption(sender, line_api):
    line_api.monthly_limit = 200
    assert sender.push(USER, HELLO * 2).ok
    assert sender.multicast([USER, OTHER], HELLO)[0].ok
    quota = sender.quota()
    assert (quota.limit, quota.used, quota.remaining) == (200, 4, 196)
    assert [r.path for r in line_api.requests if r.method == "GET"] == [
        "/v2/bot/message/quota", "/v2/bot/message/quota/consumption"]
    line_api.monthly_limit = None
    unlimited = sender.quota()
    assert unlimited.limit is None and unlimited.remaining is None and unlimited.used == 4


def test_bot_basic_id(sender, line_api):
    assert sender.bot_basic_id() == line_api.basic_id


# -- the outbox after a crash --------------------------------------------------------------
def _age(db, seconds: int = 300) -> None:
    """``seconds`` pass for every outbox row: it was written, and its back-off ends, that much earlier."""
    then = datetime.now(timezone.utc) - timedelta(seconds=seconds)
    with db.session() as session:
        session.execute(update(OutboxMessage).values(created_at=then))
        session.execute(update(OutboxMessage).where(OutboxMessage.next_attempt_at.is_not(None))
                        .values(next_attempt_at=then))


def test_retry_pending_delivers_a_row_left_pending_exactly_once(sender, line_api, db):
    row = sender.enqueue("push", [USER], HELLO, purpose="reminder")  # then the process died
    assert line_api.requests == []
    assert sender.retry_pending() == 0  # too fresh: its own sender may still be at it
    _age(db)
    assert sender.retry_pending() == 1
    assert statuses(line_api, "push") == [200] and retry_keys(line_api, "push") == [row.retry_key]
    assert sender.retry_pending() == 0
    assert len(line_api.requests) == 1 and copies(line_api, USER) == 1
    assert [r.status for r in rows(db)] == ["sent"]


def test_retry_pending_after_a_lost_answer_does_not_send_twice(settings, db, store, line_api):
    """LINE got the push but the process lost the answer: the retry gets 409 and stops."""
    one_shot = Sender(settings.with_(sender_attempts=1), db, store)
    try:
        line_api.fail_next("push", 200, exception=True)
        assert one_shot.push(USER, HELLO).status == "pending"
        _age(db)
        assert one_shot.retry_pending() == 1
        assert one_shot.retry_pending() == 0
    finally:
        one_shot.close()
    assert statuses(line_api, "push") == [0, 409]
    assert copies(line_api, USER) == 1


# -- what LINE receives is what was built ------------------------------------------------------
RICH_FLEX = {
    "type": "flex", "altText": "課程學習成果", "contents": {"type": "carousel", "contents": [{
        "type": "bubble", "size": "kilo",
        "styles": {"footer": {"separator": True}},
        "hero": {"type": "image", "url": "https://example.com/hero.png", "aspectRatio": "20:13",
                 "aspectMode": "cover"},
        "header": {"type": "box", "layout": "vertical", "backgroundColor": "#0B8457", "paddingAll": "12px",
                   "contents": [{"type": "text", "text": "114-1 課程學習成果", "color": "#FFFFFF",
                                 "weight": "bold", "wrap": True, "maxLines": 2}]},
        "body": {"type": "box", "layout": "vertical", "spacing": "sm", "contents": [
            {"type": "box", "layout": "baseline", "contents": [
                {"type": "text", "text": "狀態", "flex": 0, "size": "sm", "color": "#888888"},
                {"type": "text", "contents": [{"type": "span", "text": "待認證", "weight": "bold"}]},
            ]},
            {"type": "separator", "margin": "md"},
            {"type": "text", "text": "國語文：閱讀報告", "decoration": "underline", "adjustMode": "shrink-to-fit"},
            {"type": "filler"},
        ]},
        "footer": {"type": "box", "layout": "horizontal", "contents": [
            {"type": "button", "style": "primary", "height": "sm",
             "action": {"type": "postback", "label": "勾選", "data": "a=pick&id=3", "displayText": "勾選"}},
            {"type": "button", "style": "link",
             "action": {"type": "uri", "label": "學習歷程", "uri": "https://example.com/p"}},
        ]},
    }]},
    "quickReply": {"items": [
        {"type": "action", "action": {"type": "message", "label": "說明", "text": "說明"}},
        {"type": "action", "action": {"type": "postback", "label": "下一頁", "data": "a=page&n=2"}},
    ]},
}


def test_flex_reaches_line_exactly_as_built(sender, line_api):
    """The SDK's request models add defaults (a Flex image gains ``size`` and ``animated``) and
    drop fields they do not know; the sender sends the dicts untouched."""
    assert sender.reply(line_api.issue_reply_token(USER), [RICH_FLEX]).ok
    assert sender.push(USER, [RICH_FLEX]).ok
    assert sender.multicast([OTHER], [RICH_FLEX])[0].ok
    for endpoint in ("reply", "push", "multicast"):
        [call] = line_api.calls(endpoint)
        assert call.body["messages"] == [RICH_FLEX], endpoint
    assert line_api.calls("reply")[0].body == {"replyToken": line_api.calls("reply")[0].body["replyToken"],
                                               "messages": [RICH_FLEX]}
    assert line_api.calls("push")[0].body == {"to": USER, "messages": [RICH_FLEX]}


def test_a_store_outage_neither_blocks_pushes_nor_hides_the_monthly_limit(sender, line_api, db, store,
                                                                         monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(store, "get", down)
    monkeypatch.setattr(store, "set", down)
    assert sender.push(USER, HELLO).ok
    line_api.monthly_limit = line_api.used  # now LINE itself says the month is used up
    assert sender.push(USER, HELLO).status == "quota"
    assert statuses(line_api, "push") == [200, 429]
    assert [r.status for r in rows(db)] == ["sent", "quota"]


def test_a_row_that_always_fails_backs_off_is_given_up_and_never_starves_newer_ones(settings, db, store, line_api):
    """Outbox rows LINE never accepts (here: 500 every time) wait longer after each try and are marked
    failed after MAX_OUTBOX_ATTEMPTS requests; meanwhile a newer row is delivered on the first retry."""
    from bot.infra.sender import MAX_OUTBOX_ATTEMPTS

    sender = Sender(settings.with_(sender_attempts=4), db, store)
    try:
        poisoned = [sender.enqueue("push", [USER], HELLO, purpose="reminder").id for _ in range(3)]
        _age(db)
        line_api.fail_next("push", 500, times=3 * 4)
        assert sender.retry_pending(limit=3) == 0          # each tried 4 times, then backs off
        fresh = sender.enqueue("push", ["U" + "f" * 32], HELLO, purpose="reminder").id
        with db.session() as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == fresh).values(
                created_at=datetime.now(timezone.utc) - timedelta(seconds=300)))
        assert sender.retry_pending(limit=3) == 1           # the poisoned rows wait: the new one goes
        with db.session() as session:
            assert session.get(OutboxMessage, fresh).status == "sent"
        rounds = 0
        while True:
            with db.session() as session:
                states = {session.get(OutboxMessage, i).status for i in poisoned}
            if states == {"failed"} or rounds > MAX_OUTBOX_ATTEMPTS:
                break
            line_api.fail_next("push", 500, times=3 * 4)
            _age(db)
            sender.retry_pending(limit=3)
            rounds += 1
        with db.session() as session:
            rows = [session.get(OutboxMessage, i) for i in poisoned]
            assert [r.status for r in rows] == ["failed"] * 3
            assert all(r.attempts == MAX_OUTBOX_ATTEMPTS and "gave up after" in r.last_error for r in rows)
        _age(db)
        assert sender.retry_pending() == 0                  # failed rows are never tried again
    finally:
        sender.close()
