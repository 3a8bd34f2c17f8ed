"""The reminder ledger and the sweep's outbox rows, written set-based.

Every write here is one statement per batch (CLAIM_BATCH ledger rows, OUTBOX_BATCH outbox rows),
so the statements grow with the number of people a sweep reaches divided by the batch: 100,000
students take a handful. PostgreSQL gets each batch as one JSON document unpacked by
``json_to_recordset`` (a single string parameter: nothing to escape element by element); other
databases (SQLite in tests and the demo) use executemany. Rows are claimed in key order, so two
sweeps racing on the same people wait on each other's rows instead of deadlocking.
"""
from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Iterable, Sequence

from sqlalchemy import bindparam, delete, insert, select, text, tuple_, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.infra.line_limits import check_messages
from bot.infra.models import OutboxMessage, ReminderLedger

LedgerKey = tuple[str, int, str, str, str]  # person kind, person id, rule, scope, stage

CLAIM_BATCH = 20_000
OUTBOX_BATCH = 500

_CLAIM_PG = text("""
INSERT INTO reminder_ledger (person_kind, person_id, rule, scope, stage, outbox_id, created_at, skipped)
SELECT t.k, t.p, t.r, t.s, t.g, t.o, :now, CAST(:skipped AS varchar)
FROM json_to_recordset(CAST(:rows AS json)) AS t(k varchar, p integer, r varchar, s varchar, g varchar, o integer)
ORDER BY t.k, t.p, t.r, t.s, t.g
ON CONFLICT DO NOTHING
RETURNING id, person_kind, person_id, rule, scope, stage
""")

_LINK_PG = text("""
UPDATE reminder_ledger AS l SET outbox_id = v.o
FROM json_to_recordset(CAST(:rows AS json)) AS v(l integer, o integer)
WHERE l.id = v.l
""")

_OUTBOX_PG = text("""
INSERT INTO outbox_message (retry_key, kind, recipients, messages, purpose, status, attempts, created_at)
SELECT v.k, v.t, v.r, v.m, :purpose, 'pending', 0, :now
FROM json_to_recordset(CAST(:rows AS json)) AS v(n integer, k varchar, t varchar, r json, m json)
ORDER BY v.n
RETURNING id, retry_key
""")


def _batches(rows: Sequence, size: int):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _kind(value) -> str:
    return value.value if hasattr(value, "value") else value


def existing(session: Session, keys: Iterable[LedgerKey]) -> set[LedgerKey]:
    """Which of ``keys`` the ledger already holds (one query, by their (rule, scope, stage))."""
    keys = set(keys)
    triples = sorted({(rule, scope, stage) for _, _, rule, scope, stage in keys})
    if not triples:
        return set()
    L = ReminderLedger
    rows = session.execute(select(L.person_kind, L.person_id, L.rule, L.scope, L.stage)
                           .where(tuple_(L.rule, L.scope, L.stage).in_(triples)))
    return {(_kind(kind), pid, rule, scope, stage) for kind, pid, rule, scope, stage in rows} & keys


def claim(session: Session, keys: Sequence[LedgerKey], now: datetime,
          outbox_of: dict[LedgerKey, int] | None = None, skipped: str | None = None) -> dict[LedgerKey, int]:
    """Insert a ledger row per key unless one exists (pointing at ``outbox_of[key]``, the outbox row
    that carries it, when given; ``skipped``: why these are not sent, e.g. "budget"); returns the
    keys THIS call inserted, with ids."""
    outbox_of = outbox_of or {}
    keys = sorted(set(keys))
    if not keys:
        return {}
    claimed: dict[LedgerKey, int] = {}
    table = ReminderLedger.__table__
    for batch in _batches(keys, CLAIM_BATCH):
        if _pg(session):
            rows = json.dumps([{"k": k, "p": p, "r": r, "s": s, "g": g, "o": outbox_of.get((k, p, r, s, g))}
                               for k, p, r, s, g in batch], ensure_ascii=False)
            result = session.execute(_CLAIM_PG, {"now": now, "rows": rows, "skipped": skipped})
        else:
            stmt = sqlite_insert(table).on_conflict_do_nothing().returning(
                table.c.id, table.c.person_kind, table.c.person_id, table.c.rule, table.c.scope, table.c.stage)
            result = session.execute(stmt, [{"person_kind": k, "person_id": p, "rule": r, "scope": s, "stage": g,
                                             "outbox_id": outbox_of.get((k, p, r, s, g)), "created_at": now,
                                             "skipped": skipped}
                                            for k, p, r, s, g in batch])
        claimed.update(((_kind(kind), pid, rule, scope, stage), ledger_id)
                       for ledger_id, kind, pid, rule, scope, stage in result)
    return claimed


def release(session: Session, ledger_ids: Sequence[int]) -> None:
    """Remove ledger rows this sweep claimed but will not send (one statement)."""
    if ledger_ids:
        session.execute(delete(ReminderLedger).where(ReminderLedger.id.in_(sorted(ledger_ids)))
                        .execution_options(synchronize_session=False))


def link(session: Session, pairs: Sequence[tuple[int, int]]) -> None:
    """Point ledger rows at the outbox row that carries them: (ledger id, outbox id) pairs."""
    if not pairs:
        return
    table = ReminderLedger.__table__
    for batch in _batches(list(pairs), CLAIM_BATCH):
        if _pg(session):
            session.execute(_LINK_PG, {"rows": json.dumps([{"l": lid, "o": oid} for lid, oid in batch])})
        else:
            session.execute(update(table).where(table.c.id == bindparam("lid")).values(outbox_id=bindparam("oid")),
                            [{"lid": lid, "oid": oid} for lid, oid in batch])


def drop_recipients(session: Session, outbox_ids: Iterable[int], users: set[str]) -> set[int]:
    """Take ``users`` out of these outbox rows (a concurrent sweep reminds them); rows left with nobody
    are deleted. Returns the ids of the rows deleted."""
    gone: set[int] = set()
    for row in session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(sorted(set(outbox_ids))))):
        rest = [u for u in row.recipients if u not in users]
        if not rest:
            gone.add(row.id)
            session.delete(row)
        else:
            row.recipients, row.kind = rest, "push" if len(rest) == 1 else "multicast"
    session.flush()
    return gone


def enqueue(session: Session, sends: Sequence[tuple[str, list[str], list[dict]]], purpose: str,
            now: datetime) -> list[int]:
    """Outbox rows (each with a fresh retry key) for (kind, recipients, messages); ids in order.

    The rows are what `Sender.deliver` sends; they are checked against LINE's limits first.
    """
    if not sends:
        return []
    for _kind_, _to, messages in sends:
        check_messages(messages)
    keys = [str(uuid.uuid4()) for _ in sends]
    ids: dict[str, int] = {}
    for batch in _batches(list(enumerate(zip(keys, sends))), OUTBOX_BATCH):
        if _pg(session):
            rows = json.dumps([{"n": n, "k": key, "t": kind, "r": to, "m": messages}
                               for n, (key, (kind, to, messages)) in batch], ensure_ascii=False)
            result = session.execute(_OUTBOX_PG, {"purpose": purpose, "now": now, "rows": rows})
        else:
            stmt = insert(OutboxMessage).returning(OutboxMessage.id, OutboxMessage.retry_key)
            result = session.execute(stmt, [
                {"retry_key": key, "kind": kind, "recipients": to, "messages": messages, "purpose": purpose,
                 "status": "pending", "attempts": 0, "created_at": now}
                for _, (key, (kind, to, messages)) in batch])
        ids.update((retry_key, outbox_id) for outbox_id, retry_key in result)
    return [ids[key] for key in keys]
