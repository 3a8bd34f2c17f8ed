"""Follow and unfollow: a block stops every push to that person until they follow again."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain.people import active_binding
from handlers.context import EventContext
from handlers.routing import Routes
from messages import common

routes = Routes(former_students=True)  # a block stops pushes to anyone


@routes.event("follow")
def followed(ctx: EventContext, session: Session) -> list[dict]:
    binding = active_binding(session, ctx.user_id) if ctx.user_id else None
    if binding is not None:
        binding.blocked = False
    if ctx.person is None:
        return [common.please_bind()]
    if not ctx.person.enrolled:
        return [common.not_enrolled(ctx.person.enrolment)]
    return [common.welcome_back(ctx.person.name, ctx.person.roles)]


@routes.event("unfollow")
def unfollowed(ctx: EventContext, session: Session) -> list[dict]:
    binding = active_binding(session, ctx.user_id) if ctx.user_id else None
    if binding is not None:
        binding.blocked = True
    return []
