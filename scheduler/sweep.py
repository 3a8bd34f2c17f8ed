"""One reminder sweep: what is due, folded to one message per person, sent exactly once.

1. collect: the rules (a few set-based queries) list every item due now; a person's items they
   snoozed (「明天再提醒我」) wait until then, and at that time go out once more under their own
   ledger stage (``bot.domain.snooze``, one query); items already in the ledger are dropped (one query).
2. fold: each person's items become ONE message; identical messages are grouped for
   multicast (chunks of at most 500).
3. hold / budget: inside QUIET_HOURS nothing is written or sent (``held``). With a monthly
   budget (LINE_MONTHLY_BUDGET, else LINE's quota) the month is planned (``scheduler.budget``):
   what the rest of the month will need is set aside by tier, and this sweep's least needed
   people (window openings first) are skipped for good when they do not fit. When LINE's
   remaining quota is still short, the most urgent people go first (soonest deadline,
   teachers before students) and staff (管理者, 註冊組) are told once a day; the rest get
   no ledger rows and wait for a later sweep.
4. record, then send: in one transaction the ledger rows are inserted (a row someone else
   already inserted makes this sweep drop that person), the outbox rows are written with
   their retry keys and linked; after commit the outbox rows are delivered. A crash after
   commit leaves outbox rows pending for `retry_outbox` (same retry key: LINE answers 409
   if it had accepted). A store lock keeps sweeps from overlapping; the ledger's unique
   constraint is the second line of defence.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, time
from zoneinfo import ZoneInfo
from typing import Iterable

from sqlalchemy import delete, exists, select
from sqlalchemy.orm import Session

from bot.domain import ledger, snooze
from bot.domain.stages import StageConfig, in_quiet_hours
from bot.infra.gc_pause import paused_gc
from bot.infra.sender import Quota
from bot.infra.line_limits import MAX_MULTICAST_RECIPIENTS
from bot.infra.models import ReminderLedger, Teacher, TeacherDuty
from bot.infra.overlap import overlapped
from bot.infra.services import Services
from bot.infra.store import held
from bot.infra.vocab import Duty, PersonKind
from messages import reminders
from scheduler import budget
from scheduler.rules import Item, SweepContext, collect
from scheduler.rules.base import reachable

log = logging.getLogger(__name__)

LOCK_NAME = "sweep"
LOCK_TTL = 30  # seconds; renewed while the sweep runs, so a crashed sweep frees it within this
QUOTA_RULE = "quota_notice"
NOTICE_DUTIES = (Duty.admin, Duty.registry)
PURPOSE = "reminder"
DELIVERY_THREADS = 8  # concurrent LINE requests per sweep (the sender keeps 32 connections)
FAR_FUTURE = datetime.max.replace(tzinfo=None)


@dataclass
class SweepReport:
    """What one sweep did (or, in a dry run, would do)."""

    now: datetime
    dry_run: bool = False
    skipped: str | None = None             # "locked": another worker is sweeping
    held: int = 0                          # people waiting for quiet hours to end
    reached: Counter = field(default_factory=Counter)  # (rule, stage) -> people
    people: int = 0                        # people messaged (or to be)
    counted: int = 0                       # counted LINE messages (a multicast to n counts n)
    requests: int = 0                      # push / multicast requests
    deferred: int = 0                      # people kept for a later sweep (quota)
    staff_notified: int = 0
    quota_remaining: int | None = None
    undelivered: int = 0                   # outbox rows left for retry_outbox
    month: budget.MonthPlan | None = None  # the month's budget, when there is one

    def lines(self, tz: ZoneInfo | None = None) -> list[str]:
        """The report, headed by its moment: in ``tz`` (the school's) to the minute, else UTC (logs)."""
        head = "（試算，未寫入也未發送）" if self.dry_run else ""
        moment = f"{self.now.astimezone(tz):%Y-%m-%d %H:%M}" if tz is not None else self.now.isoformat()
        out = [f"提醒掃描 {moment}{head}"]
        if self.skipped:
            return out + ["另一個排程正在執行，本次略過。"]
        for (rule, stage), n in sorted(self.reached.items()):
            out.append(f"  {rule:<22} {stage:<16} {n:>6} 人")
        if self.held:
            out.append(f"安靜時段：以上 {self.held} 人的提醒暫緩，時段結束後送出。")
        out.append(f"合計：{self.people} 人，計費訊息 {self.counted} 則，LINE 請求 {self.requests} 次")
        if self.month is not None:
            out += self.month.lines()
        if self.quota_remaining is not None:
            out.append(f"本月剩餘額度：{self.quota_remaining} 則")
        if self.deferred:
            out.append(f"額度不足：{self.deferred} 人暫緩，已通知 {self.staff_notified} 位管理者/註冊組。")
        if self.undelivered:
            out.append(f"尚未送達（稍後重試）：{self.undelivered} 則請求")
        return out


@dataclass(slots=True)
class Recipient:
    """One person's folded reminder for this sweep."""

    line_user_id: str
    person_kind: PersonKind
    items: list[Item]
    snooze: tuple[tuple[str, str], ...] = ()  # the snooze buttons: (label, postback data)

    def urgency(self) -> tuple:
        """(soonest deadline, teachers first, LINE user id): the most urgent sorts first. Deadlines are
        all aware (UTC), so the soonest is found before its zone is dropped (once, not per item)."""
        items = self.items
        soonest = items[0].deadline if len(items) == 1 else min(  # most people have one item
            (i.deadline for i in items if i.deadline is not None), default=None)
        return (FAR_FUTURE if soonest is None else soonest.replace(tzinfo=None),
                0 if self.person_kind == PersonKind.teacher else 1, self.line_user_id)

    def sections(self) -> tuple[reminders.Section, ...]:
        """What the message says, in order: a staff notice first, then the soonest deadline."""
        if len(self.items) == 1:  # most people: nothing to order
            return (self.items[0].section,)
        ordered = sorted(self.items, key=lambda i: (i.rule != QUOTA_RULE, i.deadline is None,
                                                    i.deadline or datetime.min, i.rule, i.scope))
        return tuple(i.section for i in ordered)


def run_sweep(services: Services, now: datetime | None = None, dry_run: bool = False,
              cfg: StageConfig | None = None, forecast: bool = True) -> SweepReport:
    """Run one sweep as of ``now`` (default: the services' clock), with the school's stages unless ``cfg``.
    A dry run shows the month's budget too, unless ``forecast`` is False (a quick look)."""
    now = now or services.clock()
    ctx = SweepContext(now=now, cfg=cfg or services.settings.stages, tz=services.settings.tz,
                       school=services.settings.school)
    if dry_run:
        return _sweep(services, ctx, dry_run=True, forecast=forecast)
    with held(services.store, LOCK_NAME, LOCK_TTL) as got:
        if not got:
            log.info("a sweep is running elsewhere; skipped")
            return SweepReport(now=now, skipped="locked")
        return _sweep(services, ctx, dry_run=False)


def _sweep(services: Services, ctx: SweepContext, dry_run: bool, forecast: bool = True) -> SweepReport:
    with paused_gc():  # planning and recording make no reference cycles, only a great many objects
        report, outbox_ids = _plan_and_record(services, ctx, dry_run, forecast)
    for outbox_id, result in zip(outbox_ids, _deliver_all(services, outbox_ids)):
        if result.status == "quota":
            report.deferred += _forget(services, outbox_id)
        elif not result.ok:
            report.undelivered += 1
    return report


def _plan_and_record(services: Services, ctx: SweepContext, dry_run: bool,
                     forecast: bool) -> tuple[SweepReport, list[int]]:
    """Steps 1-4 up to the commit: the report and the outbox rows to deliver (none in a dry run).
    What it built is dropped when it returns: the outbox rows hold the messages now."""
    report = SweepReport(now=ctx.now, dry_run=dry_run)
    with services.db.session() as session:
        reading = None if services.db.is_sqlite else services.db.reading  # SQLite: one rule at a time
        items = _snoozed(session, collect(session, ctx, reading), ctx.now)
        done = ledger.held(session, {(i.rule, i.scope, i.stage) for i in items})
        recipients = fold(item for item in items if item.key not in done) if done else fold(items)
        if not recipients and not (dry_run and forecast):
            return report, []
        if recipients and in_quiet_hours(ctx.now, services.settings.quiet_hours, ctx.tz):
            _tally(report, recipients, requests=0)   # what waits, per rule and stage
            report.held, report.people, report.counted = len(recipients), 0, 0
            return report, []
        quota = _quota(services)
        limit = services.settings.line_monthly_budget
        if limit is None and quota is not None:
            limit = quota.limit
        if limit is not None and (recipients or dry_run) and forecast:
            report.month, recipients, skipped = budget.plan_month(session, ctx, limit, recipients)
            if skipped and not dry_run:
                budget.skip(session, skipped, services.clock())
                log.warning("budget: %s people skipped (%s left this month before this sweep)",
                            len(skipped), report.month.budget - report.month.used)
        recipients = _budget(session, ctx, recipients, report, quota)
        if not recipients:
            return report, []
    _offer_snooze(recipients, ctx, services.settings.quiet_hours)
    if dry_run:
        _tally(report, recipients, requests=len(group(recipients)))
        return report, []
    outbox_ids, sent = _record(services, recipients)
    _tally(report, sent, requests=len(outbox_ids))
    return report, outbox_ids


def _deliver_all(services: Services, outbox_ids: list[int]) -> list:
    """Deliver the outbox rows, most urgent first, a few requests at a time (`Sender.deliver_many`)."""
    return services.sender.deliver_many(outbox_ids, DELIVERY_THREADS) if outbox_ids else []


def fold(items: Iterable[Item]) -> dict[str, Recipient]:
    """Everything due for one LINE account, in one place."""
    folded: dict[str, Recipient] = {}
    for item in items:
        recipient = folded.get(item.line_user_id)
        if recipient is None:  # (setdefault would make a Recipient for every item, not every person)
            recipient = folded[item.line_user_id] = Recipient(item.line_user_id, item.person_kind, [])
        recipient.items.append(item)
    return folded


Content = tuple[tuple[reminders.Section, ...], tuple[tuple[str, str], ...]]  # sections, snooze buttons


def group(recipients: dict[str, Recipient]) -> list[tuple[Content, list[Recipient]]]:
    """Recipients with the same sections and snooze buttons (so byte-identical messages) together, in
    chunks of at most 500, the most urgent first (a chunk ranks by its most urgent member). The messages
    themselves are built batch by batch when recorded (``_record``), so a big sweep never holds them all."""
    by_content: dict[Content, list[Recipient]] = {}
    for recipient in sorted(recipients.values(), key=Recipient.urgency):
        by_content.setdefault((recipient.sections(), recipient.snooze), []).append(recipient)
    chunks = []
    for content, members in by_content.items():  # the builder is deterministic: same content, same bytes
        for start in range(0, len(members), MAX_MULTICAST_RECIPIENTS):
            chunks.append((content, members[start:start + MAX_MULTICAST_RECIPIENTS]))
    return chunks


def _quota(services: Services) -> Quota | None:
    """LINE's monthly quota and usage; None when LINE cannot say (reminders go on without it) or
    there is no channel to ask (no LINE_CHANNEL_ACCESS_TOKEN: a dry run on a school's data)."""
    if not services.settings.channel_access_token:
        return None
    try:
        return services.sender.quota()
    except Exception as exc:  # the quota API failing must not stop reminders
        log.warning("could not read the message quota (%s); sending without a budget", type(exc).__name__)
        return None


def _budget(session: Session, ctx: SweepContext, recipients: dict[str, Recipient], report: SweepReport,
            quota: Quota | None) -> dict[str, Recipient]:
    """Keep what LINE's remaining quota allows: staff notice first, then by urgency."""
    if quota is None or not recipients:
        return recipients
    remaining = quota.remaining
    report.quota_remaining = remaining
    if remaining is None or len(recipients) <= remaining:
        return recipients
    ordered = sorted(recipients.values(), key=Recipient.urgency)
    notices = _staff_notices(session, ctx)
    kept: dict[str, Recipient] = {}
    for uid, notice in notices.items():
        if len(kept) >= remaining:
            break
        kept[uid] = recipients.get(uid) or Recipient(uid, PersonKind.teacher, [])
        kept[uid].items.append(notice)
    for recipient in ordered:
        if len(kept) >= remaining:
            break
        kept.setdefault(recipient.line_user_id, recipient)
    report.deferred = sum(1 for uid in recipients if uid not in kept)
    report.staff_notified = sum(1 for uid in notices if uid in kept)
    if notices:  # now that the count of kept-back people is known, write it in the notice
        section = reminders.quota_notice(report.deferred, remaining)
        for uid in notices:
            if uid in kept:
                kept[uid].items = [replace(i, section=section) if i.rule == QUOTA_RULE else i for i in kept[uid].items]
    log.warning("quota: %s left this month; %s people kept for later", remaining, report.deferred)
    return kept


def _staff_notices(session: Session, ctx: SweepContext) -> dict[str, Item]:
    """Today's quota notice for each reachable 管理者/註冊組 not told yet today."""
    scope = f"day:{ctx.now.astimezone(ctx.tz).date().isoformat()}"
    told = exists().where(ReminderLedger.person_kind == PersonKind.teacher, ReminderLedger.person_id == Teacher.id,
                          ReminderLedger.rule == QUOTA_RULE, ReminderLedger.scope == scope)
    staff = select(Teacher.id).where(
        Teacher.id.in_(select(TeacherDuty.teacher_id).where(TeacherDuty.duty.in_(NOTICE_DUTIES))), ~told)
    placeholder = reminders.quota_notice(0, 0)
    return {uid: Item(QUOTA_RULE, scope, "notice", PersonKind.teacher, teacher_id, uid, placeholder, ctx.now)
            for teacher_id, uid in session.execute(
                reachable(staff, PersonKind.teacher, Teacher.id, QUOTA_RULE).order_by(Teacher.id))}


def _record(services: Services, recipients: dict[str, Recipient]) -> tuple[list[int], dict[str, Recipient]]:
    """Write outbox rows and claim ledger rows (each pointing at its outbox row) in one transaction;
    returns outbox ids and who they reach.

    The outbox rows are written a batch at a time (messages built per batch), then the ledger rows
    are claimed in key order, so two sweeps racing on the same people wait on each other's rows
    instead of deadlocking. A person any of whose ledger rows was already claimed by someone else
    (a concurrent sweep) is dropped whole: taken out of the outbox rows, their other rows released;
    the other sweep sends those items, and the rest stay owed. Statements: a few per batch.
    """
    now = services.clock()
    with services.db.session() as session:
        chunks = group(recipients)
        pg = session.get_bind().dialect.name == "postgresql"
        batches = [chunks[start:start + ledger.OUTBOX_BATCH] for start in range(0, len(chunks), ledger.OUTBOX_BATCH)]
        prepared = (ledger.outbox_batch([("push" if len(members) == 1 else "multicast",
                                          [m.line_user_id for m in members],
                                          [reminders.reminder_message(list(sections), buttons)])
                                         for (sections, buttons), members in batch], pg)
                    for batch in batches)  # messages built a batch at a time, while the last one is written
        written = overlapped(prepared, lambda b: ledger.write_outbox(session, b, PURPOSE, now))
        outbox_of: dict[ledger.LedgerKey, int] = {}
        outbox_ids: list[int] = []
        for ids, batch in zip(written, batches):
            outbox_of.update((i.key, outbox_id) for outbox_id, (_, members) in zip(ids, batch)
                             for m in members for i in m.items)
            outbox_ids += ids
        lost = ledger.claim_sends(session, outbox_of, now)  # keys another sweep holds
        taken = {uid for uid, r in recipients.items() if any(i.key in lost for i in r.items)} if lost else set()
        if taken:
            log.info("%s people were already being reminded by another sweep", len(taken))
            keys = [i.key for uid in taken for i in recipients[uid].items]
            ledger.release_sends(session, keys, {outbox_of[k] for k in keys})
            gone = ledger.drop_recipients(session, {outbox_of[k] for k in keys}, taken)
            outbox_ids = [i for i in outbox_ids if i not in gone]
        sending = {uid: r for uid, r in recipients.items() if uid not in taken}
    return outbox_ids, sending


def _snoozed(session: Session, items: list[Item], now: datetime) -> list[Item]:
    """Items a person snoozed: none before the snoozed time; at it, the snoozed stage once more under
    its own ledger stage (a later stage that fell due meanwhile goes out as usual instead)."""
    triples = {(i.rule, i.scope, i.stage) for i in items}  # a few distinct ones, whatever the number of people
    found = snooze.for_items(session, {(rule, scope) for rule, scope, stage in triples
                                       if snooze.snoozable(rule, scope, stage)})
    if not found:
        return items
    kept: list[Item] = []
    for item in items:
        snoozes = found.get((item.person_kind.value, item.person_id, item.rule, item.scope))
        verdict = snooze.verdict(snoozes, item.stage, now) if snoozes else None
        if verdict == "wait":
            continue
        kept.append(replace(item, stage=snooze.again(item.stage)) if verdict == "again" else item)
    return kept


def _offer_snooze(recipients: dict[str, Recipient], ctx: SweepContext, quiet: tuple[time, time]) -> None:
    """Give each reminder its snooze buttons (for the items that can be snoozed, soonest deadline first).
    Worked out once per set of items, not per person: a sweep may reach 100,000."""
    offered: dict[datetime, list[snooze.Option]] = {}
    made: dict[tuple, tuple[tuple[str, str], ...]] = {}
    for recipient in recipients.values():
        sig = tuple((i.deadline, i.rule, i.scope, i.stage) for i in recipient.items)
        buttons = made.get(sig)
        if buttons is None:
            wanted = sorted(t for t in set(sig) if t[0] is not None and snooze.snoozable(*t[1:]))
            buttons = ()
            if wanted:
                soonest, keys = wanted[0][0], [t[1:] for t in wanted]
                if soonest not in offered:
                    offered[soonest] = snooze.options(ctx.now, soonest, ctx.cfg, ctx.tz, quiet)
                found = ((o.label, snooze.postback_data(o.until, keys)) for o in offered[soonest])
                buttons = tuple((label, data) for label, data in found if data)
            made[sig] = buttons
        recipient.snooze = buttons


def _forget(services: Services, outbox_id: int) -> int:
    """LINE refused a send for the monthly limit: drop its ledger rows so a later sweep sends it."""
    table = ReminderLedger.__table__
    with services.db.session() as session:
        people = session.execute(select(table.c.person_kind, table.c.person_id)
                                 .where(table.c.outbox_id == outbox_id).distinct()).all()
        session.execute(delete(table).where(table.c.outbox_id == outbox_id))
    return len(people)


def _tally(report: SweepReport, recipients: dict[str, Recipient], requests: int) -> None:
    reached: dict[tuple[str, str], set[str]] = defaultdict(set)
    for uid, recipient in recipients.items():
        for item in recipient.items:
            reached[(item.rule, item.stage)].add(uid)
    report.reached.update({key: len(uids) for key, uids in reached.items()})
    report.people = len(recipients)
    report.counted = len(recipients)  # one message object per person
    report.requests = requests
