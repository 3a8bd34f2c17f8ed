"""Durable webhook intake: accept events into the database before answering 200, hand out the new
ones, mark them done once answered, and give a dead process's events to a live one.

- ``accept``: one INSERT per body; a ``webhookEventId`` already there (LINE's redelivery, or a
  duplicate inside the body) is skipped by the unique key, so nothing is handled twice.
- ``done``: the event was answered (or needed no answer).
- ``claim_stale``: events accepted but not done, whose process has not finished them within
  ``stale`` (it died; EVENT_STALE_SECONDS): claimed by this process, oldest first.
- ``forget_old``: rows older than KEEP (a day; LINE redelivers within that).
"""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from bot.infra.db import Database
from bot.infra.models import WebhookEvent

KEEP = timedelta(days=1)


def _key(event: dict) -> str:
    key = event.get("webhookEventId")
    return key if isinstance(key, str) and key else f"local-{uuid.uuid4()}"


def accept(db: Database, events: list[dict], now: datetime) -> list[tuple[int, dict]]:
    """Store the events (in one statement, committed before returning); the ones new to the
    database, with their row ids, in the body's order."""
    if not events:
        return []
    seen: set[str] = set()
    rows = []
    for event in events:
        key = _key(event)
        if key in seen:
            continue
        seen.add(key)
        rows.append({"event_key": key, "payload": event, "received_at": now, "claimed_at": now})
    with db.session() as session:
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        stmt = (dialect.insert(WebhookEvent).values(rows).on_conflict_do_nothing(index_elements=["event_key"])
                .returning(WebhookEvent.id, WebhookEvent.event_key))
        inserted = dict((key, row_id) for row_id, key in session.execute(stmt))
    return [(inserted[row["event_key"]], row["payload"]) for row in rows if row["event_key"] in inserted]


def done(db: Database, row_id: int | None, now: datetime) -> None:
    if row_id is None:
        return
    with db.session() as session:
        session.execute(update(WebhookEvent).where(WebhookEvent.id == row_id).values(done_at=now))


def claim_stale(db: Database, now: datetime, after: timedelta, limit: int = 500) -> list[tuple[int, dict]]:
    """Take over events left unfinished for ``after`` (their process died), oldest first. The UPDATE
    re-checks the age, so of two processes claiming at once each row goes to one."""
    stale = and_(WebhookEvent.done_at.is_(None),
                 or_(WebhookEvent.claimed_at.is_(None), WebhookEvent.claimed_at < now - after))
    with db.session() as session:
        ids = list(session.scalars(select(WebhookEvent.id).where(stale).order_by(WebhookEvent.id).limit(limit)))
        if not ids:
            return []
        claimed = session.execute(update(WebhookEvent).where(WebhookEvent.id.in_(ids), stale)
                                  .values(claimed_at=now).returning(WebhookEvent.id, WebhookEvent.payload)
                                  .execution_options(synchronize_session=False)).all()
    return sorted((row_id, payload) for row_id, payload in claimed)  # ids are unique: payloads never compared


def forget_old(db: Database, now: datetime) -> int:
    with db.session() as session:
        return session.execute(delete(WebhookEvent).where(WebhookEvent.received_at < now - KEEP)).rowcount or 0
