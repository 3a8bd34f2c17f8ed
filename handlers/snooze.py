"""A snooze button on a reminder: put those items off until the time it names (``bot.domain.snooze``).
Free: the answer is a reply. The person is the one bound to the LINE account that tapped."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.domain import snooze
from bot.domain.people import HOMEROOM, STAFF, STUDENT, TEACHER
from handlers.context import EventContext
from handlers.routing import Routes
from messages import snooze as msg

routes = Routes()


@routes.postback(snooze.ACTION, roles={STUDENT, TEACHER, HOMEROOM, STAFF})
def put_off(ctx: EventContext, session: Session) -> list[dict]:
    tz = ctx.services.settings.tz
    parsed = snooze.parse(ctx.postback)
    if parsed is None:
        return [msg.not_yours()]
    until, keys = parsed
    if until <= ctx.now:
        return [msg.too_late(until, tz)]
    done = snooze.record(session, ctx.person.kind, ctx.person.id, keys, until, ctx.now)
    if done.new:
        return [msg.snoozed([rule for rule, _, _ in done.new], until, tz)]
    if done.already:
        return [msg.snoozed([rule for (rule, _, _), _ in done.already], done.already[0][1], tz, already=True)]
    return [msg.not_yours()]
