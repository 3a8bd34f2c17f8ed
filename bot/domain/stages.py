"""When reminders fall due: a school's stage settings and the stages of a window at a moment.

A window (作業期程) has up to four stages: ``opening``, ``before:N`` (N days before the
last day), ``escalate:E`` (certification only: the proxy teacher is told too) and
``last_day``. Each stage has a moment (the send time, local, on its day). A stage is due
once its moment has passed and the window has not closed; after downtime only the latest
passed stage is due (the earlier ones are no longer worth a message). Closed windows have
nothing due. Homeroom teachers' daily lists use one stage per local day: ``day:YYYY-MM-DD``.

The school's settings (``StageConfig``, read with the others in ``bot.infra.config``):
``REMINDER_DAYS_BEFORE`` (3), ``REMINDER_SEND_TIME`` (08:00, local), ``ESCALATE_DAYS_BEFORE`` (2).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from bot.infra.config import StageConfig  # noqa: F401  (re-exported: what the stages are computed from)

OPENING = "opening"
LAST_DAY = "last_day"


@dataclass(frozen=True)
class Stage:
    name: str
    at: datetime  # aware UTC


def local_moment(day: date, send_time: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(day, send_time, tzinfo=tz).astimezone(timezone.utc)


def last_local_day(ends_at: datetime, tz: ZoneInfo) -> date:
    """The window's last day: a window ending at local midnight ends with the day before."""
    return (ends_at.astimezone(tz) - timedelta(microseconds=1)).date()


def opening_moment(starts_at: datetime, cfg: StageConfig, tz: ZoneInfo) -> datetime:
    return max(starts_at, local_moment(starts_at.astimezone(tz).date(), cfg.send_time, tz))


def window_stages(starts_at: datetime, ends_at: datetime, cfg: StageConfig, tz: ZoneInfo,
                  names: tuple[str, ...] = (OPENING, "before", LAST_DAY)) -> list[Stage]:
    """The window's stages (among ``names``: opening, before, escalate, last_day) in time order.

    A stage whose moment is not after the opening's, or not before the window's end, is dropped.
    """
    opening = opening_moment(starts_at, cfg, tz)
    last = last_local_day(ends_at, tz)
    wanted: list[Stage] = []
    if OPENING in names and opening < ends_at:
        wanted.append(Stage(OPENING, opening))
    candidates = {
        "before": Stage(cfg.before, local_moment(last - timedelta(days=cfg.days_before), cfg.send_time, tz)),
        "escalate": Stage(cfg.escalate, local_moment(last - timedelta(days=cfg.escalate_days_before), cfg.send_time, tz)),
        LAST_DAY: Stage(LAST_DAY, local_moment(last, cfg.send_time, tz)),
    }
    for name in names:
        stage = candidates.get(name)
        if stage is not None and opening < stage.at < ends_at:
            wanted.append(stage)
    wanted.sort(key=lambda s: s.at)
    return wanted


def due_stage(stages: list[Stage], ends_at: datetime, now: datetime) -> Stage | None:
    """The latest stage whose moment has passed, while the window is open; else None."""
    if now >= ends_at:
        return None
    passed = [s for s in stages if s.at <= now]
    return passed[-1] if passed else None


def daily_stage(starts_at: datetime, ends_at: datetime, now: datetime, cfg: StageConfig,
                tz: ZoneInfo) -> Stage | None:
    """Today's ``day:YYYY-MM-DD`` stage once today's send time has passed inside the window."""
    if not starts_at <= now < ends_at:
        return None
    today = now.astimezone(tz).date()
    moment = max(starts_at, local_moment(today, cfg.send_time, tz))
    return Stage(f"day:{today.isoformat()}", moment) if moment <= now else None


def escalation_moment(ends_at: datetime, cfg: StageConfig, tz: ZoneInfo) -> datetime:
    return local_moment(last_local_day(ends_at, tz) - timedelta(days=cfg.escalate_days_before), cfg.send_time, tz)


def in_quiet_hours(now: datetime, quiet: tuple[time, time], tz: ZoneInfo) -> bool:
    """Whether local ``now`` falls inside QUIET_HOURS (start inclusive, end exclusive; may wrap)."""
    start, end = quiet
    if start == end:
        return False
    local = now.astimezone(tz).time().replace(tzinfo=None)
    if start < end:
        return start <= local < end
    return local >= start or local < end
