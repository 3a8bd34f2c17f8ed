"""待認證: a teacher's pending 課程學習成果 in their own courses and in those they cover as proxy."""
from __future__ import annotations

from sqlalchemy.orm import Session

from handlers.context import EventContext
from bot.domain.people import TEACHER
from bot.domain.queries.teacher import pending_for_teacher
from handlers import router
from messages import certifications as msg
from bot.domain.stages import StageConfig, stage_config_from_env


def stage_config() -> StageConfig:
    """The school's reminder stages (for the escalation point); defaults if the settings are bad."""
    try:
        return stage_config_from_env()
    except ValueError:
        return StageConfig()


@router.text(r"^待認證$", r"^認證$", roles={TEACHER})
def pending(ctx: EventContext, session: Session) -> list[dict]:
    settings = ctx.services.settings
    view = pending_for_teacher(session, ctx.person.id, ctx.now, stage_config(), settings.tz)
    return [msg.pending(view, ctx.now, settings.tz, settings.platform_url)]
