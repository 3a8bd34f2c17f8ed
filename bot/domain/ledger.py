"""The reminder ledger and the sweep's outbox rows, written set-based.

Every write here is one statement per batch (CLAIM_BATCH ledger rows, OUTBOX_BATCH outbox rows), or
one for all of a sweep's ledger rows, so the statements grow with the number of people a sweep reaches
divided by the batch: 100,000 students take a handful. On PostgreSQL nothing is escaped element by
element (psycopg's text-format arrays took 14 s at 100,000 students):

* a sweep's ledger rows go in by one COPY (``bot.infra.copy_in``), as long as nobody else holds any of
  their keys; other ledger keys (many small values) go as one JSON document a batch, unpacked by
  ``json_to_recordset`` (psycopg writes a binary array element by element in Python: 0.8 s for
  197,000 keys);
* outbox rows (few, each holding kilobytes of JSON) go as one array per column in psycopg's binary
  format (``%(name)b``, through ``exec_driver_sql`` so SQLAlchemy's events still see them), unnested
  on the server: a JSON document of them was parsed twice there, half the time of writing the outbox.

Other databases (SQLite in tests and the demo) use executemany. Rows are claimed in key order, so two
sweeps racing on the same people wait on each other's rows instead of deadlocking.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import bindparam, delete, insert, select, text, tuple_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bot.infra.copy_in import copy_in, field
from bot.infra.line_limits import compact_json, encode_checked
from bot.infra.overlap import overlapped
from bot.infra.models import OutboxMessage, ReminderLedger

LedgerKey = tuple[str, int, str, str, str]  # person kind, person id, rule, scope, stage

CLAIM_BATCH = 20_000
UNIQUE_VIOLATION = "23505"  # PostgreSQL's SQLSTATE
OUTBOX_BATCH = 500

# ledger keys, each with its outbox row (or NULL)
_KEYS = "json_to_recordset(CAST(:rows AS json)) AS t(k varchar, p integer, r varchar, s varchar, g varchar, o integer)"

_CLAIM_INSERT = f"""
INSERT INTO reminder_ledger (person_kind, person_id, rule, scope, stage, outbox_id, created_at, skipped)
SELECT t.k, t.p, t.r, t.s, t.g, t.o, :now, CAST(:skipped AS varchar)
FROM {_KEYS}
ORDER BY t.k, t.p, t.r, t.s, t.g
ON CONFLICT DO NOTHING
"""
# The sweep's claim when nobody else holds any of its keys (the sweep lock sees to that): one COPY (a
# 100,000-student sweep's 197,092 rows in 2.1 s, against 2.2-2.7 s as INSERTs from documents; most of
# what is left is the three indexes and the foreign key); a unique violation sends it the careful way.
_CLAIM_COPY_PG = ("COPY reminder_ledger (person_kind, person_id, rule, scope, stage, outbox_id, created_at) "
                  "FROM STDIN")
_CLAIM_PG = text(_CLAIM_INSERT + "RETURNING id, person_kind, person_id, rule, scope, stage")
# The sweep's careful claim: only how many rows went in (197,000 returned rows cost a second at
# 100,000 students); when fewer than sent, _HELD_PG names the keys someone else holds.
_CLAIM_COUNT_PG = text("WITH ins AS (" + _CLAIM_INSERT + "RETURNING 1) SELECT count(*) FROM ins")

_HELD_PG = text(f"""
SELECT t.k, t.p, t.r, t.s, t.g
FROM {_KEYS}
JOIN reminder_ledger l ON l.person_kind = t.k AND l.person_id = t.p AND l.rule = t.r AND l.scope = t.s
     AND l.stage = t.g
WHERE l.outbox_id IS DISTINCT FROM t.o
""")

_HELD_TRIPLES_PG = text("""
SELECT l.person_kind, l.person_id, l.rule, l.scope, l.stage
FROM reminder_ledger l
JOIN json_to_recordset(CAST(:rows AS json)) AS t(r varchar, s varchar, g varchar)
  ON l.rule = t.r AND l.scope = t.s AND l.stage = t.g
