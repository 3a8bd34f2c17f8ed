"""期限: the open and coming windows of the school's schedule that concern this student."""
from __future__ import annotations

from sqlalchemy.orm import Session

from bot.context import EventContext
from bot.people import STUDENT
from bot.queries.student import student_of, windows_for
from handlers import router
from messages import deadlines as msg
from messages import status as status_msg


@router.text(r"^(期限|截止日?|期程)$", roles={STUDENT})
def my_deadlines(ctx: EventContext, session: Session) -> list[dict]:
    student = student_of(session, ctx.person.id)
    if student is None:
        return [status_msg.no_term()]
    return [msg.deadlines(windows_for(session, student, ctx.now), ctx.now, ctx.services.settings.tz)]
