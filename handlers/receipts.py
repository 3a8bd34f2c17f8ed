"""收訖明細: see the batches, 確認無誤, or 提出疑義 on one item with a typed reason.

Postback data names a batch and an item, never a person: the batch must belong to the bound
student (otherwise: "not found", nothing changes). The reason is typed as a normal message
while the conversation state (bot/domain/conversation.py, a few minutes) says an objection is being
written, shown back, and recorded only when 送出 is tapped (so a stray message later is never
sent to the office); menu words typed meanwhile still reach their own routes.
"""
from __future__ import annotations

import re
from functools import partial

from sqlalchemy.orm import Session

from bot.domain import conversation
from bot.domain import objections
from bot.domain.people import STUDENT
from bot.domain.queries.student import batches_of
from bot.infra.config import SchoolRules
from bot.infra.vocab import ReceiptItem
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import common
from messages import receipts as msg

routes = Routes()

FLOW = "objection"
_ID = re.compile(r"^[0-9]{1,12}$")
# Words that are commands, never an objection's reason.
_COMMANDS = {label for labels in common.MENU_BY_ROLE.values() for label in labels} | {"選單", "說明"}


def _batch_id(ctx: EventContext) -> int | None:
    value = ctx.postback.get("b", "")
    return int(value) if _ID.match(value) else None


def _item(value: str | None) -> ReceiptItem | None:
    try:
        return ReceiptItem(value)
    except ValueError:
        return None


def _tz(ctx: EventContext):
    return ctx.services.settings.tz


def _school(ctx: EventContext) -> SchoolRules:
    return ctx.services.settings.school


@routes.words(c.RECEIPTS.words, roles={STUDENT})
def show_receipts(ctx: EventContext, session: Session) -> list[dict]:
    return msg.receipts(batches_of(session, ctx.person.id, ctx.now), ctx.now, _tz(ctx), _school(ctx))


@routes.postback(msg.CONFIRM_ACTION, roles={STUDENT})
def confirm_batch(ctx: EventContext, session: Session) -> list[dict]:
    batch_id = _batch_id(ctx)
    if batch_id is None:
        return [msg.bad_button()]
    decision = objections.confirm(session, ctx.person.id, batch_id, ctx.now)
    if not decision.ok:
        return [msg.refused(decision.refusal, decision.batch, _tz(ctx))]
    conversation.clear(ctx.services.store, ctx.user_id)
    return [msg.confirmed(decision.batch, decision.fresh, _tz(ctx))]


@routes.postback(msg.OBJECT_ACTION, roles={STUDENT})
def start_objection(ctx: EventContext, session: Session) -> list[dict]:
    batch_id = _batch_id(ctx)
    if batch_id is None:
        return [msg.bad_button()]
    decision = objections.can_object(session, ctx.person.id, batch_id, ctx.now)
    if not decision.ok:
        return [msg.refused(decision.refusal, decision.batch, _tz(ctx))]
    return [msg.choose_item(decision.batch)]


@routes.postback(msg.ITEM_ACTION, roles={STUDENT})
def choose_item(ctx: EventContext, session: Session) -> list[dict]:
    batch_id, item = _batch_id(ctx), _item(ctx.postback.get("i"))
    if batch_id is None or item is None:
        return [msg.bad_button()]
    decision = objections.can_object(session, ctx.person.id, batch_id, ctx.now)
    if not decision.ok:
        return [msg.refused(decision.refusal, decision.batch, _tz(ctx))]
    if decision.batch.open_objection(item) is not None:
        return [msg.objection_pending(item, _school(ctx))]
    conversation.start(ctx.services.store, ctx.user_id, FLOW, batch=batch_id, item=item.value)
    return [msg.ask_reason(decision.batch, item, _school(ctx))]


def _writing(ctx: EventContext) -> bool:
    return (ctx.text not in _COMMANDS
            and conversation.get(ctx.services.store, ctx.user_id, FLOW) is not None)


@routes.words(c.CANCEL.words, roles={STUDENT}, when=_writing)
def cancel_objection(ctx: EventContext, session: Session) -> list[dict]:
    conversation.clear(ctx.services.store, ctx.user_id)
    return [msg.cancelled()]


@routes.text(r"[\s\S]", roles={STUDENT}, when=_writing)
def objection_reason(ctx: EventContext, session: Session) -> list[dict]:
    """The typed reason: kept in the conversation and shown back with 送出 (typing again replaces it)."""
    store = ctx.services.store
    state = conversation.get(store, ctx.user_id, FLOW) or {}
    item = _item(state.get("item"))
    batch_id = state.get("batch")
    if item is None or not isinstance(batch_id, int):
        conversation.clear(store, ctx.user_id)
        return [msg.bad_button()]
    reason, bad = objections.clean_reason(ctx.text or "")
    if bad is not None:
        return [msg.reason_problem(bad, len(reason))]
    decision = objections.can_object(session, ctx.person.id, batch_id, ctx.now)
    if not decision.ok:
        conversation.clear(store, ctx.user_id)
        return [msg.refused(decision.refusal, decision.batch, _tz(ctx))]
    conversation.start(store, ctx.user_id, FLOW, batch=batch_id, item=item.value, reason=reason)
    return [msg.confirm_reason(decision.batch, item, reason, _school(ctx))]


@routes.postback(msg.SEND_ACTION, roles={STUDENT})
def send_objection(ctx: EventContext, session: Session) -> list[dict]:
    """送出: record the objection held in the conversation and tell the office (once)."""
    batch_id, item = _batch_id(ctx), _item(ctx.postback.get("i"))
    if batch_id is None or item is None:
        return [msg.bad_button()]
    store = ctx.services.store
    state = conversation.get(store, ctx.user_id, FLOW) or {}
    if state.get("batch") != batch_id or state.get("item") != item.value or not state.get("reason"):
        # a second tap after sending, or a button from an expired conversation
        decision = objections.can_object(session, ctx.person.id, batch_id, ctx.now)
        if decision.batch is not None and decision.batch.open_objection(item) is not None:
            return [msg.objection_pending(item, _school(ctx))]
        return [msg.expired()]
    decision = objections.raise_objection(session, ctx.person.id, batch_id, item, state["reason"], ctx.now)
    conversation.clear(store, ctx.user_id)
    if decision.refusal == objections.Refusal.pending:
        return [msg.objection_pending(item, _school(ctx))]
    if not decision.ok:
        return [msg.refused(decision.refusal, decision.batch, _tz(ctx))]
    row = objections.one(session, decision.objection.id)
    sender = ctx.services.sender
    due = objections.answer_by(row.created_at, ctx.services.settings.objection_answer_days, _tz(ctx))
    notice = objections.enqueue_office_notice(
        session, sender, _school(ctx).office(item), [msg.office_notice(row, _tz(ctx), due)])
    if notice.outbox_id is not None:
        ctx.after_reply.append(partial(sender.deliver, notice.outbox_id))
    return [msg.objection_recorded(decision.batch, item, row.created_at, _tz(ctx), notice.duty, _school(ctx))]
