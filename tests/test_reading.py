"""The person is found and the route decided in ``Database.reading``, and routes that only read (我的進度,
說明 ...) are answered there: on PostgreSQL in autocommit, with no BEGIN and COMMIT round trips, and on
every database unable to write, so a handler declared ``reads_only`` that writes fails loudly (the user
gets 「稍後再試」) instead of committing half a change. Every other route gets a transaction of its own."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from bot import chat_router
from bot.demo.simulator.events import text_event
from bot.infra.db import ReadOnlyError
from bot.infra.models import Term
from handlers.context import EventContext
from handlers.routing import Router
from messages import commands as c
from messages import common
from bot.domain.queries.student import who
from tests.helpers import texts_of
from tests.student_school import uid
from tests.test_student_status import school  # noqa: F401  (the fixture)
from tests.test_webhook import USER, signed


def test_the_chat_routes_that_only_read_say_so_and_the_writing_ones_do_not(services):
    router = chat_router()

    def route(text: str):
        ctx = EventContext.from_event(text_event(USER, text, "token"), services)
        return router.decide(ctx).route

    for text in (*c.STATUS.words, *c.DEADLINES.words, *c.HELP.words, "說明 收訖明細"):
        assert route(text).reads_only, text
    for text in ("ABCD2345", "解除綁定", "隨便說說"):  # binding writes; the fallback is not declared
        assert not route(text).reads_only, text


def test_a_reading_unit_of_work_refuses_writes(db):
    with db.session() as s:
        s.add(Term(year=120, semester=1))
    for write in (lambda s: s.add(Term(year=121, semester=1)) or s.flush(),
                  lambda s: s.execute(update(Term).values(semester=2))):
        with pytest.raises(ReadOnlyError), db.reading() as session:
            assert session.scalar(select(func.count(Term.id))) == 1  # reads are fine
            write(session)
    with db.session() as s:
        assert s.execute(select(Term.year, Term.semester)).all() == [(120, 1)]


def test_on_postgresql_a_reading_unit_of_work_is_in_autocommit(db):
    with db.reading() as session:
        autocommit = getattr(session.connection().connection.dbapi_connection, "autocommit", False)
    assert (autocommit is True) is not db.is_sqlite


def test_on_postgresql_reads_and_the_intake_run_on_the_autocommit_pool_and_transactions_on_the_other(db):
    """Each pool keeps its connections as they are (no switching in and out of autocommit on every use):
    a read and the webhook's intake take theirs from ``db.autocommit``, a unit of work from ``db.engine``."""
    if db.is_sqlite:
        pytest.skip("PostgreSQL's two pools (SQLite has one)")
    from datetime import datetime, timezone

    from sqlalchemy import event

    from bot.infra import intake
    ran: dict[str, list[str]] = {"autocommit": [], "transactions": []}
    listeners = [(db.autocommit, lambda *a: ran["autocommit"].append(a[2])),
                 (db.engine, lambda *a: ran["transactions"].append(a[2]))]
    for engine, listener in listeners:
        event.listen(engine, "before_cursor_execute", listener)
    try:
        with db.reading() as session:
            assert session.connection().connection.dbapi_connection.autocommit
            session.execute(select(func.count()).select_from(Term)).scalar()
        accepted = intake.accept(db, [text_event(USER, "我的進度", "t")], datetime.now(timezone.utc))
        assert len(accepted) == 1 and len(ran["autocommit"]) == 2 and not ran["transactions"]
        with db.session() as session:
            assert not session.connection().connection.dbapi_connection.autocommit
            session.execute(select(func.count()).select_from(Term)).scalar()
        assert len(ran["transactions"]) == 1 and len(ran["autocommit"]) == 2
    finally:
        for engine, listener in listeners:
            event.remove(engine, "before_cursor_execute", listener)
    assert db.engines == (db.engine, db.autocommit)


def test_on_postgresql_the_taps_statements_run_on_the_reading_connection_without_a_session_transaction(db):
    """In autocommit there is no transaction to begin: the session's own (built and closed on every tap)
    is not begun for the statements every tap runs (``Prepared``), which run on its connection."""
    from bot.domain.people import _BOUND
    from tests.helpers import counting
    with db.reading() as session, counting(db) as seen:
        assert _BOUND.first(session, {"user": "U" + "0" * 32}) is None
        assert len(seen) == 1
        assert session.in_transaction() is db.is_sqlite  # SQLite's reading unit is an ordinary session


def test_a_reads_only_route_that_writes_answers_try_again_and_writes_nothing(client, services, line_api, db):
    router = Router()

    @router.words("寫", reads_only=True)
    def writes(ctx, session):
        session.add(Term(year=122, semester=1))
        session.flush()
        return [common.text("不該到這裡")]

    services.dispatcher.router = router
    assert signed(client, [text_event(USER, "寫", line_api.issue_reply_token(USER))]).status_code == 200
    services.dispatcher.drain()
    assert texts_of(line_api.sent_to(USER)[0].messages) == texts_of([common.try_again_later()])
    with db.session() as s:
        assert s.scalar(select(func.count(Term.id))) == 0


def test_a_writing_route_gets_a_transaction_of_its_own_and_still_knows_the_person(school, chat, services, db):  # noqa: F811
    router = Router()
    seen = []

    @router.words("寫")
    def writes(ctx, session):
        seen.append((ctx.person.name, who(session, ctx.person.id).name))  # who: from the person kept
        session.add(Term(year=123, semester=1))
        return [common.text("好")]

    services.dispatcher.router = router
    assert texts_of(chat(uid("ace")).say("寫")) == "好"
    assert len(seen) == 1 and seen[0][0] == seen[0][1] and seen[0][0]
    with db.session() as s:
        assert 123 in s.execute(select(Term.year)).scalars().all()
