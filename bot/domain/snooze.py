"""Snoozing a reminder: 「明天再提醒我」 and, on a window's last day, 「今晚 8 點再提醒」.

A reminder message carries the keys (rule, scope, stage) of the items it holds that can be snoozed
(a window's opening, before, escalate and last-day stages; never a daily list, news of a result,
or a reminder that was itself a snoozed one). Tapping a button records, for that person, one
``ReminderSnooze`` row per item and stage (once: a second tap changes nothing) with the moment to
remind again. The sweep then (``for_items`` and ``verdict``, in ``scheduler.sweep``):

* sends that person nothing for the item (rule, scope) before that moment, whatever stage falls due;
* at that moment, if the item is still owed and no later stage has fallen due meanwhile, sends it
  once more under its own ledger stage (``again(stage)``, e.g. ``last_day@snooze``), so the ledger
  makes the second reminder exactly once as it does the first; if a later stage fell due, that
  stage's reminder goes out at that moment instead. Either way: one reminder, at the snoozed time.

The postback names items and a moment, never a person; the handler takes the person from the
binding and snoozes only items the ledger shows were sent to them.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from bot.domain.stages import LAST_DAY, OPENING, StageConfig, in_quiet_hours, last_local_day, local_moment
from bot.infra.models import ReminderLedger, ReminderSnooze
from bot.infra.vocab import PersonKind

ACTION = "snooze"          # a=snooze&u=<UTC YYYYMMDDHHMM>&k=<rule|scope|stage,...>
AGAIN = "@snooze"          # the ledger stage of the reminder sent again at the snoozed time
TONIGHT = time(20, 0)      # 「今晚 8 點再提醒」
MAX_DATA = 300             # LINE's limit on a postback's data
TOMORROW_LABEL = "明天再提醒我"
TONIGHT_LABEL = "今晚 8 點再提醒"

Key = tuple[str, str, str]  # rule, scope, stage


def snoozable(rule: str, scope: str, stage: str) -> bool:
    """A window's deadline reminder (not a daily 導師 list, not news, not a reminder sent again)."""
    return scope.startswith("window:") and not is_again(stage) and (
        stage in (OPENING, LAST_DAY) or stage.startswith(("before:", "escalate:")))


def again(stage: str) -> str:
    return stage + AGAIN


def is_again(stage: str) -> bool:
    return stage.endswith(AGAIN)


def base_stage(stage: str) -> str:
    return stage[:-len(AGAIN)] if is_again(stage) else stage


@dataclass(frozen=True)
class Option:
    label: str
    until: datetime  # aware UTC


def options(now: datetime, deadline: datetime, cfg: StageConfig, tz: ZoneInfo,
            quiet: tuple[time, time]) -> list[Option]:
    """What a reminder whose soonest snoozable deadline is ``deadline`` offers at ``now``: 明天 (at the
    send time) while that is before the deadline; on the deadline's last day, 今晚 8 點 while that is
    still ahead, before the deadline and outside quiet hours."""
    today = now.astimezone(tz).date()
    found: list[Option] = []
    tomorrow = local_moment(today + timedelta(days=1), cfg.send_time, tz)
    if tomorrow < deadline:
        found.append(Option(TOMORROW_LABEL, tomorrow))
    tonight = local_moment(today, TONIGHT, tz)
    if (last_local_day(deadline, tz) == today and now < tonight < deadline
            and not in_quiet_hours(tonight, quiet, tz)):
        found.append(Option(TONIGHT_LABEL, tonight))
    return found


def postback_data(until: datetime, keys: Sequence[Key]) -> str | None:
    """The button's data: as many keys (in the order given: soonest deadline first) as fit LINE's
    300 characters; None when not even one fits."""
    head = f"a={ACTION}&u={until.astimezone(timezone.utc):%Y%m%d%H%M}&k="
    kept: list[str] = []
    for rule, scope, stage in keys:
        part = f"{rule}|{scope}|{stage}"
        if len(head) + len(",".join([*kept, part])) > MAX_DATA:
            break
        kept.append(part)
    return head + ",".join(kept) if kept else None


def parse(data: dict[str, str]) -> tuple[datetime, list[Key]] | None:
    """(until, keys) from a tapped button's parsed data; None when it is not one of ours."""
    try:
        until = datetime.strptime(data.get("u", ""), "%Y%m%d%H%M").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    keys: list[Key] = []
    for part in data.get("k", "").split(","):
        fields = part.split("|")
        if len(fields) != 3 or not snoozable(*fields):
            return None
        keys.append((fields[0], fields[1], fields[2]))
    return (until, keys) if keys else None


@dataclass(frozen=True)
class Recorded:
    new: list[Key]                       # snoozed now
    already: list[tuple[Key, datetime]]  # snoozed before (once per item and stage), and until when


def record(session: Session, kind: PersonKind, person_id: int, keys: Sequence[Key], until: datetime,
           now: datetime) -> Recorded:
    """Snooze these items for this person until ``until`` (two statements and the inserts)."""
    wanted = sorted(set(keys))
    L, S = ReminderLedger, ReminderSnooze
    sent = {(r, s, g) for r, s, g in session.execute(
        select(L.rule, L.scope, L.stage).where(L.person_kind == kind, L.person_id == person_id,
                                               tuple_(L.rule, L.scope, L.stage).in_(wanted)))}
    before = {(r, s, g): until for r, s, g, until in session.execute(
        select(S.rule, S.scope, S.stage, S.until).where(S.person_kind == kind, S.person_id == person_id,
                                                        tuple_(S.rule, S.scope, S.stage).in_(wanted)))}
    new = [k for k in wanted if k in sent and k not in before]
    session.add_all(ReminderSnooze(person_kind=kind, person_id=person_id, rule=r, scope=s, stage=g,
                                   until=until, created_at=now) for r, s, g in new)
    session.flush()
    return Recorded(new, [(k, before[k]) for k in wanted if k in before])  # the rest was never sent to them


def active(session: Session, kind: PersonKind, person_id: int, now: datetime) -> list[ReminderSnooze]:
    """This person's snoozes still ahead, soonest first (設定 shows them)."""
    S = ReminderSnooze
    return list(session.scalars(select(S).where(S.person_kind == kind, S.person_id == person_id, S.until > now)
                                .order_by(S.until, S.rule, S.scope)))


Snoozes = dict[tuple[str, int, str, str], list[tuple[str, datetime]]]


def for_items(session: Session, pairs: Iterable[tuple[str, str]]) -> Snoozes:
    """Every snooze of these (rule, scope) items, by (person kind, person id, rule, scope): (stage, until).
    One query, whatever the number of people."""
    wanted = sorted(set(pairs))
    if not wanted:
        return {}
    S = ReminderSnooze
    found: Snoozes = {}
    for kind, pid, rule, scope, stage, until in session.execute(
            select(S.person_kind, S.person_id, S.rule, S.scope, S.stage, S.until)
            .where(tuple_(S.rule, S.scope).in_(wanted))):
        found.setdefault((getattr(kind, "value", kind), pid, rule, scope), []).append((stage, until))
    return found


def verdict(snoozes: list[tuple[str, datetime]], stage: str, now: datetime) -> str | None:
    """What the sweep does with an item due at ``stage`` for a person with these snoozes of it:
    "wait" (a snooze is still ahead), "again" (its snoozed stage is the one due: send it once more),
    or None (as usual)."""
    if any(until > now for _, until in snoozes):
        return "wait"
    if any(snoozed == stage for snoozed, _ in snoozes):
        return "again"
    return None

