"""The bot under faults: a hung Redis, a Redis outage during LINE's redeliveries, LINE refusing
connections, and a web process killed with SIGKILL right after answering 200."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from bot import create_app
from bot.demo.simulator.events import callback_body, text_event
from bot.demo.simulator.line_api import LineStandIn
from bot.infra.models import WebhookEvent
from bot.infra.sender import Sender
from bot.infra.services import Services
from bot.infra.store import RedisStore
from bot.web.webhook import signature_for
from tests.helpers import SECRET, TOKEN, listening, signed_post, texts_of
from tests.openapi import messaging_validator

ROOT = Path(__file__).resolve().parent.parent
HELLO = [{"type": "text", "text": "哈囉"}]


def users(n: int) -> list[str]:
    return ["U" + f"{i:032x}" for i in range(1, n + 1)]


class HungRedis:
    """A server that accepts connections and never answers (a SIGSTOPped Redis)."""

    def __init__(self) -> None:
        self.held: list[socket.socket] = []
        self.sock = listening(64, self.held.append)  # read nothing, answer nothing
        self.url = f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


@pytest.fixture
def hung_app(services, db):
    hung = HungRedis()
    store = RedisStore(hung.url, prefix="hung:")
    svc = Services(settings=services.settings, db=db, store=store, sender=services.sender, clock=services.clock)
    app = create_app(services=svc)
    yield app, svc
    svc.dispatcher.shutdown()
    hung.close()


def test_a_hung_redis_neither_blocks_the_webhook_nor_silences_the_bot(hung_app, line_api):
    # Issue: 「/callback must answer a signed body within 1 s whatever Redis does」
    app, svc = hung_app
    people = users(10)
    events = [text_event(u, "說明", line_api.issue_reply_token(u)) for u in people]
    started = time.monotonic()
    response = signed_post(app.test_client(), events)
    elapsed = time.monotonic() - started
    assert response.status_code == 200 and elapsed < 1.0, elapsed
    svc.dispatcher.drain(timeout=30)
    for user in people:
        assert [d.via for d in line_api.sent_to(user)] == ["reply"], user
        assert "常見問題" in texts_of(line_api.sent_to(user)[0].messages)


def test_redeliveries_during_a_redis_outage_are_handled_once_and_never_pushed(hung_app, line_api):
    app, svc = hung_app
    user = users(1)[0]
    event = text_event(user, "說明", line_api.issue_reply_token(user))
    client = app.test_client()
    assert signed_post(client, [event]).status_code == 200
    svc.dispatcher.drain()
    redelivered = {**event, "deliveryContext": {"isRedelivery": True}}
    for _ in range(5):
        assert signed_post(client, [redelivered]).status_code == 200
    svc.dispatcher.drain()
    assert [d.via for d in line_api.sent_to(user)] == ["reply"]
    # a redelivery never seen before whose token LINE refuses (used or expired): no paid push
    stranger = users(2)[1]
    late = {**text_event(stranger, "說明", "expired-token-000000000000000"), "deliveryContext": {"isRedelivery": True}}
    assert signed_post(client, [late]).status_code == 200
    svc.dispatcher.drain()
    assert line_api.sent_to(stranger) == [] and line_api.calls("push") == []


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LateLine:
    """A LINE stand-in that starts answering on a fixed port only when told to (connection refused
    until then)."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.standin = LineStandIn(validator=messaging_validator())
        self.app = Flask("late-line")
        self.app.register_blueprint(self.standin.blueprint())
        self.served = None

    def start(self) -> None:
        from werkzeug.serving import make_server

        server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.served = server

    def stop(self) -> None:
        if self.served is not None:
            self.served.shutdown()


def test_a_refused_connection_is_retried_then_the_reply_lands(settings, db, store):
    """LINE refusing connections for a second: the reply is tried again (nothing landed) and goes out
    as the free reply, not a push."""
    line = LateLine()
    token = line.standin.issue_reply_token("U" + "a" * 32)
    sender = Sender(settings.with_(line_api_base=line.url, sender_backoff=0.25), db, store)
    try:
        threading.Timer(1.0, line.start).start()
        result = sender.reply(token, HELLO, fallback_to="U" + "a" * 32)
        assert result.status == "sent"
        assert [d.via for d in line.standin.sent_to("U" + "a" * 32)] == ["reply"]
    finally:
        sender.close()
        line.stop()