""")

_LINK_PG = text("""
UPDATE reminder_ledger AS l SET outbox_id = v.o
FROM json_to_recordset(CAST(:rows AS json)) AS v(l integer, o integer)
WHERE l.id = v.l
""")

_OUTBOX_PG = """
INSERT INTO outbox_message (retry_key, kind, recipients, messages, purpose, status, attempts, created_at)
SELECT v.k, v.t, CAST(v.r AS json), CAST(v.m AS json), %(purpose)s, 'pending', 0, %(now)s
FROM unnest(%(k)b::varchar[], %(t)b::varchar[], %(r)b::text[], %(m)b::text[]) WITH ORDINALITY AS v(k, t, r, m, n)
ORDER BY v.n
RETURNING id, retry_key
"""


def _batches(rows: Sequence, size: int):
    for start in range(0, len(rows), size):
        yield rows[start:start + size]


def _execute(session: Session, sql: str, params: dict[str, Any]) -> CursorResult:
    """One statement written for psycopg (binary placeholders), in the session's transaction."""
    return session.connection().exec_driver_sql(sql, params)


def _claim_document(batch: Sequence[LedgerKey], outbox_of: dict[LedgerKey, int]) -> str:
    """A batch of ledger keys (each with its outbox row, if any) as the JSON _KEYS unpacks."""
    return compact_json([{"k": k, "p": p, "r": r, "s": s, "g": g, "o": outbox_of.get((k, p, r, s, g))}
                         for k, p, r, s, g in batch]).decode()


def _claim_rows(keys: Sequence[LedgerKey], outbox_of: dict[LedgerKey, int], now: datetime) -> Iterator[str]:
    """The keys (in order) as COPY rows pointing at their outbox rows, CLAIM_BATCH rows a chunk; each
    distinct text (a rule, scope or stage is shared by thousands of rows) is escaped once."""
    escaped: dict[Any, str] = {}

    def text_of(value: Any) -> str:
        try:
            return escaped[value]
        except KeyError:
            return escaped.setdefault(value, field(value))

    stamp = field(now.isoformat())
    for batch in _batches(keys, CLAIM_BATCH):
        yield "".join(f"{text_of(k)}\t{p}\t{text_of(r)}\t{text_of(s)}\t{text_of(g)}\t{outbox_of[(k, p, r, s, g)]}"
                      f"\t{stamp}\n" for k, p, r, s, g in batch)


