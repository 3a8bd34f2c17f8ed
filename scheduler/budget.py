"""The month's message budget: which of a sweep's reminders fit the month, once what the rest of the
month will need is set aside.

LINE counts every message a push or multicast delivers (a multicast to n people counts n); replies
are free. A 3,000-student school on LINE's 中用量 plan has 3,000 a month, so the budget decides.
It is ``LINE_MONTHLY_BUDGET``, else the channel's monthly quota as LINE reports it; on a plan
without a limit and with no setting there is no budget and nothing here applies.

- used: what this bot's outbox has sent, or will, this (local) month: recipients x messages per
  row, failed rows and rows LINE refused for the monthly limit excepted.
- later: the sweeps still to come this month, one a day at REMINDER_SEND_TIME from tomorrow to the
  month's last day, collected against today's data (an upper bound: whoever acts meanwhile drops
  out), each person once a day, by tier.
- tiers, most needed first: 0 a window's last day and the certification escalation; 1 a few days
  before closing, and news (認證失敗, certification closed); 2 導師's daily class lists; 3 a window
  opening. Openings go first when the month is short (issue #12: 「window openings before last-day
  reminders」); students who already acted are never in a rule's list at all.
- plan: this sweep's people, most needed tier first (then soonest deadline), are kept while what
  is left of the month covers them and every later need of a more needed tier; the rest are
  skipped, written to the ledger as skipped ("budget"), so they are neither sent nor weighed again.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.domain import ledger, snooze
from bot.domain.stages import LAST_DAY, OPENING, local_moment
from bot.infra.models import OutboxMessage
from scheduler.rules import Item, SweepContext, collect
from scheduler.rules.certification import OFFICE_RULE



class Recipient(Protocol):
    """One person's folded reminder (``scheduler.sweep.Recipient``)."""

    line_user_id: str
    items: list[Item]

    def urgency(self) -> tuple: ...

SKIPPED = "budget"
TIER_NAMES = {0: "最後一天", 1: "截止前與認證消息", 2: "導師班級名單", 3: "開放通知"}
COUNTED = ("pending", "sent")  # outbox rows that cost (or will cost) messages


def tier(item: Item) -> int:
    """How much an item is needed when the month is short: 0 most, 3 least."""
    stage = snooze.base_stage(item.stage)  # a reminder sent again at the snoozed time weighs as its stage
    if stage == LAST_DAY or stage.startswith("escalate") or item.rule == OFFICE_RULE:
        return 0
    if stage == OPENING:
        return 3
    if stage.startswith("day:"):
        return 2
    return 1  # before:N, and news (認證失敗, certification closed)


def tier_of(recipient: Recipient) -> int:
    return min((tier(i) for i in recipient.items), default=3)


@dataclass
class MonthPlan:
    """The month's budget against what this sweep and the rest of the month need (people = messages)."""

    budget: int
    used: int
    now: Counter = field(default_factory=Counter)      # tier -> people this sweep sends
    skipped: Counter = field(default_factory=Counter)  # tier -> people this sweep skips
    later: Counter = field(default_factory=Counter)    # tier -> people later this month (at most)

    @property
    def left(self) -> int:
        """What the month would have left if every later need came true."""
        return self.budget - self.used - sum(self.now.values()) - sum(self.later.values())

    def lines(self) -> list[str]:
        def by_tier(counts: Counter) -> str:
            return "、".join(f"{TIER_NAMES[t]} {counts[t]:,}" for t in sorted(counts) if counts[t]) or "無"
        out = [f"本月訊息預算 {self.budget:,} 則：已用 {self.used:,}，本次 {sum(self.now.values()):,}，"
               f"本月其後預估至多 {sum(self.later.values()):,}（{by_tier(self.later)}）"]
        if self.left >= 0:
            out.append(f"預估月底剩餘：{self.left:,} 則")
        elif self.used + sum(self.now.values()) >= self.budget:
            out.append("本月預算已用完：本月其後的提醒都會略過，最後一天的提醒也一樣。"
                       "要照常提醒，請提高 LINE_MONTHLY_BUDGET（或 LINE 方案的額度）。")
        else:
            out.append(f"預估月底超出：{-self.left:,} 則（屆時依序略過開放通知、導師名單、截止前的提醒，"
                       "最後一天的提醒優先）")
        if self.skipped:
            out.append(f"預算不足：本次略過 {sum(self.skipped.values()):,} 人（{by_tier(self.skipped)}），"
                       "記入提醒紀錄，不再補發。")
        return out


