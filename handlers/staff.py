"""統計: today's rates for members with a staff duty (註冊組, 教學組, 訓育組, 管理者)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.people import STAFF
from bot.domain.queries.rates import rates
from bot.domain.queries.terms import current_term
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import staff as msg

routes = Routes()


@routes.words(c.STATS.words, roles={STAFF})
def stats(ctx: EventContext, session: Session) -> list[dict]:
    tz = ctx.services.settings.tz
    term = current_term(session, ctx.now, tz)
    if term is None:
        return [msg.no_term()]
    return [msg.stats(rates(session, term, ctx.now, tz), tz)]
