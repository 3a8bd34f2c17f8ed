"""Database engine and sessions: one `Database` per app, sessions as context managers."""
from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy import create_engine, event, exc, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

from bot.infra.prepared import run_on


class ReadOnlyError(RuntimeError):
    """A unit of work opened to read (``Database.reading``) tried to write."""


class ReadingSession(Session):
    """A session that only reads: a flush of changes, or an INSERT, UPDATE or DELETE run through it,
    raises ReadOnlyError (its connection may be in autocommit, where a write would commit alone)."""


@event.listens_for(ReadingSession, "before_flush")
def _no_flush(session: Session, _context, _instances) -> None:
    raise ReadOnlyError("this unit of work only reads: nothing may be written through it")


@event.listens_for(ReadingSession, "do_orm_execute")
def _no_dml(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlyError("this unit of work only reads: nothing may be written through it")


def normalize_url(url: str) -> str:
    """Accept the `postgres://` and `postgresql://` spellings platforms hand out."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str, autocommit: bool = False) -> Engine:
    """The engine for ``url``. ``autocommit`` (PostgreSQL only): its connections stay in autocommit."""
    url = normalize_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    if autocommit:
        engine = create_engine(url, pool_size=AUTOCOMMIT_POOL, max_overflow=POOL_MAX - AUTOCOMMIT_POOL,
                               isolation_level="AUTOCOMMIT")
    else:
        engine = create_engine(url, pool_size=POOL, max_overflow=POOL_MAX - POOL)
    _ping_when_idle(engine)
    return engine


POOL = 10  # connections a PostgreSQL pool keeps open when idle
AUTOCOMMIT_POOL = 5  # the same, for the autocommit pool (``Database.autocommit``)
POOL_MAX = 30  # connections a pool holds at most (the dispatcher runs 32 threads; bot/web/dispatch.py)
PING_AFTER_IDLE = 10.0  # seconds a pooled connection may rest before it is checked on checkout


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection with ``SELECT 1`` before use only when it has rested PING_AFTER_IDLE
    seconds (SQLAlchemy's "pessimistic disconnect handling" with a checkout event): after a
    database restart or an idle timeout the pool replaces it, while a busy web worker, whose
    connections are back in use within milliseconds, pays no round trip per event
    (``pool_pre_ping`` cost each answer one)."""

    @event.listens_for(engine, "checkin")
    def _rested_from(_dbapi_conn, record) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_rested(dbapi_conn, record, _proxy) -> None:
        since = record.info.get("checked_in")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE:
            return  # new, or in use moments ago
        try:
            cursor = dbapi_conn.cursor()
            cursor.execute("SELECT 1")
            cursor.close()
            dbapi_conn.rollback()
        except Exception as error:  # the pool retries with a fresh connection
            raise exc.DisconnectionError() from error


class Database:
    """Holds the engines and hands out sessions.

    On PostgreSQL there are two pools: ``engine``, whose connections run transactions, and
    ``autocommit``, whose connections stay in autocommit, for what runs one statement at a time on
    every webhook (the intake, ``bot.infra.intake``) and every chat answer that only reads
    (``reading``). Switching a pooled connection into autocommit and back cost about 20 µs each time
    it was used. On SQLite ``autocommit`` is ``engine``."""

    def __init__(self, url: str) -> None:
        self.url = normalize_url(url)
        self.engine = make_engine(self.url)
        self.autocommit = self.engine if self.is_sqlite else make_engine(self.url, autocommit=True)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        self._reading = sessionmaker(self.engine, class_=ReadingSession, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @property
    def engines(self) -> tuple[Engine, ...]:
        """Each pool once: to listen to every statement, or to close every connection."""
        return (self.engine,) if self.autocommit is self.engine else (self.engine, self.autocommit)

    def dispose(self) -> None:
        """Close every pooled connection (both pools)."""
        for engine in self.engines:
            engine.dispose()

    @contextmanager
    def watching(self, listener: Callable[..., None]) -> Iterator[None]:
        """``listener`` sees every statement run on either pool while the block runs (SQLAlchemy's
        ``before_cursor_execute``): the tests and benchmarks count statements with it."""
        for engine in self.engines:
            event.listen(engine, "before_cursor_execute", listener)
        try:
            yield
        finally:
            for engine in self.engines:
                event.remove(engine, "before_cursor_execute", listener)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed on success, rolled back on error."""
        with self.sessionmaker() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """A unit of work that only reads (a chat answer such as 我的進度; a write raises ReadOnlyError).
        On PostgreSQL its connection is in autocommit, so it costs no BEGIN and COMMIT round trips;
        each statement sees what was committed when it ran, as under READ COMMITTED in a transaction.
        SQLite begins no transaction for a read anyway."""
        if self.is_sqlite:
            with self._reading() as session:
                yield session
            return
        with self.autocommit.connect() as conn:
            with self._reading(bind=conn) as session:
                run_on(session, conn)
                yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False