def _sqlstate(exc: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of a driver's error, bare or wrapped by SQLAlchemy."""
    return getattr(getattr(exc, "orig", exc), "sqlstate", None)


def _pg(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _kind(value) -> str:
    return value.value if hasattr(value, "value") else value


def existing(session: Session, keys: Iterable[LedgerKey]) -> set[LedgerKey]:
    """Which of ``keys`` the ledger already holds (one query, by their (rule, scope, stage))."""
    keys = set(keys)
    return held(session, {(rule, scope, stage) for _, _, rule, scope, stage in keys}) & keys


def held(session: Session, triples: Iterable[tuple[str, str, str]]) -> set[LedgerKey]:
    """Every ledger key of these (rule, scope, stage) triples (one query).

    A sweep asks for thousands of triples (a scope per recent status change). On PostgreSQL they go as
    one JSON document, joined by hash: as a row-value IN list, 7,007 triples were compared with every
    ledger row, and against a day's 197,092 rows the query did not finish in 150 s nor answer a cancel
    (bench/README.md)."""
    triples = sorted(set(triples))
    if not triples:
        return set()
    if _pg(session):
        rows = session.execute(_HELD_TRIPLES_PG, {"rows": compact_json(
            [{"r": rule, "s": scope, "g": stage} for rule, scope, stage in triples]).decode()})
    else:
        L = ReminderLedger
        rows = session.execute(select(L.person_kind, L.person_id, L.rule, L.scope, L.stage)
                               .where(tuple_(L.rule, L.scope, L.stage).in_(triples)))
    return {(_kind(kind), pid, rule, scope, stage) for kind, pid, rule, scope, stage in rows}


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
            result = session.execute(_CLAIM_PG, {"now": now, "skipped": skipped,
                                                 "rows": _claim_document(batch, outbox_of)})
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


def claim_sends(session: Session, outbox_of: dict[LedgerKey, int], now: datetime) -> set[LedgerKey]:
    """Insert a ledger row per key pointing at the outbox row that carries it, unless one exists;
    returns the keys that were already held (by a concurrent sweep, or an earlier one).

    On PostgreSQL the rows go in first with one COPY inside a savepoint: the sweep has just read the
    ledger, so normally none is held. If one is (a sweep that got past the lock claimed it meanwhile),
    the unique constraint refuses, the savepoint is rolled back, and every key is claimed again with
    ON CONFLICT DO NOTHING, which names the keys someone else holds."""
    keys = sorted(outbox_of)
    if not _pg(session):
        return set(keys) - set(claim(session, keys, now, outbox_of))
    try:
        with session.begin_nested():
            copy_in(session, _CLAIM_COPY_PG, _claim_rows(keys, outbox_of, now))
        return set()
    except Exception as exc:
        if _sqlstate(exc) != UNIQUE_VIOLATION:
            raise

    def documents():
        for batch in _batches(keys, CLAIM_BATCH):
            yield {"now": now, "skipped": None, "rows": _claim_document(batch, outbox_of), "size": len(batch)}

    def write(params: dict[str, Any]) -> set[LedgerKey]:
        if session.execute(_CLAIM_COUNT_PG, params).scalar_one() == params["size"]:
            return set()
        return {tuple(row) for row in session.execute(_HELD_PG, params)}

    return set().union(*overlapped(documents(), write))


def release_sends(session: Session, keys: Sequence[LedgerKey], outbox_ids: Iterable[int]) -> None:
    """Remove the ledger rows of these keys that point at these outbox rows (this sweep's, not sent)."""
    table = ReminderLedger.__table__
    ids = sorted(set(outbox_ids))
    for batch in _batches(sorted(set(keys)), 500):
        session.execute(delete(table).where(
            tuple_(table.c.person_kind, table.c.person_id, table.c.rule, table.c.scope, table.c.stage).in_(batch),
            table.c.outbox_id.in_(ids)))


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
            session.execute(_LINK_PG, {"rows": compact_json([{"l": lid, "o": oid} for lid, oid in batch]).decode()})
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

    The rows are what `Sender.deliver` sends; they are checked against LINE's limits first, and on
    PostgreSQL the JSON that check made is the JSON stored (each message encoded once).
    """
    return [outbox_id for batch in _batches(list(sends), OUTBOX_BATCH)
            for outbox_id in write_outbox(session, outbox_batch(batch, _pg(session)), purpose, now)]


@dataclass(frozen=True)
class OutboxBatch:
    """Up to OUTBOX_BATCH sends, checked and ready to write: their retry keys, and on PostgreSQL the
    arrays the INSERT unnests (built apart from the database: ``bot.infra.overlap``)."""

    keys: list[str]
    sends: Sequence[tuple[str, list[str], list[dict]]]
    columns: dict[str, list[str]] | None


def retry_keys(n: int) -> list[str]:
    """``n`` random UUIDs (version 4, as ``str(uuid.uuid4())`` writes them) from one read of the system's
    randomness: a sweep's 32,502 took 0.12 s one by one."""
    raw = bytearray(os.urandom(16 * n))
    raw[6::16] = bytes(b & 0x0F | 0x40 for b in raw[6::16])  # version 4
    raw[8::16] = bytes(b & 0x3F | 0x80 for b in raw[8::16])  # RFC 4122's variant
    h = raw.hex()
    return [f"{h[i:i + 8]}-{h[i + 8:i + 12]}-{h[i + 12:i + 16]}-{h[i + 16:i + 20]}-{h[i + 20:i + 32]}"
            for i in range(0, 32 * n, 32)]


def outbox_batch(sends: Sequence[tuple[str, list[str], list[dict]]], pg: bool) -> OutboxBatch:
    encoded = [encode_checked(messages) for _kind_, _to, messages in sends]
    keys = retry_keys(len(sends))
    columns = None
    if pg:
        columns = {"k": keys, "t": [kind for kind, _to, _messages in sends],
                   "r": [compact_json(to).decode() for _kind, to, _messages in sends], "m": encoded}
    return OutboxBatch(keys, sends, columns)


def write_outbox(session: Session, batch: OutboxBatch, purpose: str, now: datetime) -> list[int]:
    """Insert one prepared batch (one statement); the new ids in the batch's order."""
    if not batch.keys:
        return []
    if batch.columns is not None:
        result = _execute(session, _OUTBOX_PG, {"purpose": purpose, "now": now, **batch.columns})
    else:
        stmt = insert(OutboxMessage).returning(OutboxMessage.id, OutboxMessage.retry_key)
        result = session.execute(stmt, [
            {"retry_key": key, "kind": kind, "recipients": to, "messages": messages, "purpose": purpose,
             "status": "pending", "attempts": 0, "created_at": now}
            for key, (kind, to, messages) in zip(batch.keys, batch.sends)])
    ids = {retry_key: outbox_id for outbox_id, retry_key in result}
    return [ids[key] for key in batch.keys]
