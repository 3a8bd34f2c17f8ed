"""Binding a LINE account with a one-time code, and 解除綁定 (with a confirm step).

A bare 8-character word is taken as a code only from an unbound sender; with a leading
綁定 it always is. So a bound user's 8-letter word reaches the other routes (or the
fallback) and never counts toward the lockout.
"""
from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session

from bot.domain.binding import BindOutcome, parse_code, redeem, unbind
from bot.domain.people import Person, active_binding
from bot.domain.richmenu import link_user
from bot.infra.models import Student
from bot.infra.vocab import PersonKind
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import binding as msg
from messages import common

routes = Routes(former_students=True)  # a student who left may still unbind


def _seat(session: Session, person: Person | None) -> int | None:
    if person is None or person.kind != PersonKind.student:
        return None
    student = session.get(Student, person.id)
    return student.seat if student else None


def _is_code_attempt(ctx: EventContext) -> bool:
    text = ctx.text or ""
    return parse_code(text) is not None and (ctx.person is None or text.startswith("綁定"))


@routes.words(c.BIND_HELP.words)
def how_to_bind(ctx: EventContext, session: Session) -> list[dict]:
    return [common.please_bind()]


@routes.text(r".", when=_is_code_attempt)  # parse_code decides what a code looks like
def bind_with_code(ctx: EventContext, session: Session) -> list[dict]:
    code = parse_code(ctx.text or "")
    if code is None or ctx.user_id is None:  # the matcher rules out the first
        return [common.please_bind()]
    result = redeem(session, ctx.services.store, ctx.user_id, code, ctx.now)
    if result.outcome == BindOutcome.bound:
        ctx.after_reply.append(partial(link_user, ctx.services, ctx.user_id))  # the role's rich menu
        return [msg.welcome(result.person, _seat(session, result.person), result.replaced)]
    if result.outcome == BindOutcome.already_bound:
        return [msg.already_bound(result.person, _seat(session, result.person))]
    if result.outcome == BindOutcome.locked:
        return [msg.locked()]
    return [msg.bad_code(result.failures_left or 0)]


# 綁定 followed by letters/digits that are not a code (7 or 9 characters, a dash...): no try is counted.
@routes.text(r"^綁定碼?[\s:：]*[-A-Za-z0-9Ａ-Ｚａ-ｚ０-９\s]+$")
def malformed_code(ctx: EventContext, session: Session) -> list[dict]:
    return [msg.malformed_code()]


@routes.words(c.UNBIND.words)
def ask_to_unbind(ctx: EventContext, session: Session) -> list[dict]:
    binding = active_binding(session, ctx.user_id) if ctx.user_id else None
    if binding is None:
        return [msg.not_bound()]
    return [msg.confirm_unbind(ctx.person, binding.id, _seat(session, ctx.person))]


@routes.postback(msg.UNBIND_ACTION)
def confirm_unbind(ctx: EventContext, session: Session) -> list[dict]:
    binding = active_binding(session, ctx.user_id) if ctx.user_id else None
    if binding is None:
        return [msg.not_bound()]
    if ctx.postback.get("b") not in (None, str(binding.id)):
        return [msg.unbind_expired()]
    unbind(session, ctx.user_id, ctx.now)
    ctx.after_reply.append(partial(link_user, ctx.services, ctx.user_id))  # back to the default menu
    return [msg.unbound()]


@routes.postback(msg.UNBIND_CANCEL_ACTION)
def cancel_unbind(ctx: EventContext, session: Session) -> list[dict]:
    if ctx.person is None:
        return [common.please_bind()]
    return [msg.unbind_cancelled(ctx.person.roles)]
