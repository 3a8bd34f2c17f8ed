"""待認證: a teacher's pending 課程學習成果 in their own courses and in those they cover as proxy."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.people import TEACHER
from bot.domain.queries.teacher import pending_for_teacher
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import certifications as msg

routes = Routes()


@routes.words(c.PENDING.words, roles={TEACHER})
def pending(ctx: EventContext, session: Session) -> list[dict]:
    settings = ctx.services.settings
    view = pending_for_teacher(session, ctx.person.id, ctx.now, settings.stages, settings.tz)
    return [msg.pending(view, ctx.now, settings.tz, settings.platform_url)]
