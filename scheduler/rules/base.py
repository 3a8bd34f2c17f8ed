"""What every rule shares: the reminder `Item`, the sweep's context, and reachability.

A rule turns one open window (or recent status changes) into items, one per person owed
a reminder, with a few set-based queries. Reachable means: an active binding
(``unbound_at IS NULL``), not blocked, the reminder kind not muted, and for students,
still enrolled.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, exists, select
from sqlalchemy.orm import Session, aliased

from bot.domain.stages import Stage, StageConfig, due_stage, window_stages
from bot.infra.models import LineBinding, ReminderMute, SchoolClass, Student, Teacher, Window
from bot.infra.config import SchoolRules
from bot.infra.vocab import PersonKind
from messages.reminders import Section, when
from scheduler.rules.audience import audience_where


@dataclass(slots=True)
class Item:
    """One reminder owed to one person: its ledger key, its section, and how urgent it is.

    Treated as a value: never changed, only copied with ``dataclasses.replace``. Not frozen, because a
    big sweep makes 200,000 of them and a frozen dataclass sets each field through
    ``object.__setattr__`` (3.3 µs an item against 0.6 µs, bench/README.md)."""

    rule: str
    scope: str
    stage: str
    person_kind: PersonKind
    person_id: int
    line_user_id: str
    section: Section
    deadline: datetime | None = None
    # The ledger key, made with the item (a big sweep asks for it several times per item, and
    # functools.cached_property's lookup cost more than making it).
    key: tuple[str, int, str, str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.key = (self.person_kind.value, self.person_id, self.rule, self.scope, self.stage)


@dataclass(frozen=True)
class SweepContext:
    now: datetime
    cfg: StageConfig
    tz: ZoneInfo
    school: SchoolRules = field(default_factory=SchoolRules)  # the school's own limits

    def deadline(self, window: Window) -> str:
        return when(window.ends_at, self.tz)


def _binding_and_mute(kind: PersonKind, id_col, mute_kind: str):
    """The person's binding (aliased), the condition that it is active and unblocked, and whether they
    muted ``mute_kind``: what reachable means, shared by `reachable` and `reachable_or_none`."""
    binding = aliased(LineBinding)
    active = and_(binding.person_kind == kind, binding.person_id == id_col,
                  binding.unbound_at.is_(None), binding.blocked.is_(False))
    muted = exists().where(
        ReminderMute.person_kind == kind, ReminderMute.person_id == id_col, ReminderMute.kind == mute_kind)
    return binding, active, muted


def reachable(stmt: Select, kind: PersonKind, id_col, mute_kind: str, group_by: tuple = ()) -> Select:
    """Join the person's active, unblocked binding (adds its line_user_id) and drop muted people.

    With ``group_by`` the statement is grouped by those columns and the LINE user id.
    """
    binding, active, muted = _binding_and_mute(kind, id_col, mute_kind)
    stmt = stmt.add_columns(binding.line_user_id).join(binding, active).where(~muted)
    if kind == PersonKind.student:
        stmt = stmt.where(Student.enrolled)
    if group_by:
        stmt = stmt.group_by(*group_by, binding.line_user_id)
    return stmt


def reachable_or_none(stmt: Select, kind: PersonKind, id_col, mute_kind: str) -> Select:
    """As `reachable`, but keeping everyone: the LINE user id is NULL for whoever cannot be reminded
    (a rule that lists a class for its homeroom teacher and reminds its students reads them once).
    For students, ``stmt`` must keep only enrolled ones itself (`audience_students` does)."""
    binding, active, muted = _binding_and_mute(kind, id_col, mute_kind)
    return stmt.add_columns(binding.line_user_id).outerjoin(binding, and_(active, ~muted))


def window_scope(window: Window) -> str:
    return f"window:{window.id}"


def audience_students(window: Window, *columns) -> Select:
    """Students of the window's audience (Student joined to SchoolClass), selecting ``columns``."""
    return (select(*(columns or (Student.id,)))
            .select_from(Student).join(SchoolClass, Student.class_id == SchoolClass.id)
            .where(audience_where(window.audience), Student.enrolled))


def homeroom_teachers(session: Session, window: Window, mute_kind: str) -> list[tuple[int, int, str]]:
    """Reachable homeroom teachers of the window's audience: (teacher id, class id, LINE user id)."""
    teachers = (select(Teacher.id, Teacher.homeroom_class_id)
                .join(SchoolClass, Teacher.homeroom_class_id == SchoolClass.id)
                .where(audience_where(window.audience)))
    return session.execute(reachable(teachers, PersonKind.teacher, Teacher.id, mute_kind)
                           .order_by(Teacher.id)).all()


def stage_due(window: Window, ctx: SweepContext, names: tuple[str, ...]) -> Stage | None:
    """The window's stage due now among ``names``, if any."""
    stages = window_stages(window.starts_at, window.ends_at, ctx.cfg, ctx.tz, names)
    return due_stage(stages, window.ends_at, ctx.now)


def items_for(rows, rule: str, scope: str, stage: str, kind: PersonKind, section: Section,
              deadline: datetime | None) -> list[Item]:
    """One item per (person id, line user id) row, all with the same section."""
    return [Item(rule, scope, stage, kind, person_id, line_user_id, section, deadline)
            for person_id, line_user_id in rows]
