"""A pooled PostgreSQL connection the server dropped while it rested is replaced on checkout: the
next unit of work succeeds (the ping runs only after PING_AFTER_IDLE, so a busy worker pays none)."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from bot.infra import db as db_module
from bot.infra.db import Database


@pytest.fixture
def pg_url(migrated):
    if not migrated.startswith("postgresql"):
        pytest.skip("needs DATABASE_URL on PostgreSQL (a server that can drop a connection)")
    return migrated


def backend_pid(database: Database) -> int:
    with database.session() as session:
        return session.scalar(text("SELECT pg_backend_pid()"))


def test_a_dropped_connection_is_replaced_after_a_rest(pg_url, monkeypatch):
    database = Database(pg_url)
    first = backend_pid(database)
    assert backend_pid(database) == first  # the pool hands the same connection back

    killer = create_engine(pg_url)
    with killer.begin() as conn:  # the server drops it (a restart, an idle timeout)
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first}).scalar()
    killer.dispose()

    monkeypatch.setattr(db_module, "PING_AFTER_IDLE", 0.0)  # it has rested long enough
    second = backend_pid(database)  # would raise "server closed the connection" without the check
    assert second != first
    database.dispose()
