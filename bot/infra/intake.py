"""Durable webhook intake: accept events into the database before answering 200, hand out the new
ones, mark them done once answered, and give a dead process's events to a live one.

- ``accept``: one INSERT per body; a ``webhookEventId`` already there (LINE's redelivery, or a
  duplicate inside the body) is skipped by the unique key, so nothing is handled twice. Events past
  what the process may hold (``claim``) are stored unclaimed ("parked"), for whichever web process
  has room first.
- ``done``: these events were answered (or needed no answer): one UPDATE for many.
- ``claim_stale``: parked events, and events accepted but not done whose process has not finished
  them within ``stale`` (it died; EVENT_STALE_SECONDS): claimed by this process, oldest first.
- ``forget_old``: rows older than KEEP (a day; LINE redelivers within that).
"""
from __future__ import annotations

import uuid
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import and_, bindparam, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from bot.infra.db import Database
from bot.infra.models import WebhookEvent
from bot.infra.prepared import Prepared

KEEP = timedelta(days=1)
_EVENTS = WebhookEvent.__table__
# Built once (the webhook runs them for every body): a statement made per call is compiled per call.
_INSERT = {dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(_EVENTS).on_conflict_do_nothing(
    index_elements=["event_key"]).returning(_EVENTS.c.id, _EVENTS.c.event_key) for dialect in (postgresql, sqlite)}
# The commonest body holds one event: its INSERT on the driver's cursor (``Prepared``), at a third of the cost.
_INSERT_ONE = {name: Prepared(statement.values(
    event_key=bindparam("event_key"), payload=bindparam("payload"), received_at=bindparam("received_at"),
    claimed_at=bindparam("claimed_at"))) for name, statement in _INSERT.items()}
_DONE = update(_EVENTS).where(_EVENTS.c.id.in_(bindparam("ids", expanding=True))).values(done_at=bindparam("now"))


@contextmanager
def _one_statement(db: Database) -> Iterator[Connection]:
    """A connection for one statement, committed when the block ends. PostgreSQL: in autocommit,
    so the statement commits as it runs, without BEGIN and COMMIT round trips (the webhook pays
    them on every body); SQLite: a plain transaction (switching its autocommit costs more)."""
    if db.is_sqlite:
        with db.engine.begin() as conn:
            yield conn
        return
    with db.autocommit.connect() as conn:
        yield conn


def _key(event: dict) -> str:
    key = event.get("webhookEventId")
    return key if isinstance(key, str) and key else f"local-{uuid.uuid4()}"


def accept(db: Database, events: list[dict], now: datetime, claim: int | None = None) -> list[tuple[int, dict]]:
    """Store the events (in one statement, committed before returning); the ones new to the
    database that this process takes, with their row ids, in the body's order. Only the first
    ``claim`` of them are taken (None: all); the rest are stored parked, for ``claim_stale``."""
    if not events:
        return []
    seen: set[str] = set()
    rows = []
    for event in events:
        key = _key(event)
        if key in seen:
            continue
        seen.add(key)
        taken = claim is None or len(rows) < claim
        rows.append({"event_key": key, "payload": event, "received_at": now, "claimed_at": now if taken else None})
    with _one_statement(db) as conn:
        if len(rows) == 1:
            found = _INSERT_ONE[conn.dialect.name].rows(conn, rows[0])
        else:
            found = conn.execute(_INSERT[conn.dialect.name], rows)
        inserted = {key: row_id for row_id, key in found}
    return [(inserted[row["event_key"]], row["payload"]) for row in rows
            if row["event_key"] in inserted and row["claimed_at"] is not None]


def done(db: Database, row_ids: list[int], now: datetime) -> None:
    if row_ids:
        with _one_statement(db) as conn:
            conn.execute(_DONE, {"ids": row_ids, "now": now})


def claim_stale(db: Database, now: datetime, after: timedelta, limit: int = 500) -> list[tuple[int, dict, bool]]:
    """Take over parked events and events left unfinished for ``after`` (their process died), oldest
    first: (row id, event, whether a process had it before). The UPDATE re-checks, so of two
    processes claiming at once each row goes to one."""
    stale = and_(WebhookEvent.done_at.is_(None),
                 or_(WebhookEvent.claimed_at.is_(None), WebhookEvent.claimed_at < now - after))
    with db.session() as session:
        rows = session.execute(select(WebhookEvent.id, WebhookEvent.claimed_at).where(stale)
                               .order_by(WebhookEvent.id).limit(limit)).all()
        if not rows:
            return []
        had = {row_id: claimed_at is not None for row_id, claimed_at in rows}
        claimed = session.execute(update(WebhookEvent).where(WebhookEvent.id.in_(list(had)), stale)
                                  .values(claimed_at=now).returning(WebhookEvent.id, WebhookEvent.payload)
                                  .execution_options(synchronize_session=False)).all()
    return sorted(((row_id, payload, had[row_id]) for row_id, payload in claimed), key=lambda c: c[0])


def forget_old(db: Database, now: datetime) -> int:
    with db.session() as session:
        return session.execute(delete(WebhookEvent).where(WebhookEvent.received_at < now - KEEP)).rowcount or 0
