"""Routes events to handlers, registered by decorator; matchers are kept apart from the work.

    router = Router()

    @router.text(r"^(綁定)?\\s*[A-Za-z0-9]{8}$", public=True)
    def bind(ctx, session): ...

The first matching route wins, in registration order. A route that needs a role is
only reached by a bound person who has it; an unbound person gets the binding help and
a person without the role gets a polite refusal (both built in ``messages``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from sqlalchemy.orm import Session

from handlers.context import EventContext

Handler = Callable[[EventContext, Session], list[dict]]
Matcher = Callable[[EventContext], bool]


@dataclass(frozen=True)
class Route:
    event_type: str
    matcher: Matcher
    handler: Handler
    roles: frozenset[str] | None  # None: anyone, bound or not


def text_matcher(patterns: Iterable[str]) -> Matcher:
    compiled = [re.compile(p, re.IGNORECASE) for p in patterns]
    return lambda ctx: ctx.text is not None and any(p.search(ctx.text) for p in compiled)


def postback_matcher(action: str) -> Matcher:
    return lambda ctx: ctx.postback.get("a") == action


class Router:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.fallbacks: list[Route] = []

    def _add(self, event_type: str, matcher: Matcher, roles: Iterable[str] | None, fallback: bool = False):
        def register(handler: Handler) -> Handler:
            route = Route(event_type, matcher, handler, None if roles is None else frozenset(roles))
            (self.fallbacks if fallback else self.routes).append(route)
            return handler
        return register

    def text(self, *patterns: str, roles: Iterable[str] | None = None, when: Matcher | None = None):
        """A text message matching any of ``patterns`` (regular expressions, case-insensitive).

        ``when``, if given, must also hold (it sees the context, e.g. whether the sender is bound).
        """
        matcher = text_matcher(patterns)
        if when is not None:
            pattern_matcher, extra = matcher, when
            matcher = lambda ctx: pattern_matcher(ctx) and extra(ctx)  # noqa: E731
        return self._add("message", matcher, roles)

    def postback(self, action: str, roles: Iterable[str] | None = None):
        """A postback whose data carries ``a=<action>``."""
        return self._add("postback", postback_matcher(action), roles)

    def event(self, event_type: str):
        """Any event of a LINE event type (follow, unfollow, ...)."""
        return self._add(event_type, lambda ctx: True, None)

    def fallback(self, event_type: str = "message", roles: Iterable[str] | None = None):
        """What answers when nothing else matched (never silence)."""
        return self._add(event_type, lambda ctx: True, roles, fallback=True)

    def resolve(self, ctx: EventContext) -> Route | None:
        for route in [*self.routes, *self.fallbacks]:
            if route.event_type == ctx.type and route.matcher(ctx):
                if route.roles is None or (ctx.person and route.roles & ctx.person.roles):
                    return route
                if route in self.fallbacks:
                    continue
                return route  # matched, but the role is missing: the dispatcher explains
        return None
