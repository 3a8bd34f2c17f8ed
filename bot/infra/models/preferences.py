"""Per-person reminder preferences: which reminder kinds a person has muted (設定)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from bot.infra.vocab import PersonKind, WindowKind
from .base import Base, utcnow
from .school import str_enum

# What can be muted: each window kind's reminders, and "status_change" (an item turned 認證失敗).
STATUS_CHANGE = "status_change"
MUTABLE_KINDS: tuple[str, ...] = tuple(k.value for k in WindowKind) + (STATUS_CHANGE,)


class ReminderMute(Base):
    """One muted reminder kind of one person; no row means the kind is on."""

    __tablename__ = "reminder_mute"

    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind"), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), primary_key=True)  # one of MUTABLE_KINDS
    muted_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReminderSnooze(Base):
    """A reminder a person asked to have again later (「明天再提醒我」, 「今晚 8 點再提醒」): one per item
    (rule, scope) and stage. Until ``until`` that item is not sent to them at all; at ``until`` the sweep
    sends it once more, under its own ledger stage (``bot.domain.snooze``)."""

    __tablename__ = "reminder_snooze"

    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind"), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rule: Mapped[str] = mapped_column(String(64), primary_key=True)
    scope: Mapped[str] = mapped_column(String(64), primary_key=True)
    stage: Mapped[str] = mapped_column(String(32), primary_key=True)
    until: Mapped[datetime] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
