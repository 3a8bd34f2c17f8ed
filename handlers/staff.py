"""Staff (註冊組, 教學組, 訓育組, 管理者): 統計, today's rates (its 完整報表 button answers with a fresh
one-time link to the console's 總覽), and 後台, a one-time link to the console."""
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


def _console_ready(ctx: EventContext) -> bool:
    """The console can sign people in: it has a public address and a key (or runs locally)."""
    settings = ctx.services.settings
    return bool(settings.public_url and (settings.secret_key or settings.local_mode))


def _sign_in_link(ctx: EventContext, session: Session) -> str:
    """A fresh one-time sign-in link for the sender (valid LINK_MINUTES, once). Never logged."""
    token = console_access.issue(session, ctx.person.id, ctx.now)
    return console_access.link(ctx.services.settings.public_url, token)


@routes.words(c.STATS.words, roles={STAFF})
def stats(ctx: EventContext, session: Session) -> list[dict]:
    tz = ctx.services.settings.tz
    term = current_term(session, ctx.now, tz)
    if term is None:
        return [msg.no_term()]
    return [msg.stats(rates(session, term, ctx.now, tz), tz, console=_console_ready(ctx))]


@routes.postback(msg.REPORT_ACTION, roles={STAFF})
def full_report(ctx: EventContext, session: Session) -> list[dict]:
    """完整報表 (a postback, so the button in 統計 never goes stale): a link issued now, opened from a button."""
    if not _console_ready(ctx):
        return [msg.report_not_configured()]
    return [msg.report_link(_sign_in_link(ctx, session), console_access.LINK_MINUTES)]


@routes.words(c.CONSOLE.words, when=_staff)  # anyone else: the ordinary menu (the fallback)
def console_link(ctx: EventContext, session: Session) -> list[dict]:
    """A sign-in link valid LINK_MINUTES, once (free: a reply). Never logged."""
    if not _console_ready(ctx):
        return [msg.console_not_configured()]
    return [msg.console_link(_sign_in_link(ctx, session), console_access.LINK_MINUTES)]
