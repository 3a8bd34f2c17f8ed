"""Whatever matched nothing: unbound people learn how to bind, bound people get the menu."""
from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.context import EventContext
from handlers.routing import Routes
from messages import common

routes = Routes()


@routes.fallback("message")
def unknown_message(ctx: EventContext, session: Session) -> list[dict]:
    if ctx.person is None:
        return [common.please_bind()]
    return [common.unknown_input(ctx.person.roles)]


@routes.fallback("postback")
def unknown_postback(ctx: EventContext, session: Session) -> list[dict]:
    return unknown_message(ctx, session)
