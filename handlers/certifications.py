"""待認證: a teacher's worklist of pending 課程學習成果, per course and class, in their own courses and in
those they cover as proxy; each course's button opens its list of waiting items."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.people import TEACHER
from bot.domain.queries.teacher import find_load, pending_for_teacher, waiting_items
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


@routes.postback(msg.ITEMS_ACTION, roles={TEACHER})
def pending_items(ctx: EventContext, session: Session) -> list[dict]:
    """One course's waiting items, only if the course is this teacher's to certify now."""
    settings = ctx.services.settings
    course = ctx.postback.get("c", "")
    view = pending_for_teacher(session, ctx.person.id, ctx.now, settings.stages, settings.tz)
    load = find_load(view, int(course)) if course.isdigit() and len(course) < 12 else None
    if load is None:
        return [msg.not_pending()]
    return [msg.pending_items(load, waiting_items(session, load.course_id), ctx.now, settings.tz,
                              settings.platform_url)]
