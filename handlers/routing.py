"""Chat routing: each handler module declares its ``routes``; the composition root orders them.

    routes = Routes()

    @routes.words(c.STATUS.words, roles={STUDENT})   # c: messages.commands
    def status(ctx, session): ...

    router = Router([follow, binding, help, ..., fallback])   # the order a route wins in

A handler module's routes keep their order, and the router takes the modules in the order
it is given; fallbacks (never silence) are tried after every other route. ``Router.decide``
is the one place that says which route answers an event *and* whether this sender may use it.
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Iterable

from sqlalchemy.orm import Session

from handlers.context import EventContext

if TYPE_CHECKING:
    from bot.domain.people import Person

Handler = Callable[[EventContext, Session], list[dict]]
Matcher = Callable[[EventContext], bool]
# Finds the person (as ``load_person`` does) and, in the same statement, what the route's handler reads
# (``ctx.prefetched``): one round trip fewer on the commonest taps.
Prefetch = Callable[[EventContext, Session], "tuple[Person | None, object]"]


@dataclass(frozen=True)
class Route:
    event_type: str
    matcher: Matcher
    handler: Handler
    roles: frozenset[str] | None  # None: anyone, bound or not
    fallback: bool = False
    former_students: bool = False  # also answers a student no longer 在學 (following, binding, unbinding)
    reads_only: bool = False  # the handler only reads: it answers in the unit of work that found the person
    prefetch: Prefetch | None = None  # reads the person with the handler's data (a reads_only route's)


class Verdict(enum.Enum):
    allowed = "allowed"        # the handler answers
    unbound = "unbound"        # the route needs a role and the sender is not bound: binding help
    wrong_role = "wrong_role"  # bound, without any of the route's roles: a polite refusal
    not_enrolled = "not_enrolled"  # a bound student no longer 在學: their status and whom to ask


@dataclass(frozen=True)
class Decision:
    route: Route
    verdict: Verdict


def text_matcher(patterns: Iterable[str]) -> Matcher:
    compiled = [re.compile(p, re.IGNORECASE) for p in patterns]
    return lambda ctx: ctx.text is not None and any(p.search(ctx.text) for p in compiled)


def words_matcher(words: Iterable[str]) -> Matcher:
    """The whole text is one of ``words`` (letters in any case)."""
    wanted = {w.casefold() for w in words}
    return lambda ctx: ctx.text is not None and ctx.text.casefold() in wanted


def postback_matcher(action: str) -> Matcher:
    return lambda ctx: ctx.postback.get("a") == action


class Routes:
    """One handler module's routes, registered by decorator in the order they are written."""

    def __init__(self, former_students: bool = False) -> None:
        """``former_students``: these routes also answer a student no longer 在學 (every other route
        tells them their status and whom to ask)."""
        self.routes: list[Route] = []
        self.fallbacks: list[Route] = []
        self.former_students = former_students

    def _add(self, event_type: str, matcher: Matcher, roles: Iterable[str] | None, fallback: bool = False,
             when: Matcher | None = None, reads_only: bool = False, prefetch: Prefetch | None = None):
        if prefetch is not None and (when is not None or not reads_only):
            # its matcher runs before the person is known, and its data is read in the finding unit of work
            raise ValueError("a route with a prefetch must be reads_only and match on the event alone (no when)")
        if when is not None:
            first = matcher
            matcher = lambda ctx: first(ctx) and when(ctx)  # noqa: E731

        def register(handler: Handler) -> Handler:
            route = Route(event_type, matcher, handler, None if roles is None else frozenset(roles), fallback,
                          self.former_students, reads_only, prefetch)
            (self.fallbacks if fallback else self.routes).append(route)
            return handler
        return register

    def text(self, *patterns: str, roles: Iterable[str] | None = None, when: Matcher | None = None,
             reads_only: bool = False):
        """A text message matching any of ``patterns`` (regular expressions, case-insensitive).

        ``when``, if given, must also hold (it sees the context, e.g. whether the sender is bound).
        ``reads_only``: the handler writes nothing, so it answers in the unit of work that found the
        person (``Database.reading``: on PostgreSQL, no BEGIN and COMMIT round trips; a write raises).
        """
        return self._add("message", text_matcher(patterns), roles, when=when, reads_only=reads_only)

    def words(self, *words: str | Iterable[str], roles: Iterable[str] | None = None, when: Matcher | None = None,
              reads_only: bool = False, prefetch: Prefetch | None = None):
        """A text message that is exactly one of ``words`` (a command's label and aliases, from messages).

        ``prefetch``: when an event matches, the person is found by it, together with what the handler
        reads (``ctx.prefetched``); the route is still decided after, with the person."""
        flat = [w for group in words for w in ([group] if isinstance(group, str) else group)]
        return self._add("message", words_matcher(flat), roles, when=when, reads_only=reads_only, prefetch=prefetch)

    def postback(self, action: str, roles: Iterable[str] | None = None, reads_only: bool = False,
                 prefetch: Prefetch | None = None):
        """A postback whose data carries ``a=<action>`` (``prefetch``: as for ``words``)."""
        return self._add("postback", postback_matcher(action), roles, reads_only=reads_only, prefetch=prefetch)

    def event(self, event_type: str):
        """Any event of a LINE event type (follow, unfollow, ...)."""
        return self._add(event_type, lambda ctx: True, None)

    def fallback(self, event_type: str = "message", roles: Iterable[str] | None = None):
        """What answers when nothing else matched (never silence)."""
        return self._add(event_type, lambda ctx: True, roles, fallback=True)


class Router(Routes):
    """The routes of the given handler modules, in that order; routes may also be added directly."""

    def __init__(self, modules: Iterable[ModuleType] = ()) -> None:
        super().__init__()
        for module in modules:
            self.include(module.routes)

    def include(self, routes: Routes) -> None:
        self.routes += routes.routes
        self.fallbacks += routes.fallbacks

    def prefetching(self, ctx: EventContext) -> Route | None:
        """The first route with a prefetch whose matcher takes ``ctx`` (before its person is known): the
        route likely to answer. ``decide`` still says which does; the handler gets the prefetched data
        only if it is this route (``Dispatcher.handle``)."""
        for route in self.routes:
            if route.prefetch is not None and route.event_type == ctx.type and route.matcher(ctx):
                return route
        return None

    def decide(self, ctx: EventContext) -> Decision | None:
        """Which route answers ``ctx`` (its ``person`` loaded), and whether the sender may use it.

        The first matching route wins. A route that needs a role is only allowed for a bound
        person who has one of its roles; otherwise the verdict says why not. A fallback the
        sender may not use is passed over for the next one. None: nothing answers.

        A student who is no longer 在學 keeps only the routes declared for them (following, binding and
        unbinding); every other route, fallbacks included, answers with their status instead.
        """
        for route in [*self.routes, *self.fallbacks]:
            if route.event_type != ctx.type or not route.matcher(ctx):
                continue
            if ctx.person is not None and not ctx.person.enrolled and not route.former_students:
                return Decision(route, Verdict.not_enrolled)
            if route.roles is None or (ctx.person is not None and route.roles & ctx.person.roles):
                return Decision(route, Verdict.allowed)
            if route.fallback:
                continue
            return Decision(route, Verdict.unbound if ctx.person is None else Verdict.wrong_role)
        return None
