"""期限: the open and coming windows of the school's schedule that concern this student, and where they stand."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.people import STUDENT
from bot.domain.queries.student import status_of
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import deadlines as msg
from messages import status as status_msg

routes = Routes()


@routes.words(c.DEADLINES.words, roles={STUDENT}, reads_only=True)
def my_deadlines(ctx: EventContext, session: Session) -> list[dict]:
    tz = ctx.services.settings.tz
    status = status_of(session, ctx.person.id, ctx.now, tz, ctx.services.settings.school)
    if status is None:
        return [status_msg.no_term()]
    return [msg.deadlines(list(status.windows), ctx.now, tz, status if status.term_label else None)]
