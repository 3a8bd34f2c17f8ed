"""Signing in to the staff console: one-time links for staff members (註冊組, 教學組, 訓育組, 管理者).

A link carries a random token; only its SHA-256 is stored. It is valid LINK_MINUTES and once: redeeming
marks it used in the same UPDATE that checks it, so two openings cannot both succeed.
"""
from __future__ import annotations

import enum
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from bot.infra.models import ConsoleToken, Teacher
from bot.infra.vocab import STAFF_DUTIES

LINK_MINUTES = 10
SESSION_HOURS = 12


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def staff_member(session: Session, teacher_id: int | None) -> Teacher | None:
    """The teacher if they hold a staff duty (註冊組, 教學組, 訓育組 or 管理者), else None."""
    teacher = session.get(Teacher, teacher_id) if teacher_id is not None else None
    return teacher if teacher is not None and teacher.duty_set & STAFF_DUTIES else None


def issue(session: Session, teacher_id: int, now: datetime) -> str:
    """A new sign-in token for a staff member (the caller checks they are staff)."""
    token = secrets.token_urlsafe(32)
    session.add(ConsoleToken(token_hash=_hash(token), teacher_id=teacher_id, created_at=now,
                             expires_at=now + timedelta(minutes=LINK_MINUTES)))
    session.flush()
    return token


def link(public_url: str, token: str) -> str:
    return f"{public_url.rstrip('/')}/console/login/{token}"


class Refused(enum.Enum):
    unknown = "unknown"    # no such link (or mistyped)
    used = "used"          # opened before
    expired = "expired"    # older than LINK_MINUTES
    not_staff = "not_staff"  # the person no longer holds a staff duty


@dataclass(frozen=True)
class Redemption:
    teacher: Teacher | None
    refused: Refused | None = None


def redeem(session: Session, token: str, now: datetime) -> Redemption:
    """Use a sign-in token once; the staff member it was issued to, or why not."""
    digest = _hash(token or "")
    row = session.scalar(select(ConsoleToken).where(ConsoleToken.token_hash == digest))
    if row is None:
        return Redemption(None, Refused.unknown)
    if row.used_at is not None:
        return Redemption(None, Refused.used)
    if row.expires_at <= now:
        return Redemption(None, Refused.expired)
    taken = session.execute(update(ConsoleToken).where(ConsoleToken.id == row.id, ConsoleToken.used_at.is_(None))
                            .values(used_at=now).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        return Redemption(None, Refused.used)
    teacher = staff_member(session, row.teacher_id)
    return Redemption(teacher, None if teacher is not None else Refused.not_staff)


def forget_old(session: Session, now: datetime) -> int:
    """Delete tokens used or expired more than a day ago (the retention job)."""
    day_ago = now - timedelta(days=1)
    return session.execute(delete(ConsoleToken).where(
        or_(ConsoleToken.expires_at < day_ago, ConsoleToken.used_at < day_ago))).rowcount or 0
