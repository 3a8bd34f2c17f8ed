"""The reminder ledger and the sweep's outbox rows, written set-based.

Every write here is ONE statement however many people a sweep reaches (PostgreSQL: arrays
through ``unnest``); other databases (SQLite in tests and the demo) use executemany. Rows
are claimed in key order, so two sweeps racing on the same people wait on each other's
rows instead of deadlocking.
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

_CLAIM_PG = text("""
INSERT INTO reminder_ledger (person_kind, person_id, rule, scope, stage, created_at)
SELECT k, p, r, s, g, :now
FROM unnest(CAST(:kinds AS varchar[]), CAST(:ids AS integer[]), CAST(:rules AS varchar[]),
            CAST(:scopes AS varchar[]), CAST(:stages AS varchar[])) AS t(k, p, r, s, g)
ORDER BY k, p, r, s, g
ON CONFLICT DO NOTHING
RETURNING id, person_kind, person_id, rule, scope, stage
""")

_LINK_PG = text("""
UPDATE reminder_ledger AS l SET outbox_id = v.oid
FROM unnest(CAST(:lids AS integer[]), CAST(:oids AS integer[])) AS v(lid, oid)
WHERE l.id = v.lid
""")

_OUTBOX_PG = text("""
INSERT INTO outbox_message (retry_key, kind, recipients, messages, purpose, status, attempts, created_at)
SELECT k, t, CAST(r AS json), CAST(m AS json), :purpose, 'pending', 0, :now
FROM unnest(CAST(:keys AS varchar[]), CAST(:kinds AS varchar[]), CAST(:recipients AS text[]),
            CAST(:messages AS text[])) WITH ORDINALITY AS v(k, t, r, m, n)
ORDER BY n
RETURNING id, retry_key
""")


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


def claim(session: Session, keys: Sequence[LedgerKey], now: datetime) -> dict[LedgerKey, int]:
    """Insert a ledger row per key unless one exists; returns the keys THIS call inserted, with ids."""
    keys = sorted(set(keys))
    if not keys:
        return {}
    if _pg(session):
        columns = list(zip(*keys))
        result = session.execute(_CLAIM_PG, {"now": now, "kinds": list(columns[0]), "ids": list(columns[1]),
                                             "rules": list(columns[2]), "scopes": list(columns[3]),
                                             "stages": list(columns[4])})
    else:
        table = ReminderLedger.__table__
        stmt = sqlite_insert(table).on_conflict_do_nothing().returning(
            table.c.id, table.c.person_kind, table.c.person_id, table.c.rule, table.c.scope, table.c.stage)
        result = session.execute(stmt, [{"person_kind": k, "person_id": p, "rule": r, "scope": s, "stage": g,
                                         "created_at": now} for k, p, r, s, g in keys])
    return {(_kind(kind), pid, rule, scope, stage): ledger_id
            for ledger_id, kind, pid, rule, scope, stage in result}


def release(session: Session, ledger_ids: Sequence[int]) -> None:
    """Remove ledger rows this sweep claimed but will not send (one statement)."""
    if ledger_ids:
        session.execute(delete(ReminderLedger).where(ReminderLedger.id.in_(sorted(ledger_ids)))
                        .execution_options(synchronize_session=False))


def link(session: Session, pairs: Sequence[tuple[int, int]]) -> None:
    """Point ledger rows at the outbox row that carries them: (ledger id, outbox id) pairs."""
    if not pairs:
        return
    if _pg(session):
        lids, oids = zip(*pairs)
        session.execute(_LINK_PG, {"lids": list(lids), "oids": list(oids)})
        return
    table = ReminderLedger.__table__
    session.execute(update(table).where(table.c.id == bindparam("lid")).values(outbox_id=bindparam("oid")),
                    [{"lid": lid, "oid": oid} for lid, oid in pairs])


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
    if _pg(session):
        result = session.execute(_OUTBOX_PG, {
            "purpose": purpose, "now": now, "keys": keys, "kinds": [kind for kind, _, _ in sends],
            "recipients": [json.dumps(to) for _, to, _ in sends],
            "messages": [json.dumps(messages, ensure_ascii=False) for _, _, messages in sends]})
    else:
        stmt = insert(OutboxMessage).returning(OutboxMessage.id, OutboxMessage.retry_key)
        result = session.execute(stmt, [
            {"retry_key": key, "kind": kind, "recipients": to, "messages": messages, "purpose": purpose,
             "status": "pending", "attempts": 0, "created_at": now}
            for key, (kind, to, messages) in zip(keys, sends)])
    ids = {retry_key: outbox_id for outbox_id, retry_key in result}
    return [ids[key] for key in keys]
