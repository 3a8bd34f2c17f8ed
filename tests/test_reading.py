"""Routes that only read (我的進度, 說明 ...) run in ``Database.reading``: on PostgreSQL in autocommit, with
no BEGIN and COMMIT round trips, and on every database unable to write, so a handler declared
``reads_only`` that writes fails loudly (the user gets 「稍後再試」) instead of committing half a change."""
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
from tests.helpers import texts_of
from tests.test_webhook import USER, signed


def _ctx(services, text: str) -> EventContext:
    return EventContext.from_event(text_event(USER, text, "token"), services)


def test_the_router_knows_before_the_person_whether_the_answer_only_reads(services):
    router = chat_router()
    for text in (*c.STATUS.words, *c.DEADLINES.words, *c.HELP.words, "說明 收訖明細"):
        assert router.reads_only(_ctx(services, text)), text
    for text in ("綁定 ABCD2345", "解除綁定", "隨便說說"):  # binding writes; the fallback is not declared
        assert not router.reads_only(_ctx(services, text)), text


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
        level = session.connection().get_execution_options().get("isolation_level")
    assert level == (None if db.is_sqlite else "AUTOCOMMIT")


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
