"""A web process holds a bounded number of events (MAX_EVENTS_IN_HAND); past the bound, events are
stored parked and taken as room frees: every one is answered once, by reply, a user's in order, and
/callback still answers at once."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import func, select

from bot import create_app
from bot.demo.simulator.events import text_event
from bot.infra.models import WebhookEvent
from bot.infra.sender import Sender
from bot.infra.services import Services
from tests.helpers import signed_post, texts_of


@pytest.fixture
def small_hand(settings, db, store, line_api):
    """A web process that holds 3 events at most, talking to a LINE that takes 0.1 s per answer."""
    svc = Services(settings=settings.with_(max_events_in_hand=3), db=db, store=store,
                   sender=Sender(settings, db, store))
    app = create_app(services=svc)
    line_api.answer_delay = 0.1
    most = [0]
    stop = threading.Event()

    def watch() -> None:  # the dispatcher's own count, sampled while the test runs
        while not stop.wait(0.005):
            most[0] = max(most[0], svc.dispatcher._in_hand)
    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    yield app, svc, most
    stop.set()
    watcher.join()
    svc.dispatcher.shutdown()
    svc.sender.close()


def test_past_the_bound_events_are_parked_then_all_answered_once_in_order(small_hand, line_api, db):
    app, svc, most = small_hand
    client = app.test_client()
    people = ["U" + f"{i:032x}" for i in range(1, 13)]
    started = time.monotonic()
    # one body of 12 users, then one user's three more texts in three bodies
    assert signed_post(client, [text_event(u, "說明", line_api.issue_reply_token(u)) for u in people]).status_code == 200
    for word in ("說明", "我的進度", "說明"):
        assert signed_post(client, [text_event(people[0], word, line_api.issue_reply_token(people[0]))]).status_code == 200
    assert time.monotonic() - started < 1.0  # parking costs /callback nothing
    with db.session() as s:  # the bound held: most of them waited, stored, for room
        parked = s.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.claimed_at.is_(None)))
    assert parked >= 9
    svc.dispatcher.drain(timeout=30)
    assert 1 <= most[0] <= 3
    for user in people[1:]:
        assert [d.via for d in line_api.sent_to(user)] == ["reply"], user
    first = line_api.sent_to(people[0])
    assert [d.via for d in first] == ["reply"] * 4
    kinds = ["常見問題" in texts_of(d.messages) for d in first]
    assert kinds == [True, True, False, True]  # 說明, 說明, 我的進度 (unbound: bind first), 說明: in order
    assert line_api.calls("push") == []
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.done_at.is_(None))) == 0
