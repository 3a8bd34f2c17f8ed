"""說明 (help and FAQ) and 選單 (the menu): open to everyone, bound or not."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.context import EventContext
from handlers import router
from messages import common


def _roles(ctx: EventContext) -> frozenset[str]:
    return ctx.person.roles if ctx.person else frozenset()


@router.text(r"^(說明|幫助|help|faq|\?|？)$")
def help_faq(ctx: EventContext, session: Session) -> list[dict]:
    return [common.faq(_roles(ctx))]


@router.text(r"^(選單|menu|功能)$")
def show_menu(ctx: EventContext, session: Session) -> list[dict]:
    if ctx.person is None:
        return [common.please_bind()]
    return [common.menu(ctx.person.roles)]
