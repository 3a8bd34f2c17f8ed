"""The console's audit trail: every action (sign-in, import, resolve, absence, codes issued) with who
and when. The retention job forgets entries older than AUDIT_DAYS."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.infra.models import ConsoleAudit, Teacher

AUDIT_DAYS = 730  # two years, as long as a school keeps a leaver's records by default

ACTIONS = {  # action -> what the 稽核 page calls it
    "sign_in": "登入",
    "sign_out": "登出",
    "import": "匯入",
    "resolve": "處理疑義",
    "absence": "教師請假",
    "absence_end": "結束請假",
    "codes": "產生綁定碼",
    "export": "匯出提醒紀錄",
}


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor: str
    action: str
    detail: str

    @property
    def label(self) -> str:
        return ACTIONS.get(self.action, self.action)


def record(session: Session, teacher: Teacher, action: str, detail: str, now: datetime) -> None:
    """Write one entry in the caller's transaction (so it lands with what it describes)."""
    session.add(ConsoleAudit(at=now, teacher_id=teacher.id, actor=f"{teacher.name}（{teacher.teacher_no}）"[:64],
                             action=action, detail=detail))


def entries(session: Session, action: str | None = None, limit: int = 200) -> list[Entry]:
    """The latest entries first (optionally of one action)."""
    stmt = select(ConsoleAudit.at, ConsoleAudit.actor, ConsoleAudit.action, ConsoleAudit.detail)
    if action:
        stmt = stmt.where(ConsoleAudit.action == action)
    return [Entry(*row) for row in session.execute(stmt.order_by(ConsoleAudit.at.desc(), ConsoleAudit.id.desc())
                                                   .limit(limit))]


def forget_old(session: Session, now: datetime) -> int:
    return session.execute(delete(ConsoleAudit).where(ConsoleAudit.at < now - timedelta(days=AUDIT_DAYS))).rowcount or 0
