"""Staff (註冊組, 教學組, 訓育組, 管理者): 統計, today's rates, and 後台, a one-time link to the console."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain import console_access
from bot.domain.people import STAFF
from bot.domain.queries.rates import rates
from bot.domain.queries.terms import current_term
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import staff as msg

routes = Routes()


def _staff(ctx: EventContext) -> bool:
    return ctx.person is not None and STAFF in ctx.person.roles


@routes.words(c.STATS.words, roles={STAFF})
def stats(ctx: EventContext, session: Session) -> list[dict]:
    tz = ctx.services.settings.tz
    term = current_term(session, ctx.now, tz)
    if term is None:
        return [msg.no_term()]
    return [msg.stats(rates(session, term, ctx.now, tz), tz)]


@routes.words(c.CONSOLE.words, when=_staff)  # anyone else: the ordinary menu (the fallback)
def console_link(ctx: EventContext, session: Session) -> list[dict]:
    """A sign-in link valid LINK_MINUTES, once (free: a reply). Never logged."""
    settings = ctx.services.settings
    if not settings.public_url or not (settings.secret_key or settings.local_mode):
        return [msg.console_not_configured()]
    token = console_access.issue(session, ctx.person.id, ctx.now)
    return [msg.console_link(console_access.link(settings.public_url, token), console_access.LINK_MINUTES)]
