"""Statements every chat answer runs, compiled once per database and run on the driver's cursor.

``session.execute`` builds an execution context, walks the ORM's compile state and wraps the cursor
in a result for every statement: for the few small reads of a tap (finding the person, 我的進度)
that cost five to eight times the query itself (bench/README.md, issue #12 item 12). A ``Prepared``
statement is still written with SQLAlchemy (one source for its SQL), compiled once for each
dialect, and run in the session's own connection and transaction, with SQLAlchemy's own bind and
result processors: aware UTC datetimes, enums and booleans come back as ``session.execute`` gives
them. Listeners of ``before_cursor_execute`` see it as they see any statement (tests count them).

For plain statements with scalar parameters: reads, and the webhook's one-row INSERT ... RETURNING; no
expanding ``IN``, no ORM entities. In a session it flushes first when the session holds unwritten
changes, as autoflush would; on a ``Connection`` it runs in that connection's transaction.

On psycopg the statement is compiled with ``$1`` placeholders and run on a ``RawCursor``: psycopg
otherwise rewrites a ``%(name)s`` query to ``$1`` form on every execution, and caches that only for
queries under 4 KB, which 我的進度's one statement is not (80 µs a tap on the rewriting alone). It is
also prepared on the server at its first run on a connection, not after psycopg's default of five:
until then PostgreSQL plans it anew each time, a millisecond for 我的進度's statement, and a pooled
connection opened under load would pay that on its first taps.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, Callable, Sequence

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

_CONNECTION = "prepared.connection"  # a session's connection, kept in its ``info`` while its transaction lasts


def announce(conn: Connection, cursor: Any, statement: str, parameters: Any) -> None:
    """Tell ``conn``'s ``before_cursor_execute`` listeners about a statement run on the driver's cursor
    itself (a ``Prepared`` statement, a COPY), as SQLAlchemy tells them about its own."""
    for listen in conn.dispatch.before_cursor_execute:
        listen(conn, cursor, statement, parameters, None, False)


def run_on(session: Session, conn: Connection) -> None:
    """Run this session's ``Prepared`` statements on ``conn`` at once: for a session bound to a connection
    in autocommit (``Database.reading``), where the session's own transaction, begun by asking it for
    its connection, would be one more object to build and close on every tap, and no database
    transaction."""
    session.info[_CONNECTION] = conn


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # positional drivers (SQLite): the parameters' names in order
    defaults: dict[str, Any]        # parameters with a value of their own (LIMIT 1's)
    binds: tuple[tuple[str, Callable[[Any], Any]], ...]  # parameters whose value is converted first
    results: tuple[tuple[int, Callable[[Any], Any]], ...]  # (column, converter) of the columns that need one
    cursor: Callable[[Any], Any] | None  # psycopg: its RawCursor class (``$1`` placeholders); else the DBAPI's own


def _numbered(dialect: Dialect) -> Dialect:
    """The same dialect (as initialized on its database), compiling to ``$1`` placeholders."""
    numbered = copy.copy(dialect)
    numbered.paramstyle = "numeric_dollar"
    numbered.positional = True
    numbered.identifier_preparer = numbered.preparer(numbered)  # it escapes ``%`` only for the format styles
    return numbered


class Prepared:
    """One statement, compiled once per dialect; ``rows``/``first`` run it in a session's (or a
    connection's) transaction."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._compiled: dict[str, _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        found = self._compiled.get(dialect.name)
        if found is None:
            cursor = None
            if dialect.driver == "psycopg":
                from psycopg import RawCursor
                cursor = RawCursor
            compiled = self.statement.compile(dialect=dialect if cursor is None else _numbered(dialect))
            if any(bind.expanding or bind.literal_execute for bind in compiled.binds.values()):
                raise ValueError("Prepared takes scalar parameters only (no expanding IN, nothing rendered at execution)")
            named = {name: bind for bind, name in compiled.bind_names.items()}
            binds = []
            for name, bind in named.items():
                process = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if process is not None:
                    binds.append((name, process))
            results = tuple((index, process) for index, column in enumerate(self.statement.exported_columns)
                            if (process := column.type.dialect_impl(dialect).result_processor(dialect, None)))
            found = _Compiled(
                sql=compiled.string,
                order=tuple(compiled.positiontup) if compiled.positional else None,
                defaults={name: bind.value for name, bind in named.items()
                          if not bind.required and bind.callable is None},
                binds=tuple(binds),
                results=results,
                cursor=cursor)
            self._compiled[dialect.name] = found
        return found

    def rows(self, session: Session | Connection, params: dict[str, Any] | None = None) -> list[tuple]:
        if isinstance(session, Connection):
            conn = session
        else:
            if session.new or session.deleted or session.dirty:
                session.flush()  # as autoflush would
            conn = session.info.get(_CONNECTION)
            if conn is None or conn.closed:  # the session's transaction ended: it has a new one now
                conn = session.info[_CONNECTION] = session.connection()
        compiled = self._for(conn.dialect)
        values = {**compiled.defaults, **(params or {})}
        for name, process in compiled.binds:
            values[name] = process(values[name])
        parameters: Sequence[Any] | dict[str, Any] = (
            values if compiled.order is None else tuple(values[name] for name in compiled.order))
        cursor = (conn.connection.cursor() if compiled.cursor is None
                  else compiled.cursor(conn.connection.dbapi_connection))
        try:
            announce(conn, cursor, compiled.sql, parameters)
            if compiled.cursor is None:
                cursor.execute(compiled.sql, parameters)
            else:
                cursor.execute(compiled.sql, parameters, prepare=True)
            fetched = cursor.fetchall()
        finally:
            cursor.close()
        if not compiled.results:
            return [tuple(row) for row in fetched]
        rows = []
        for row in fetched:
            row = list(row)
            for index, process in compiled.results:
                if row[index] is not None:
                    row[index] = process(row[index])
            rows.append(tuple(row))
        return rows

    def first(self, session: Session | Connection, params: dict[str, Any] | None = None) -> tuple | None:
        found = self.rows(session, params)
        return found[0] if found else None