def test_when_line_stays_unreachable_the_answer_is_pushed_once_it_is_back(settings, db, store):
    from sqlalchemy import update
    from datetime import datetime, timedelta, timezone
    from bot.infra.models import OutboxMessage

    line = LateLine()
    user = "U" + "b" * 32
    token = line.standin.issue_reply_token(user)
    sender = Sender(settings.with_(line_api_base=line.url), db, store)
    try:
        result = sender.reply(token, HELLO, fallback_to=user)
        assert result.status == "pending"  # written to the outbox with its retry key, not lost
        line.start()
        with db.session() as s:
            s.execute(update(OutboxMessage).values(created_at=datetime.now(timezone.utc) - timedelta(minutes=5),
                                                   next_attempt_at=None))
        assert sender.retry_pending() == 1 and sender.retry_pending() == 0
        assert [d.via for d in line.standin.sent_to(user)] == ["push"]
    finally:
        sender.close()
        line.stop()


# -- durable intake: SIGKILL right after 200 -------------------------------------------------------
SERVE = """
import os, sys
from werkzeug.serving import make_server
from bot import create_app
app = create_app()
server = make_server("127.0.0.1", int(sys.argv[1]), app, threaded=True)
print("ready", flush=True)
server.serve_forever()
"""


def _web(port: int, env: dict) -> subprocess.Popen:
    process = subprocess.Popen([sys.executable, "-c", SERVE, str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout.readline().strip() == "ready"
    return process


def test_events_answered_200_survive_a_sigkill(db, migrated, line_api_server, line_api):
    """A burst of 100 events, `kill -9` once 30 have been answered 200, a restart: every event that got
    200 is answered once (reply, or push when its token went stale), none twice."""
    _, line_url = line_api_server
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(DATABASE_URL=migrated, LINE_CHANNEL_SECRET=SECRET, LINE_CHANNEL_ACCESS_TOKEN=TOKEN,
               LINE_API_BASE=line_url, LINE_DATA_API_BASE=line_url, EVENT_STALE_SECONDS="2")
    if os.environ.get("REDIS_URL"):
        env["REDIS_URL"] = os.environ["REDIS_URL"]
    line_api.answer_delay = 0.3  # LINE far away: many events are in hand when the process dies
    port = _free_port()
    first = _web(port, env)
    people = users(100)
    bodies = [callback_body([text_event(u, "說明", line_api.issue_reply_token(u))]) for u in people]
    accepted: list[str] = []
    lock = threading.Lock()

    def send(i: int) -> None:
        try:
            r = requests.post(f"http://127.0.0.1:{port}/callback", data=bodies[i], timeout=5,
                              headers={"X-Line-Signature": signature_for(SECRET, bodies[i]),
                                       "Content-Type": "application/json"})
        except requests.RequestException:
            return
        if r.status_code == 200:
            with lock:
                accepted.append(people[i])
                if len(accepted) == 30:
                    first.send_signal(signal.SIGKILL)

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(send, range(len(bodies))))
    first.wait(timeout=10)
    assert len(accepted) >= 30
    second = _web(port, env)  # picks up what the first accepted (stored) and did not answer

    def undone() -> int:
        with db.session() as s:
            return s.scalar(select(func.count()).select_from(WebhookEvent).where(WebhookEvent.done_at.is_(None)))
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (undone() or any(not line_api.sent_to(u) for u in accepted)):
            time.sleep(0.2)
        missing = [u for u in accepted if not line_api.sent_to(u)]
        doubled = [u for u in people if len(line_api.sent_to(u)) > 1]
        assert missing == [] and doubled == [] and undone() == 0, (len(missing), len(doubled), undone())
        with db.session() as s:  # the test bit: some events were in hand when the first process died
            assert s.scalar(select(func.count()).select_from(WebhookEvent)
                            .where(WebhookEvent.claimed_at > WebhookEvent.received_at)) > 0
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=10)
