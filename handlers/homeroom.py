"""班級名單 and 一鍵提醒 for a 導師's own class. Postback data names a list and a class; the class
must be the sender's homeroom class (from the binding), anything else is refused."""
from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session

from bot.domain import nudge
from bot.domain.people import HOMEROOM
from bot.domain.queries.homeroom import FAILED, LIST_KEYS, ClassList, all_lists, class_list
from bot.domain.stages import in_quiet_hours
from bot.infra.sender import QUOTA_FLAG
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import homeroom as msg

routes = Routes()


@routes.words(c.CLASS_LISTS.words, roles={HOMEROOM})
def overview(ctx: EventContext, session: Session) -> list[dict]:
    tz = ctx.services.settings.tz
    lists = all_lists(session, ctx.person.class_id, ctx.now, tz)
    sent = nudge.sent_lists(session, [l.key for l in lists], ctx.person.class_id, ctx.now, tz)
    return [msg.overview(lists, sent, tz)]


def _listing(ctx: EventContext, session: Session) -> tuple[ClassList | None, list[dict] | None]:
    """The list the postback names, or the refusal: only the sender's own class, a known list."""
    key, class_id = ctx.postback.get("l", ""), ctx.postback.get("c", "")
    if not class_id.isdigit() or int(class_id) != ctx.person.class_id:
        return None, [msg.refused(msg.NOT_YOUR_CLASS)]
    if key not in LIST_KEYS:
        return None, [msg.refused(msg.UNKNOWN_LIST)]
    found = class_list(session, ctx.person.class_id, key, ctx.now, ctx.services.settings.tz)
    if found is None:
        return None, [msg.refused(msg.NO_CLASS)]
    return found, None


@routes.postback(msg.LIST_ACTION, roles={HOMEROOM})
def show_list(ctx: EventContext, session: Session) -> list[dict]:
    listing, refusal = _listing(ctx, session)
    if refusal:
        return refusal
    tz = ctx.services.settings.tz
    return [msg.class_list(listing, nudge.plan(session, listing, ctx.now, tz), tz)]


def _refusal(ctx: EventContext, plan: nudge.NudgePlan) -> list[dict] | None:
    settings = ctx.services.settings
    if not plan.listing.rows:
        return [msg.refused(msg.EMPTY_LIST)]
    window = plan.listing.window
    if plan.listing.key == FAILED and not (window and window.is_open(ctx.now)):  # nothing to resubmit now
        return [msg.refused(msg.FAILED_CLOSED)]
    if plan.sent_today:
        return [msg.refused(msg.ALREADY_TODAY)]
    if not plan.recipients:
        return [msg.refused(msg.NOBODY)]
    if ctx.services.store.get(QUOTA_FLAG):  # LINE said the month's messages are used up
        return [msg.refused(msg.QUOTA_REACHED)]
    if in_quiet_hours(ctx.now, settings.quiet_hours, settings.tz):
        start, end = settings.quiet_hours
        return [msg.quiet_hours(f"{start:%H:%M}", f"{end:%H:%M}")]
    return None


@routes.postback(msg.NUDGE_ACTION, roles={HOMEROOM})
def ask_nudge(ctx: EventContext, session: Session) -> list[dict]:
    listing, refusal = _listing(ctx, session)
    if refusal:
        return refusal
    plan = nudge.plan(session, listing, ctx.now, ctx.services.settings.tz)
    return _refusal(ctx, plan) or [msg.nudge_cost(plan)]


@routes.postback(msg.NUDGE_GO_ACTION, roles={HOMEROOM})
def send_nudge(ctx: EventContext, session: Session) -> list[dict]:
    listing, refusal = _listing(ctx, session)
    if refusal:
        return refusal
    services, tz = ctx.services, ctx.services.settings.tz
    plan = nudge.plan(session, listing, ctx.now, tz)
    refused = _refusal(ctx, plan)
    if refused:
        return refused
    if ctx.postback.get("n") != str(plan.cost):
        return msg.list_changed(plan)
    outbox_ids = nudge.record(session, services.sender, plan, ctx.person.id, msg.student_nudge(listing, tz),
                              ctx.now, tz)
    if outbox_ids is None:
        return [msg.refused(msg.ALREADY_TODAY)]
    ctx.after_reply.extend(partial(services.sender.deliver, outbox_id) for outbox_id in outbox_ids)
    return [msg.nudge_sent(plan)]


@routes.postback(msg.NUDGE_CANCEL_ACTION, roles={HOMEROOM})
def cancel_nudge(ctx: EventContext, session: Session) -> list[dict]:
    return [msg.refused(msg.CANCELLED)]
