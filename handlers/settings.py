"""設定: mute or unmute each reminder kind that applies to the person; see what the bot knows about them,
and the reminders they put off (「明天再提醒我」) that are still ahead.

The kinds offered depend on the roles (a student's reminders; a teacher's 認證; a 導師's class
lists for 勾選 and 收訖明細). The postback names a kind and a state, never a person.
"""
from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain import snooze
from bot.domain.people import HOMEROOM, STAFF, STUDENT, TEACHER, Person, active_binding
from bot.infra.models import STATUS_CHANGE, ReminderMute, Student, Teacher
from bot.infra.vocab import Duty, PersonKind, WindowKind
from handlers.context import EventContext
from handlers.routing import Routes
from messages import commands as c
from messages import settings as msg

routes = Routes()

STUDENT_KINDS = (WindowKind.outcome_upload.value, WindowKind.performance_upload.value, WindowKind.pick.value,
                 WindowKind.receipt.value, STATUS_CHANGE)
TEACHER_KINDS = (WindowKind.certification.value,)
HOMEROOM_KINDS = (WindowKind.pick.value, WindowKind.receipt.value)


def kinds_for(person: Person) -> list[str]:
    """The reminder kinds this person can receive, hence mute."""
    kinds: list[str] = []
    if STUDENT in person.roles:
        kinds += STUDENT_KINDS
    if TEACHER in person.roles or Duty.academic in person.duties:  # 教學組 is told of certification too
        kinds += TEACHER_KINDS
    if HOMEROOM in person.roles:
        kinds += [k for k in HOMEROOM_KINDS if k not in kinds]
    return kinds


def muted_kinds(session: Session, person: Person) -> set[str]:
    return set(session.scalars(select(ReminderMute.kind).where(
        ReminderMute.person_kind == person.kind, ReminderMute.person_id == person.id)))


def _bubble(ctx: EventContext, session: Session) -> dict:
    person = ctx.person
    binding = active_binding(session, ctx.user_id) if ctx.user_id else None
    seat = number = None
    if person.kind == PersonKind.student:
        student = session.get(Student, person.id)
        seat, number = (student.seat, student.student_no) if student else (None, None)
    else:
        teacher = session.get(Teacher, person.id)
        number = teacher.teacher_no if teacher else None
    snoozed = [(s.rule, s.until) for s in snooze.active(session, person.kind, person.id, ctx.now)]
    return msg.settings_bubble(person, kinds_for(person), muted_kinds(session, person),
                               binding.bound_at if binding else None, ctx.services.settings.tz, seat, number, snoozed)


@routes.words(c.SETTINGS.words, roles={STUDENT, TEACHER, HOMEROOM, STAFF})
def show_settings(ctx: EventContext, session: Session) -> list[dict]:
    return [_bubble(ctx, session)]


@routes.postback(msg.MUTE_ACTION, roles={STUDENT, TEACHER, HOMEROOM, STAFF})
def toggle(ctx: EventContext, session: Session) -> list[dict]:
    kind, on = ctx.postback.get("k"), ctx.postback.get("on")
    person = ctx.person
    if kind not in kinds_for(person) or on not in ("0", "1"):
        return [msg.bad_setting()]
    was_on = kind not in muted_kinds(session, person)
    want_on = on == "1"
    if want_on and not was_on:
        session.execute(delete(ReminderMute).where(
            ReminderMute.person_kind == person.kind, ReminderMute.person_id == person.id, ReminderMute.kind == kind))
    elif not want_on and was_on:
        session.add(ReminderMute(person_kind=person.kind, person_id=person.id, kind=kind, muted_at=ctx.now))
    session.flush()
    return [msg.changed(kind, want_on, was_on), _bubble(ctx, session)]
