"""The router on its own (no webhook, no database): which route answers, and the role verdict.

As bolt-python tests its matchers and python-telegram-bot its ``check_update``: a context in,
a decision out. ``bot.chat_router`` is the order the app uses.
"""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from bot import chat_router
from bot.domain.people import HOMEROOM, STAFF, STUDENT, TEACHER, Person
from bot.infra.store import MemoryStore
from bot.infra.vocab import PersonKind
from handlers import binding, fallback, help, status
from handlers.context import EventContext
from handlers.routing import Router, Routes, Verdict
from messages import commands as c
from messages.common import MENU_BY_ROLE, menu_labels
from messages.richmenu import BUTTONS
from messages.status import STATUS_ACTION


def person(*roles: str) -> Person:
    kind = PersonKind.student if STUDENT in roles else PersonKind.teacher
    return Person(kind, 1, "王小明", frozenset(roles))


STORE = SimpleNamespace(store=MemoryStore())  # what a matcher may read: the conversation state


def said(text: str, who: Person | None = None) -> EventContext:
    return EventContext(type="message", user_id="U" + "1" * 32, reply_token=None, event_id=None,
                        timestamp=datetime(2026, 11, 2, tzinfo=timezone.utc), text=text, message_type="text",
                        person=who, services=STORE)


def tapped(data: str, who: Person | None = None) -> EventContext:
    ctx = said("", who)
    ctx.type, ctx.text, ctx.postback = "postback", None, dict(p.split("=", 1) for p in data.split("&"))
    return ctx


ROUTER = chat_router()


def handler_of(ctx: EventContext) -> tuple[str, Verdict] | None:
    decision = ROUTER.decide(ctx)
    return None if decision is None else (decision.route.handler.__name__, decision.verdict)


def test_a_students_command_answers_the_student():
    assert handler_of(said("我的進度", person(STUDENT))) == ("my_status", Verdict.allowed)
    assert handler_of(said("進度", person(STUDENT))) == ("my_status", Verdict.allowed)  # an alias


def test_the_verdict_says_why_a_route_is_not_for_this_sender():
    assert handler_of(said("我的進度")) == ("my_status", Verdict.unbound)                   # not bound
    assert handler_of(said("我的進度", person(TEACHER))) == ("my_status", Verdict.wrong_role)
    assert handler_of(said("統計", person(TEACHER, HOMEROOM))) == ("stats", Verdict.wrong_role)
    assert handler_of(said("統計", person(TEACHER, STAFF))) == ("stats", Verdict.allowed)


def test_anyone_reaches_help_and_binding_and_unknown_words_reach_the_fallback():
    assert handler_of(said("說明")) == ("help_faq", Verdict.allowed)
    assert handler_of(said("HELP", person(STUDENT))) == ("help_faq", Verdict.allowed)   # letters in any case
    assert handler_of(said("綁定 ab12cd34")) == ("bind_with_code", Verdict.allowed)
    assert handler_of(said("ab12cd34")) == ("bind_with_code", Verdict.allowed)          # unbound: a code
    assert handler_of(said("ab12cd34", person(STUDENT)))[0] == "unknown_message"        # bound: just a word
    assert handler_of(said("今天天氣如何", person(STUDENT))) == ("unknown_message", Verdict.allowed)


def test_a_postback_routes_on_its_action_and_the_role():
    assert handler_of(tapped(f"a={STATUS_ACTION}&v=all", person(STUDENT)))[1] == Verdict.allowed
    assert handler_of(tapped(f"a={STATUS_ACTION}&v=all", person(TEACHER)))[1] == Verdict.wrong_role
    assert handler_of(tapped("a=no-such-action", person(STUDENT)))[0] == "unknown_postback"


def test_follow_and_unfollow_are_routed():
    follow = said("")
    follow.type, follow.text = "follow", None
    assert handler_of(follow) == ("followed", Verdict.allowed)
    follow.type = "unfollow"
    assert handler_of(follow) == ("unfollowed", Verdict.allowed)
    follow.type = "beacon"
    assert ROUTER.decide(follow) is None


def test_the_first_module_given_wins_and_fallbacks_come_last():
    first, second = Routes(), Routes()

    @first.words("我的進度")
    def one(ctx, session):
        return []

    @second.words("我的進度")
    def two(ctx, session):
        return []

    @first.fallback()
    def anything(ctx, session):
        return []

    modules = [SimpleNamespace(routes=first), SimpleNamespace(routes=second)]
    assert Router(modules).decide(said("我的進度")).route.handler is one
    assert Router(modules[::-1]).decide(said("我的進度")).route.handler is two
    assert Router(modules).decide(said("別的")).route.handler is anything   # the fallback, after both


def test_a_fallback_the_sender_may_not_use_is_passed_over():
    routes = Routes()

    @routes.fallback(roles={STAFF})
    def staff_only(ctx, session):
        return []

    @routes.fallback()
    def everyone(ctx, session):
        return []

    router = Router([SimpleNamespace(routes=routes)])
    assert router.decide(said("x", person(STUDENT))).route.handler is everyone
    assert router.decide(said("x", person(TEACHER, STAFF))).route.handler is staff_only


def test_the_app_orders_binding_and_help_before_the_roles_and_the_fallback_last():
    order = [r.handler.__module__ for r in ROUTER.routes]
    assert order.index(binding.__name__) < order.index(help.__name__) < order.index(status.__name__)
    assert {r.handler.__module__ for r in ROUTER.fallbacks} == {fallback.__name__}


@pytest.mark.parametrize("role", [STUDENT, TEACHER, HOMEROOM, STAFF])
def test_every_menu_button_reaches_a_handler_for_its_role(role):
    """The menus show labels from messages.commands; each must answer, never the fallback."""
    who = person(role) if role in (STUDENT, TEACHER) else person(TEACHER, role)
    labels = set(menu_labels(who.roles)) | set(BUTTONS[role])
    for label in labels:
        decision = ROUTER.decide(said(label, who))
        assert decision is not None and not decision.route.fallback, label
        assert decision.verdict == Verdict.allowed, (label, decision.verdict)


def test_the_guest_menu_answers_an_unbound_person():
    for label in [*MENU_BY_ROLE[""], *BUTTONS["guest"]]:
        decision = ROUTER.decide(said(label))
        assert decision.verdict == Verdict.allowed and not decision.route.fallback, label
    assert c.BIND_HELP.label in MENU_BY_ROLE[""]


def test_the_route_likely_to_answer_is_found_before_the_person_is_known():
    """``prefetching`` picks the route whose prefetch finds the person (我的進度 and its details); any other
    event finds the person the ordinary way."""
    likely = ROUTER.prefetching(said("我的進度"))
    assert likely is not None and likely.handler is status.my_status
    assert ROUTER.prefetching(tapped(f"a={STATUS_ACTION}&v=outcomes")).handler is status.status_detail
    for other in (said("說明"), said("期限"), said("ABCD-1234"), tapped("a=zz")):
        assert ROUTER.prefetching(other) is None, other.text


def test_a_prefetch_is_only_for_a_route_that_reads_and_matches_on_the_event_alone():
    routes = Routes()
    prefetch = lambda ctx, session: (None, None)  # noqa: E731
    with pytest.raises(ValueError, match="prefetch"):
        routes.words("甲", reads_only=False, prefetch=prefetch)
    with pytest.raises(ValueError, match="prefetch"):
        routes.words("甲", reads_only=True, when=lambda ctx: True, prefetch=prefetch)
    routes.words("甲", reads_only=True, prefetch=prefetch)(lambda ctx, session: [])
    assert routes.routes[0].prefetch is prefetch
