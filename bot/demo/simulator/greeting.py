"""The demo's greeting: the reply to the follow event the simulator sends the first time a person's chat
is opened (LINE sends one when someone adds the bot), so it arrives as a free reply, never a push.

The demo's router is the production one with one route in front: a follow event of a demo person is
answered with the demo's welcome card (their name and role, buttons for what the bot answers them) after
doing what the production follow handler does (a follow lifts a block).
"""
from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy.orm import Session

from bot.demo.school import STRANGERS, DemoPerson, DemoSchool
from bot.domain.people import Person
from handlers import follow
from handlers.context import EventContext
from handlers.routing import Router, Routes, Verdict
from messages.common import MENU_BY_ROLE, menu_labels
from messages.demo import welcome_card


def answered(router: Router, services, labels: list[str], person: Person | None, user_id: str) -> list[str]:
    """The menu words a real handler answers for this person (not the fallback, not a role refusal),
    so the welcome card never suggests a command the bot does not know yet."""
    kept = []
    for label in labels:
        ctx = EventContext(type="message", user_id=user_id, reply_token=None, event_id=None,
                           timestamp=datetime.now(timezone.utc), text=label, message_type="text", person=person,
                           services=services)
        decision = router.decide(ctx)
        if decision is not None and not decision.route.fallback and decision.verdict == Verdict.allowed:
            kept.append(label)
    return kept


def who(listed: DemoPerson, bound: bool) -> str:
    """The 身分 line of the card."""
    if not bound:  # a stranger's account belongs to no one: just say so
        return "尚未綁定" if listed.group == STRANGERS else f"{listed.detail}（尚未綁定）"
    return listed.detail if listed.group in listed.detail else f"{listed.group}・{listed.detail}"


def demo_router(demo: DemoSchool, base: Router) -> Router:
    """``base`` (the production routes) with the demo's greeting in front."""
    routes = Routes(former_students=True)
    router = Router()

    @routes.event("follow")
    def greet(ctx: EventContext, session: Session) -> list[dict]:
        standard = follow.followed(ctx, session)  # lifts a block, as in production
        listed = demo.by_user(ctx.user_id) if ctx.user_id else None
        if listed is None:
            return standard
        person = ctx.person
        menu = answered(router, ctx.services, menu_labels(person.roles) if person else MENU_BY_ROLE[""], person,
                        ctx.user_id)
        buttons = [label for label in menu if label != "說明"]
        return [welcome_card(person.name if person else listed.name, who(listed, person is not None), buttons, menu)]

    router.include(routes)
    router.include(base)
    return router
