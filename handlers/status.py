"""我的進度: a student's own status in one bubble, and its details on tap (postback a=st&v=<view>)."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.people import STUDENT
from bot.domain.queries.student import performances_of, picked_outcomes, status_of, status_with_person
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import status as msg

routes = Routes()


def prefetch_status(ctx: EventContext, session: Session):
    """The prefetch of the routes below: the person and their 我的進度 in one statement."""
    settings = ctx.services.settings
    return status_with_person(session, ctx.user_id, ctx.now, settings.tz, settings.school)


def read_status(ctx: EventContext, session: Session):
    """The student's 我的進度: as ``prefetch_status`` read it, or read now."""
    if ctx.prefetched is not None:
        return ctx.prefetched
    settings = ctx.services.settings
    return status_of(session, ctx.person.id, ctx.now, settings.tz, settings.school)


@routes.words(c.STATUS.words, roles={STUDENT}, reads_only=True, prefetch=prefetch_status)
def my_status(ctx: EventContext, session: Session) -> list[dict]:
    status = read_status(ctx, session)
    if status is None or status.term_label is None:
        return [msg.no_term()]
    return [msg.status_bubble(status, ctx.now, ctx.services.settings.tz)]


@routes.postback(msg.STATUS_ACTION, roles={STUDENT}, reads_only=True, prefetch=prefetch_status)
def status_detail(ctx: EventContext, session: Session) -> list[dict]:
    view = ctx.postback.get("v")
    if view not in msg.VIEWS:
        return [msg.bad_view()]
    status = read_status(ctx, session)
    if status is None or status.year is None:
        return [msg.no_term()]
    tz = ctx.services.settings.tz
    if view == "outcomes":
        return [msg.outcome_details(status, ctx.now, tz)]
    if view == "performances":
        return [msg.performance_details(status, performances_of(session, ctx.person.id, status.year))]
    year = status.pick_year  # the open 勾選 window's 學年度 (in September, last year's)
    return [msg.pick_details(status, picked_outcomes(session, ctx.person.id, year),
                             performances_of(session, ctx.person.id, year), ctx.now, tz)]
