"""Binding a LINE account with a one-time code, and 解除綁定. (Filled in by the binding work.)"""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.context import EventContext
from handlers import router
from messages import common


@router.text(r"^綁定說明$")
def how_to_bind(ctx: EventContext, session: Session) -> list[dict]:
    return [common.please_bind()]
