"""Fixtures: real databases, real stores, and a LINE stand-in on a real port.

With ``DATABASE_URL`` / ``REDIS_URL`` set the suite runs against PostgreSQL and Redis
and fails (does not skip) when they cannot be reached. Otherwise it uses a SQLite file
and the in-process store.
"""
from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from typing import Iterator

import pytest
from flask import Flask
from sqlalchemy import text
from werkzeug.serving import make_server

from bot import create_app
from bot.demo.simulator.events import callback_body, follow_event, postback_event, text_event, unfollow_event
from bot.demo.simulator.line_api import LineStandIn
from bot.infra.config import Settings
from bot.infra.db import Database
from bot.infra.migrate import upgrade
from bot.infra.models import Base
from bot.infra.services import Services
from bot.infra.store import MemoryStore, RedisStore
from bot.web.webhook import signature_for
from tests.helpers import CONSOLE_SECRET, PUBLIC_URL, SECRET, TOKEN
from tests.openapi import messaging_validator, validate_webhook



@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    probe = Database(url)
    if not probe.ping():
        pytest.exit("DATABASE_URL is set but the database does not answer", returncode=3)
    with probe.engine.begin() as conn:
        if probe.engine.dialect.name == "postgresql":
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    probe.dispose()
    return url


@pytest.fixture(scope="session")
def migrated(database_url: str) -> str:
    upgrade(database_url)
    return database_url


def _truncate(db: Database) -> None:
    """Empty every table, children first, and restart ids at 1.

    DELETE, not TRUNCATE, on PostgreSQL too: TRUNCATE of ~20 tables costs 0.1-0.5 s (it
    swaps every table's files), DELETE of a test's few rows a few milliseconds."""
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(text(f'DELETE FROM "{table}"'))
        if db.engine.dialect.name == "postgresql":
            serial = [t.name for t in Base.metadata.sorted_tables
                      if "id" in t.c and t.c.id.primary_key and t.c.id.autoincrement in (True, "auto")]
            conn.execute(text("SELECT " + ", ".join(
                f"setval(pg_get_serial_sequence('\"{t}\"', 'id'), 1, false)" for t in serial)))


@pytest.fixture
def cli_env(migrated: str) -> dict[str, str]:
    """The environment a `portfolio-bot` command run by CliRunner sees: the test database, Taipei time."""
    return {"DATABASE_URL": migrated, "SCHOOL_TZ": "Asia/Taipei"}


@pytest.fixture
def db(migrated: str) -> Iterator[Database]:
    database = Database(migrated)
    _truncate(database)
    yield database
    database.dispose()


@pytest.fixture
def store():
    url = os.environ.get("REDIS_URL")
    if not url:
        yield MemoryStore()
        return
    redis_store = RedisStore(url, prefix="pbtest:")
    if not redis_store.ping():
        pytest.exit("REDIS_URL is set but Redis does not answer", returncode=3)
    redis_store.flush()
    yield redis_store
    redis_store.flush()


class ServedApp:
    """A Flask app served on a free loopback port in a thread."""

    def __init__(self, app: Flask) -> None:
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()


@pytest.fixture(scope="session")
def line_api_server() -> Iterator[tuple[LineStandIn, str]]:
    standin = LineStandIn(validator=messaging_validator())
    app = Flask("line-standin")
    app.register_blueprint(standin.blueprint())
    served = ServedApp(app)
    yield standin, served.url
    served.stop()


@pytest.fixture
def line_api(line_api_server) -> LineStandIn:
    standin, _ = line_api_server
    standin.reset()
    standin.monthly_limit = None
    return standin


@pytest.fixture
def settings(migrated: str, line_api_server) -> Settings:
    _, url = line_api_server
    return Settings(
        channel_secret=SECRET, channel_access_token=TOKEN, line_api_base=url, line_data_api_base=url,
        database_url=migrated, redis_url=os.environ.get("REDIS_URL") or None,
        local_mode=False, sender_backoff=0.01, sender_attempts=3, sender_timeout=5,
        public_url=PUBLIC_URL, secret_key=CONSOLE_SECRET,
    )


@pytest.fixture
def services(settings: Settings, db: Database, store, line_api) -> Iterator[Services]:
    from bot.infra.sender import Sender

    svc = Services(settings=settings, db=db, store=store, sender=Sender(settings, db, store))
    yield svc
    if svc.dispatcher is not None:
        svc.dispatcher.shutdown()
    svc.sender.close()


@pytest.fixture
def app(services: Services) -> Flask:
    app = create_app(services=services)
    app.config["TESTING"] = True
    return app


@pytest.fixture
def client(app: Flask):
    return app.test_client()


@dataclass
class Chat:
    """Talks to the bot as one LINE user, through the signed webhook, and reads what LINE got."""

    client: object
    app: Flask
    line_api: LineStandIn
    user_id: str

    def _post(self, events: list[dict]):
        body = callback_body(events)
        errors = validate_webhook(json.loads(body))
        assert errors == [], f"the test's webhook body breaks webhook.yml: {errors}"
        response = self.client.post("/callback", data=body, headers={
            "X-Line-Signature": signature_for(SECRET, body), "Content-Type": "application/json"})
        assert response.status_code == 200, response.data
        self.app.extensions["portfolio"].dispatcher.drain()
        return response

    def _answer(self, before: int) -> list[dict]:
        delivered = self.line_api.sent_to(self.user_id)[before:]
        return [m for d in delivered for m in d.messages]

    def say(self, text: str) -> list[dict]:
        before = len(self.line_api.sent_to(self.user_id))
        self._post([text_event(self.user_id, text, self.line_api.issue_reply_token(self.user_id))])
        return self._answer(before)

    def tap(self, data: str) -> list[dict]:
        before = len(self.line_api.sent_to(self.user_id))
        self._post([postback_event(self.user_id, data, self.line_api.issue_reply_token(self.user_id))])
        return self._answer(before)

    def follow(self) -> list[dict]:
        before = len(self.line_api.sent_to(self.user_id))
        self._post([follow_event(self.user_id, self.line_api.issue_reply_token(self.user_id))])
        return self._answer(before)

    def unfollow(self) -> None:
        self._post([unfollow_event(self.user_id)])


@pytest.fixture
def chat(client, app, line_api):
    def make(user_id: str = "U" + "a" * 32) -> Chat:
        return Chat(client, app, line_api, user_id)
    return make
