"""Bulk writes: a few statements per table, never one per row.

On PostgreSQL a chunk of new rows is one INSERT ... SELECT from ``json_to_recordset`` with the
rows as a single JSON parameter (as the sweep writes its ledger, ``bot.domain.ledger``). Through
SQLAlchemy's insertmanyvalues the same chunk was a statement of thousands of placeholders, which
psycopg rewrote for every execution (it caches only statements under 4 KB): over half of a
county's import (issue #12 item 11). The values still go through each column's SQLAlchemy bind
processing and Python-side default, so what is stored is what ``insert(model)`` stores; a table
with a column of any other type (or rows with differing keys) takes the ``insert(model)`` path.
"""
from __future__ import annotations

from typing import Any, Sequence

import orjson
from sqlalchemy import Boolean, Date, DateTime, Enum, Integer, String, Table, Text, delete, insert, text, update
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause

CHUNK = 2000  # rows per statement: memory and statement size stay flat however big the file
_PLAIN = (Integer, String, Text, Boolean, Date, DateTime)  # what json_to_recordset reads back as written


def _plain(column) -> bool:
    kind = getattr(column.type, "impl", column.type)  # a TypeDecorator (UTCDateTime): what it stores
    return isinstance(kind, _PLAIN) and not (isinstance(kind, Enum) and kind.native_enum)


def _recordset(session: Session, model: type, rows: Sequence[dict[str, Any]],
               returning: Sequence[str] = ()) -> tuple[TextClause, list[str], Dialect] | None:
    """The PostgreSQL statement inserting ``rows`` from one JSON parameter, with the columns it
    writes, or None where ``insert(model)`` must do it."""
    dialect = session.connection().dialect
    if dialect.name != "postgresql" or not rows:
        return None
    table: Table = model.__table__
    given = list(rows[0])
    if any(len(row) != len(given) or any(key not in row for key in given) for row in rows) \
            or any(key not in table.c for key in given):
        return None
    if any(c.default is not None and not (c.default.is_scalar or c.default.is_callable) for c in table.c):
        return None  # a default SQLAlchemy renders as SQL (a function, a sequence): insert(model) writes it
    defaulted = [c.name for c in table.c if c.name not in given and c.default is not None]
    columns = given + defaulted
    if not all(_plain(table.c[name]) for name in columns):
        return None
    quote = dialect.identifier_preparer.quote
    names = ", ".join(quote(name) for name in columns)
    types = ", ".join(f"{quote(name)} {table.c[name].type.dialect_impl(dialect).compile(dialect=dialect)}"
                      for name in columns)
    sql = (f"INSERT INTO {dialect.identifier_preparer.format_table(table)} ({names}) SELECT {names} "
           f"FROM json_to_recordset(CAST(:rows AS json)) AS t({types})")
    if returning:
        sql += " RETURNING " + ", ".join(quote(name) for name in returning)
    return text(sql), columns, dialect


def _document(model: type, rows: Sequence[dict[str, Any]], columns: list[str], dialect: Dialect) -> str | None:
    """The rows as one JSON array, each value as ``session.execute(insert(model), rows)`` would write it:
    a None or missing value takes the column's Python-side default (or stays NULL), then the column's
    bind processing. None where that cannot be told in JSON (a server-side default to fill in)."""
    table: Table = model.__table__
    steps = []
    for name in columns:
        column = table.c[name]
        process = column.type.dialect_impl(dialect).bind_processor(dialect)
        steps.append((name, process, column.default, column.server_default is not None))
    out = []
    for row in rows:
        record = {}
        for name, process, default, on_server in steps:
            value = row.get(name)
            if value is None:  # the ORM's bulk insert leaves the column out: its default applies
                if default is not None:
                    value = default.arg if default.is_scalar else default.arg(None)
                elif on_server:
                    return None
            record[name] = process(value) if process is not None and value is not None else value
        out.append(record)
    try:
        return orjson.dumps(out).decode("utf-8")
    except orjson.JSONEncodeError:  # a value JSON cannot carry as given: insert(model) writes it
        return None


def _insert(session: Session, model: type, rows: Sequence[dict[str, Any]], returning: Sequence[str] = ()):
    """One chunk: the rows written, with the RETURNING rows (or None when nothing is returned)."""
    found = _recordset(session, model, rows, returning)
    if found is not None:
        statement, columns, dialect = found
        document = _document(model, rows, columns, dialect)
        if document is not None:
            return session.execute(statement, {"rows": document})
    stmt = insert(model)
    if returning:
        stmt = stmt.returning(*(model.__table__.c[name] for name in returning))
    return session.execute(stmt, list(rows))


def insert_returning_ids(session: Session, model: type, rows: Sequence[dict[str, Any]],
                         key_columns: Sequence[str]) -> list[int]:
    """Insert rows; their new ids in the same order. Ids are matched back by the unique
    ``key_columns`` (not by order), so the database may batch the insert freely."""
    if not rows:
        return []
    ids: dict[tuple, int] = {}
    for start in range(0, len(rows), CHUNK):  # one statement per chunk: SQLAlchemy splices each
        # statement's RETURNING rows together, which grows faster than the rows on one huge call
        chunk = list(rows[start:start + CHUNK])
        ids.update((tuple(r[1:]), r[0]) for r in _insert(session, model, chunk, ("id", *key_columns)))
    return [ids[tuple(row[c] for c in key_columns)] for row in rows]


def insert_all(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    for start in range(0, len(rows), CHUNK):
        _insert(session, model, list(rows[start:start + CHUNK]))


def update_by_id(session: Session, model: type, rows: Sequence[dict[str, Any]]) -> None:
    """ORM bulk UPDATE by primary key; each dict holds ``id`` and the changed columns."""
    if rows:
        session.execute(update(model), list(rows))


def delete_where_in(session: Session, column, values: Sequence[Any], chunk: int = 5000) -> None:
    values = list(values)
    for start in range(0, len(values), chunk):
        session.execute(delete(column.class_).where(column.in_(values[start:start + chunk])))
