"""Bulk writes: a few statements per table, never one per row."""
from __future__ import annotations

from typing import Any, Sequence

from sqlalchemy import delete, insert, update
from sqlalchemy.orm import Session

CHUNK = 2000  # rows per statement: memory and statement size stay flat however big the file


def insert_returning_ids(session: Session, model: type, rows: Sequence[dict[str, Any]],
                         key_columns: Sequence[str]) -> list[int]:
    """Insert rows; their new ids in the same order. Ids are matched back by the unique
    ``key_columns`` (not by order), so the database may batch the insert freely."""
    if not rows:
        return []
    stmt = insert(model).returning(model.id, *(getattr(model, c) for c in key_columns))
    ids: dict[tuple, int] = {}
    for start in range(0, len(rows), CHUNK):  # one statement per chunk: SQLAlchemy splices each
        # statement's RETURNING rows together, which grows faster than the rows on one huge call
        ids.update((tuple(r[1:]), r[0]) for r in session.execute(stmt, list(rows[start:start + CHUNK])))
    return [ids[tuple(row[c] for c in key_columns)] for row in rows]


def insert_all(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(model), list(rows[start:start + CHUNK]))


def update_by_id(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """ORM bulk UPDATE by primary key; each dict holds ``id`` and the changed columns."""
    if rows:
        session.execute(update(model), list(rows))


def delete_where_in(session: Session, column, values: Sequence[Any], chunk: int = 5000) -> None:
    values = list(values)
    for start in range(0, len(values), chunk):
        session.execute(delete(column.class_).where(column.in_(values[start:start + chunk])))
