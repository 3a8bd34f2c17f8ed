"""Rows written with PostgreSQL's COPY, in a session's own transaction.

For many small rows COPY skips what an INSERT of a decoded document costs the server (parsing the
document, planning, the executor): 197,000 rows went into a table without indexes in 0.3 s, against
1.0 s from ``json_to_recordset`` (bench/README.md). The rows are written in COPY's text format, which
the caller builds with ``field``; COPY has no ON CONFLICT and no RETURNING, so it is for rows nobody
else is expected to hold. Listeners of ``before_cursor_execute`` see the COPY as one
statement, as they see any other (tests and benchmarks count them).
"""
from __future__ import annotations

from typing import Iterable

from sqlalchemy.orm import Session

from bot.infra.prepared import announce

_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
NULL = "\\N"


def field(value: object) -> str:
    """One value as COPY's text format writes it: NULL as ``\\N``; backslash, tab, newline and carriage
    return escaped (a value holding one would otherwise end its field or its row)."""
    if value is None:
        return NULL
    if hasattr(value, "value"):  # an enum: its value
        value = value.value
    return str(value).translate(_ESCAPES)


def copy_in(session: Session, statement: str, lines: Iterable[str]) -> None:
    """Run ``statement`` (``COPY table (columns) FROM STDIN``) in the session's transaction, feeding it
    ``lines``: each a chunk of whole rows in COPY's text format, every row ending in a newline."""
    conn = session.connection()
    raw = conn.connection.dbapi_connection
    with raw.cursor() as cursor:
        announce(conn, cursor, statement, None)
        with cursor.copy(statement) as copy:
            for chunk in lines:
                copy.write(chunk)
