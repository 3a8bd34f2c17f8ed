"""LINE-side records: bindings, one-time binding codes, the outbox of sends, the reminder ledger."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.infra.vocab import PersonKind
from .base import Base, utcnow
from .school import str_enum


class LineBinding(Base):
    """A LINE account bound to a person. Unbinding keeps the row (``unbound_at`` set)."""

    __tablename__ = "line_binding"
    __table_args__ = (
        Index(
            "uq_line_binding_active_user", "line_user_id", unique=True,
            sqlite_where=text("unbound_at IS NULL"), postgresql_where=text("unbound_at IS NULL"),
        ),
        Index(
            "uq_line_binding_active_person", "person_kind", "person_id", unique=True,
            sqlite_where=text("unbound_at IS NULL"), postgresql_where=text("unbound_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    line_user_id: Mapped[str] = mapped_column(String(64), index=True)
    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind"))
    person_id: Mapped[int] = mapped_column(Integer)
    bound_at: Mapped[datetime] = mapped_column(default=utcnow)
    unbound_at: Mapped[datetime | None]
    # Set by an unfollow (the user blocked the bot): nothing is pushed until they follow again.
    blocked: Mapped[bool] = mapped_column(default=False)


class BindingCode(Base):
    """A one-time binding code. Only its hash is stored; the plain code is in the CSV handed out."""

    __tablename__ = "binding_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind"))
    person_id: Mapped[int] = mapped_column(Integer, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(64))


class OutboxMessage(Base):
    """One push or multicast, written with its retry key before LINE is called."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_status", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    retry_key: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # push | multicast
    recipients: Mapped[list] = mapped_column(JSON)
    messages: Mapped[list] = mapped_column(JSON)
    purpose: Mapped[str] = mapped_column(String(64), default="")
    # pending -> sent | failed | quota (monthly limit reached; kept for later)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    # A pending row is not tried again before this (backing off per row); None: at once.
    next_attempt_at: Mapped[datetime | None]


class ReminderLedger(Base):
    """One reminder owed to one person (rule, scope, stage), written before it is sent."""

    __tablename__ = "reminder_ledger"
    __table_args__ = (UniqueConstraint("person_kind", "person_id", "rule", "scope", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_kind: Mapped[PersonKind] = mapped_column(str_enum(PersonKind, "person_kind"))
    person_id: Mapped[int] = mapped_column(Integer)
    rule: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(64))  # e.g. "window:12" or "outcome:345"
    stage: Mapped[str] = mapped_column(String(32))
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Decided not to send, and why ("budget": the month's LINE_MONTHLY_BUDGET kept it back); None: sent.
    skipped: Mapped[str | None] = mapped_column(String(16))


class RichMenu(Base):
    """The rich menu deployed for one role (student, teacher, homeroom, staff)."""

    __tablename__ = "rich_menu"

    role: Mapped[str] = mapped_column(String(16), primary_key=True)
    rich_menu_id: Mapped[str] = mapped_column(String(64))
    image_sha256: Mapped[str] = mapped_column(String(64))
    deployed_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsoleToken(Base):
    """A one-time console sign-in link for a staff member: only its hash is kept; valid minutes, once."""

    __tablename__ = "console_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    teacher_id: Mapped[int] = mapped_column(ForeignKey("teacher.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleAudit(Base):
    """One console action (sign-in, import, resolve, absence, codes issued): who, when, what."""

    __tablename__ = "console_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    teacher_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))   # name (教師編號) as it was
    action: Mapped[str] = mapped_column(String(32), index=True)
    detail: Mapped[str] = mapped_column(Text, default="")


class WebhookEvent(Base):
    """A webhook event accepted by /callback: written before the 200, so an answered-200 event is never
    lost (a process that dies leaves it for another to pick up), and unique per ``webhookEventId``, so a
    redelivery is handled once. Kept a day after it was received."""

    __tablename__ = "webhook_event"
    __table_args__ = (Index("ix_webhook_event_open", "done_at", "claimed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(128), unique=True)  # webhookEventId (or a fresh one)
    payload: Mapped[dict] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    claimed_at: Mapped[datetime | None]   # when a process took it in hand
    done_at: Mapped[datetime | None]      # answered (or nothing to answer)
