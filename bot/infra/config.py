"""Settings: everything the app reads from its environment, read and checked in one place.

The contract is ``shared/interface.md`` and the README's table. ``Settings.from_env`` reads
every variable; a bad value raises ``SettingsError`` naming the variable, so a process stops
at start-up instead of misbehaving later. Nothing else reads ``os.environ``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.infra.vocab import (
    OBJECTION_OFFICE, RECEIPT_ITEM_LABELS, DUTY_LABELS, Duty, ReceiptItem, reverse,
    OUTCOME_UPLOADS_PER_TERM, PERFORMANCE_UPLOADS_PER_TERM, PERFORMANCE_UPLOADS_PER_YEAR,
)


class SettingsError(ValueError):
    """A setting has a value the app cannot use; the message names the variable."""


@dataclass(frozen=True)
class StageConfig:
    """A school's reminder stages: N days before closing, the send time, the escalation point."""

    days_before: int = 3
    send_time: time = time(8, 0)
    escalate_days_before: int = 2
    # Whether the escalation point hands a present teacher's pending items to the proxy (代理教師).
    # Off by default: proxies act only 「若原任課教師已無法協助」 (the teacher is marked away); at the
    # escalation point the teacher is told again and 教學組 gets the count per teacher.
    proxy_escalation: bool = False

    @property
    def before(self) -> str:
        return f"before:{self.days_before}"

    @property
    def escalate(self) -> str:
        return f"escalate:{self.escalate_days_before}"


@dataclass(frozen=True)
class SchoolRules:
    """The numbers the regulations leave to the school (「其件數由學校定之」); 臺南二中's are the defaults.

    Texts call these 本校規定; the national limits stay in ``bot.infra.vocab``.
    """

    # 課程學習成果 a student may upload each term (臺南二中: 「其件數至多6件」).
    outcome_uploads_per_term: int = OUTCOME_UPLOADS_PER_TERM
    # 多元表現 a student may upload (臺南二中: 「每學期至多10件，每學年其件數至多20件」).
    performance_uploads_per_term: int = PERFORMANCE_UPLOADS_PER_TERM
    performance_uploads_per_year: int = PERFORMANCE_UPLOADS_PER_YEAR
    # Years a student who left (轉出, 畢業, 離校) keeps their data before the purge (臺南二中: 「已畢業學生之
    # 學習歷程檔案資料，封存 2年」; the 工作小組 sets it, 「以1年至5年間為宜」).
    retention_years: int = 2
    # The office that answers a 疑義 on each 收訖明細 item (OBJECTION_OFFICES); 管理者 when nobody of it is on LINE.
    objection_offices: tuple[tuple[ReceiptItem, Duty], ...] = tuple(OBJECTION_OFFICE.items())

    def office(self, item: ReceiptItem) -> Duty:
        """The office in charge of a 疑義 on ``item``."""
        return dict(self.objection_offices)[item]


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """Parse ``HH:MM-HH:MM`` into (start, end); the window may wrap midnight."""
    try:
        start_s, end_s = value.split("-")
        start = time.fromisoformat(start_s.strip())
        end = time.fromisoformat(end_s.strip())
    except ValueError as exc:
        raise SettingsError(f"QUIET_HOURS must look like 21:30-07:30, got {value!r}") from exc
    return start, end


