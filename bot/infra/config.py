"""Settings read from the environment (the contract in shared/interface.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from datetime import time
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo


def parse_quiet_hours(value: str) -> tuple[time, time]:
    """Parse ``HH:MM-HH:MM`` into (start, end); the window may wrap midnight."""
    try:
        start_s, end_s = value.split("-")
        start = time.fromisoformat(start_s.strip())
        end = time.fromisoformat(end_s.strip())
    except ValueError as exc:
        raise ValueError(f"QUIET_HOURS must look like 21:30-07:30, got {value!r}") from exc
    return start, end


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
    # The school's 學習歷程檔案 platform where teachers certify (PLATFORM_URL); empty: no link button.
    platform_url: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.school_tz)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, instance_path: str | Path | None = None) -> "Settings":
        env = os.environ if env is None else env
        instance_path = instance_path or default_instance_path()
        secret = env.get("LINE_CHANNEL_SECRET") or None
        db_url = env.get("DATABASE_URL")
        if not db_url:
            Path(instance_path).mkdir(parents=True, exist_ok=True)
            db_url = f"sqlite:///{Path(instance_path).resolve() / 'portfolio.sqlite3'}"
        tz = env.get("SCHOOL_TZ") or "Asia/Taipei"
        ZoneInfo(tz)  # fail early on a bad zone name
        return cls(
            channel_secret=secret,
            channel_access_token=env.get("LINE_CHANNEL_ACCESS_TOKEN") or None,
            line_api_base=(env.get("LINE_API_BASE") or "https://api.line.me").rstrip("/"),
            line_data_api_base=(env.get("LINE_DATA_API_BASE") or "https://api-data.line.me").rstrip("/"),
            database_url=db_url,
            redis_url=env.get("REDIS_URL") or None,
            school_tz=tz,
            quiet_hours=parse_quiet_hours(env.get("QUIET_HOURS") or "21:30-07:30"),
            local_mode=secret is None,
            platform_url=(env.get("PLATFORM_URL") or "").strip(),
        )

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)
