"""The homeroom nudge (一鍵提醒): a 導師 reminds exactly the students on one of their class lists.

At most once per list per class per local day, and each student gets one message. The cost is
shown first: a multicast to n people counts n messages. Exactly-once rests on ReminderLedger:
one row per student (rule ``nudge:<list>``, scope ``class:<id>:<date>``, stage ``nudge``) plus
one for the 導師 who sent it, inserted with ON CONFLICT DO NOTHING in the handler's
transaction together with the outbox rows; a concurrent second nudge inserts nothing and is
refused. The outbox rows are delivered after the reply (``ctx.after_reply``).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session

from bot.domain import ledger
from bot.domain.people import students_on_line
from bot.domain.queries.homeroom import ClassList
from bot.infra.line_limits import MAX_MULTICAST_RECIPIENTS
from bot.infra.models import ReminderLedger
from bot.infra.sender import Sender
from bot.infra.vocab import PersonKind

STAGE = "nudge"
PURPOSE = "nudge"


def rule(key: str) -> str:
    return f"nudge:{key}"


def scope(class_id: int, now: datetime, tz: ZoneInfo) -> str:
    return f"class:{class_id}:{now.astimezone(tz).date().isoformat()}"


@dataclass(frozen=True)
class NudgePlan:
    """Who a nudge of one list would reach, what it costs, and whether today's was already sent."""

    listing: ClassList
    recipients: tuple[tuple[int, str], ...]   # (student id, LINE user id), reachable students
    unreachable: int                          # on the list but not bound (or blocked)
    sent_today: bool

    @property
    def cost(self) -> int:
        """Counted messages: one per recipient (a multicast to n counts n)."""
        return len(self.recipients)


def already_sent(session: Session, key: str, class_id: int, now: datetime, tz: ZoneInfo) -> bool:
    return bool(session.scalar(select(exists().where(
        ReminderLedger.rule == rule(key), ReminderLedger.scope == scope(class_id, now, tz)))))


def sent_lists(session: Session, keys: list[str], class_id: int, now: datetime, tz: ZoneInfo) -> set[str]:
    """Which of the lists ``keys`` of the class were nudged today (one query for all of them)."""
    by_rule = {rule(key): key for key in keys}
    if not by_rule:
        return set()
    found = session.scalars(select(ReminderLedger.rule).distinct().where(
        ReminderLedger.rule.in_(list(by_rule)), ReminderLedger.scope == scope(class_id, now, tz)))
    return {by_rule[r] for r in found}


def plan(session: Session, listing: ClassList, now: datetime, tz: ZoneInfo) -> NudgePlan:
    """Reachable students of the list (在學, active unblocked binding), in seat order; one query."""
    ids = [r.student_id for r in listing.rows]
    found = students_on_line(session, ids)
    recipients = tuple((i, found[i]) for i in ids if i in found)
    return NudgePlan(listing, recipients, len(ids) - len(recipients),
                     already_sent(session, listing.key, listing.class_id, now, tz))


def record(session: Session, sender: Sender, nudge: NudgePlan, teacher_id: int, message: dict, now: datetime,
           tz: ZoneInfo) -> list[int] | None:
    """Write the ledger rows and the outbox rows (in ``session``'s transaction); returns the outbox
    ids to deliver after commit, or None when this list was nudged today already (nothing written)."""
    if nudge.sent_today or not nudge.recipients:
        return None
    key, where = rule(nudge.listing.key), scope(nudge.listing.class_id, now, tz)
    people = [(PersonKind.teacher.value, teacher_id)] + [(PersonKind.student.value, sid) for sid, _ in nudge.recipients]
    keys = [(kind, pid, key, where, STAGE) for kind, pid in people]
    claimed = ledger.claim(session, keys, now)
    if len(claimed) != len(set(keys)) or already_elsewhere(session, key, where, list(claimed.values())):
        ledger.release(session, list(claimed.values()))
        return None
    outbox_ids: list[int] = []
    links: list[tuple[int, int]] = []
    for start in range(0, len(nudge.recipients), MAX_MULTICAST_RECIPIENTS):
        chunk = nudge.recipients[start:start + MAX_MULTICAST_RECIPIENTS]
        kind = "push" if len(chunk) == 1 else "multicast"
        row = sender.enqueue(kind, [uid for _, uid in chunk], [message], PURPOSE, session=session)
        outbox_ids.append(row.id)
        links += [(claimed[(PersonKind.student.value, sid, key, where, STAGE)], row.id) for sid, _ in chunk]
    ledger.link(session, links)
    return outbox_ids


def already_elsewhere(session: Session, key: str, where: str, ours: list[int]) -> bool:
    """Rows of this list and day that are not ours: another 導師 (or tap) nudged it first."""
    return bool(session.scalar(select(exists().where(
        and_(ReminderLedger.rule == key, ReminderLedger.scope == where, ReminderLedger.id.not_in(ours))))))