def _days(env: Mapping[str, str], name: str, default: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not 0 < int(raw) <= 60:
        raise SettingsError(f"{name} must be a whole number of days between 1 and 60, got {raw!r}")
    return int(raw)


def _count(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise SettingsError(f"{name} must be a whole number from {low} to {high}, got {raw!r}")
    return int(raw)


def _clock(env: Mapping[str, str], name: str, default: time) -> time:
    raw = (env.get(name) or "").strip()
    try:
        return time.fromisoformat(raw) if raw else default
    except ValueError as exc:
        raise SettingsError(f"{name} must look like 08:00, got {raw!r}") from exc


def _switch(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("on", "yes", "true", "1"):
        return True
    if raw in ("off", "no", "false", "0"):
        return False
    raise SettingsError(f"{name} must be on or off, got {raw!r}")


def stages_from_env(env: Mapping[str, str]) -> StageConfig:
    """REMINDER_DAYS_BEFORE, REMINDER_SEND_TIME (HH:MM), ESCALATE_DAYS_BEFORE and PROXY_ESCALATION."""
    return StageConfig(
        days_before=_days(env, "REMINDER_DAYS_BEFORE", 3),
        send_time=_clock(env, "REMINDER_SEND_TIME", time(8, 0)),
        escalate_days_before=_days(env, "ESCALATE_DAYS_BEFORE", 2),
        proxy_escalation=_switch(env, "PROXY_ESCALATION", False),
    )


def school_from_env(env: Mapping[str, str]) -> SchoolRules:
    """OUTCOME_UPLOADS_PER_TERM, PERFORMANCE_UPLOADS_PER_TERM, PERFORMANCE_UPLOADS_PER_YEAR, RETENTION_YEARS,
    OBJECTION_OFFICES."""
    school = SchoolRules(
        outcome_uploads_per_term=_count(env, "OUTCOME_UPLOADS_PER_TERM", OUTCOME_UPLOADS_PER_TERM, 1, 20),
        performance_uploads_per_term=_count(env, "PERFORMANCE_UPLOADS_PER_TERM", PERFORMANCE_UPLOADS_PER_TERM, 1, 50),
        performance_uploads_per_year=_count(env, "PERFORMANCE_UPLOADS_PER_YEAR", PERFORMANCE_UPLOADS_PER_YEAR, 1, 100),
        retention_years=_count(env, "RETENTION_YEARS", SchoolRules.retention_years, 1, 5),
        objection_offices=_offices(env),
    )
    if school.performance_uploads_per_term > school.performance_uploads_per_year:
        raise SettingsError("PERFORMANCE_UPLOADS_PER_TERM must not exceed PERFORMANCE_UPLOADS_PER_YEAR, got "
                            f"{school.performance_uploads_per_term} > {school.performance_uploads_per_year}")
    return school


def _offices(env: Mapping[str, str]) -> tuple[tuple[ReceiptItem, Duty], ...]:
    """OBJECTION_OFFICES, e.g. ``幹部經歷=訓育組;多元表現=訓育組``: items left out keep their default office."""
    raw = (env.get("OBJECTION_OFFICES") or "").strip()
    offices = dict(OBJECTION_OFFICE)
    items = reverse(RECEIPT_ITEM_LABELS)
    duties = {DUTY_LABELS[d]: d for d in (Duty.registry, Duty.academic, Duty.activities, Duty.admin)}
    for part in filter(None, (p.strip() for p in raw.replace("；", ";").split(";"))):
        item_label, _, duty_label = (s.strip() for s in part.replace("＝", "=").partition("="))
        if item_label not in items or duty_label not in duties:
            raise SettingsError(
                f"OBJECTION_OFFICES must look like 幹部經歷=訓育組;修課紀錄=註冊組 (items: {'、'.join(items)}; "
                f"offices: {'、'.join(duties)}), got {part!r}")
        offices[items[item_label]] = duties[duty_label]
    return tuple(offices.items())


def _public_url(env: Mapping[str, str]) -> str:
    raw = (env.get("PUBLIC_URL") or "").strip().rstrip("/")
    if raw and not raw.startswith(("https://", "http://")) or " " in raw:
        raise SettingsError(f"PUBLIC_URL must be the bot's base URL such as https://bot.example.edu.tw, got {raw!r}")
    return raw


def _secret_key(env: Mapping[str, str]) -> str | None:
    raw = env.get("SECRET_KEY") or ""
    if raw and len(raw.encode()) < 32:
        raise SettingsError(f"SECRET_KEY must be at least 32 bytes (got {len(raw.encode())}); "
                            "make one with: python -c 'import secrets; print(secrets.token_hex(32))'")
    return raw or None


def _zone(env: Mapping[str, str]) -> str:
    name = (env.get("SCHOOL_TZ") or "Asia/Taipei").strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(f"SCHOOL_TZ must be an IANA time zone such as Asia/Taipei, got {name!r}") from exc
    return name


def default_instance_path() -> str:
    """Where the default SQLite file lives: the app's Flask instance folder."""
    from flask import Flask

    return Flask("bot", instance_relative_config=True).instance_path


@dataclass(frozen=True)
class Settings:
    """Everything the app needs to know about its surroundings."""

    channel_secret: str | None = None
    channel_access_token: str | None = None
    line_api_base: str = "https://api.line.me"
    line_data_api_base: str = "https://api-data.line.me"
    database_url: str = "sqlite:///portfolio.sqlite3"
    redis_url: str | None = None
    school_tz: str = "Asia/Taipei"
    quiet_hours: tuple[time, time] = (time(21, 30), time(7, 30))
    # Local mode: no channel secret came from the environment. Only then is the
    # simulator mounted; the demo signs its own webhooks with an ephemeral secret.
    local_mode: bool = True
    # How webhook events are processed: "thread" (a small pool, so /callback answers
    # at once) or "inline" (in the request; used by one-shot tools).
    dispatch_mode: str = "thread"
    sender_backoff: float = 0.5
    sender_attempts: int = 4
    sender_timeout: float = 10.0
    # Seconds after which an accepted webhook event nobody finished (its process died) is taken over
    # by another web process (EVENT_STALE_SECONDS).
    event_stale_seconds: int = 30
    # Webhook events a web process holds in memory at most (MAX_EVENTS_IN_HAND); past it they wait,
    # stored, for the first process with room.
    max_events_in_hand: int = 1000
    # Counted LINE messages the bot may send a month (LINE_MONTHLY_BUDGET); None: the channel's
    # monthly quota as LINE reports it (no limit on a plan without one).
    line_monthly_budget: int | None = None
    # gunicorn workers for the web process (WEB_CONCURRENCY); None: sized from the machine
    # (bot/web/gunicorn_conf.py).
    web_concurrency: int | None = None
    # The school's 學習歷程檔案 platform where teachers certify (PLATFORM_URL); empty: no link button.
    platform_url: str = ""
    # When reminders fall due (REMINDER_DAYS_BEFORE, REMINDER_SEND_TIME, ESCALATE_DAYS_BEFORE).
    stages: StageConfig = field(default_factory=StageConfig)
    # School days (Mon-Fri) the office has to answer a 疑義 (OBJECTION_ANSWER_DAYS).
    objection_answer_days: int = 3
    # The school's own numbers (OUTCOME_UPLOADS_PER_TERM, ...).
    school: SchoolRules = field(default_factory=SchoolRules)
    # The bot's public base URL (PUBLIC_URL): console sign-in links and slips. Empty: the console is
    # not reachable from LINE (local mode fills in the demo's own address).
    public_url: str = ""
    # Signs the console's session cookies (SECRET_KEY, at least 32 bytes). None outside local mode:
    # the console is not served; in local mode one is made per run.
    secret_key: str | None = None

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.school_tz)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, instance_path: str | Path | None = None) -> "Settings":
        """Every setting from the environment; ``SettingsError`` (naming the variable) on a bad value."""
        env = os.environ if env is None else env
        secret = env.get("LINE_CHANNEL_SECRET") or None
        db_url = env.get("DATABASE_URL")
        if not db_url:
            instance_path = instance_path or default_instance_path()
            Path(instance_path).mkdir(parents=True, exist_ok=True)
            db_url = f"sqlite:///{Path(instance_path).resolve() / 'portfolio.sqlite3'}"
        return cls(
            channel_secret=secret,
            channel_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
            line_api_base=(env.get("LINE_API_BASE") or "https://api.line.me").rstrip("/"),
            line_data_api_base=(env.get("LINE_DATA_API_BASE") or "https://api-data.line.me").rstrip("/"),
            database_url=db_url,
            redis_url=env.get("REDIS_URL") or None,
            school_tz=_zone(env),
            quiet_hours=parse_quiet_hours(env.get("QUIET_HOURS") or "21:30-07:30"),
            local_mode=secret is None,
            platform_url=(env.get("PLATFORM_URL") or "").strip(),
            stages=stages_from_env(env),
            objection_answer_days=_days(env, "OBJECTION_ANSWER_DAYS", 3),
            school=school_from_env(env),
            public_url=_public_url(env),
            secret_key=_secret_key(env),
            event_stale_seconds=_count(env, "EVENT_STALE_SECONDS", cls.event_stale_seconds, 1, 3600),
            max_events_in_hand=_count(env, "MAX_EVENTS_IN_HAND", cls.max_events_in_hand, 1, 1_000_000),
            line_monthly_budget=(_count(env, "LINE_MONTHLY_BUDGET", 0, 0, 100_000_000)
                                 if (env.get("LINE_MONTHLY_BUDGET") or "").strip() else None),
            web_concurrency=(_count(env, "WEB_CONCURRENCY", 1, 1, 256)
                             if (env.get("WEB_CONCURRENCY") or "").strip() else None),
        )

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)
