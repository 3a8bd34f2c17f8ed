"""說明 (help and FAQ) and 選單 (the menu): open to everyone, bound or not."""
from __future__ import annotations

import re

from sqlalchemy.orm import Session

from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import common, texts

routes = Routes()


def _roles(ctx: EventContext) -> frozenset[str]:
    return ctx.person.roles if ctx.person else frozenset()


@routes.words(c.HELP.words, reads_only=True)
def help_faq(ctx: EventContext, session: Session) -> list[dict]:
    return [common.faq(_roles(ctx), ctx.services.settings.school)]


_TOPIC_WORDS = sorted({w for topic, (aliases, _) in texts.FAQ_TOPICS.items() for w in (topic, *aliases)},
                      key=len, reverse=True)
_TOPIC = r"^(說明|help|faq)[\s:：]*(" + "|".join(map(re.escape, _TOPIC_WORDS)) + r")$"


@routes.text(_TOPIC, reads_only=True)
def help_topic(ctx: EventContext, session: Session) -> list[dict]:
    """說明 收訖明細, 說明：檔案 ...: one topic of the FAQ in detail."""
    words = re.match(_TOPIC, ctx.text or "", flags=re.IGNORECASE).group(2)
    return [common.faq_topic(words, _roles(ctx), ctx.services.settings.school)]


@routes.words(c.MENU.words, reads_only=True)
def show_menu(ctx: EventContext, session: Session) -> list[dict]:
    if ctx.person is None:
        return [common.please_bind()]
    return [common.menu(ctx.person.roles)]