def _month(ctx: SweepContext) -> tuple[date, date]:
    """The first day of ``ctx.now``'s local month, and of the next."""
    first = ctx.now.astimezone(ctx.tz).date().replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def used_this_month(session: Session, ctx: SweepContext) -> int:
    """Counted messages of this bot's outbox rows written this local month (one statement)."""
    start, end = (local_moment(day, time(0), ctx.tz) for day in _month(ctx))
    cost = func.json_array_length(OutboxMessage.recipients) * func.json_array_length(OutboxMessage.messages)
    return int(session.scalar(select(func.coalesce(func.sum(cost), 0)).where(
        OutboxMessage.created_at >= start, OutboxMessage.created_at < end, OutboxMessage.status.in_(COUNTED))) or 0)


def later_days(ctx: SweepContext) -> list[date]:
    """The local days after today up to the month's last day."""
    today = ctx.now.astimezone(ctx.tz).date()
    _, following = _month(ctx)
    return [today + timedelta(days=n) for n in range(1, (following - today).days)]


def forecast(session: Session, ctx: SweepContext, taken: set) -> Counter:
    """People per tier the month's later sweeps would message, from today's data (each day's sweep at
    the send time; ``taken``: ledger keys this sweep sends or skips)."""
    need: Counter = Counter()
    seen = set(taken)
    for day in later_days(ctx):
        moment = local_moment(day, ctx.cfg.send_time, ctx.tz)
        items = [i for i in collect(session, replace(ctx, now=moment)) if i.key not in seen]
        if not items:
            continue
        done = ledger.existing(session, (i.key for i in items))
        people: dict[str, int] = {}
        for item in items:
            if item.key in done:
                continue
            seen.add(item.key)
            people[item.line_user_id] = min(people.get(item.line_user_id, 3), tier(item))
        need.update(people.values())
    return need


def plan(recipients: dict[str, Recipient], remaining: int, later: Counter) -> tuple[dict, dict]:
    """(kept, skipped): most needed first, each kept only if ``remaining`` still covers it and every
    later need of a more needed tier."""
    kept: dict[str, Recipient] = {}
    skipped: dict[str, Recipient] = {}
    for recipient in sorted(recipients.values(), key=lambda r: (tier_of(r), r.urgency())):
        reserve = sum(n for t, n in later.items() if t < tier_of(recipient))
        if len(kept) + 1 + reserve <= remaining:
            kept[recipient.line_user_id] = recipient
        else:
            skipped[recipient.line_user_id] = recipient
    return kept, skipped


def plan_month(session: Session, ctx: SweepContext, budget: int, recipients: dict[str, Recipient]
               ) -> tuple[MonthPlan, dict, dict]:
    """This sweep's people within the month's budget: (the plan, kept, skipped)."""
    month = MonthPlan(budget=budget, used=used_this_month(session, ctx))
    taken = {i.key for r in recipients.values() for i in r.items}
    month.later = forecast(session, ctx, taken)
    kept, skipped = plan(recipients, month.budget - month.used, month.later)
    month.now = Counter(tier_of(r) for r in kept.values())
    month.skipped = Counter(tier_of(r) for r in skipped.values())
    return month, kept, skipped


def skip(session: Session, skipped: dict[str, Recipient], now: datetime) -> None:
    """Write the skipped people's items to the ledger as skipped: never sent, never weighed again."""
    ledger.claim(session, [i.key for r in skipped.values() for i in r.items], now, skipped=SKIPPED)
