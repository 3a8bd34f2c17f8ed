"""gunicorn's settings for the Procfile's ``web`` line, sized from the machine.

``workers``: ``WEB_CONCURRENCY`` when set; otherwise one per CPU when ``REDIS_URL`` is set (the
processes then share conversation state and binding lockouts through Redis, and webhook events
through the database), else 1: the in-process store is valid for one process only. Each worker
answers its events on its own pool of threads (``bot/web/dispatch.py``), so one worker already
waits on LINE and the database in parallel; more workers add CPU. The settings are read the one
way the app reads them (``Settings.from_env``), so a bad value stops the start with its name.
"""
from __future__ import annotations

import os

from bot.infra.config import Settings


def workers_for(settings: Settings, cpus: int | None) -> int:
    if settings.web_concurrency:
        return settings.web_concurrency
    return max(1, cpus or 1) if settings.redis_url else 1


workers = workers_for(Settings.from_env(), os.cpu_count())
