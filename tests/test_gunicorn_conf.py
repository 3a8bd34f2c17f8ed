"""The Procfile's web line sizes gunicorn from the machine: one worker per CPU when the processes can
share state (REDIS_URL), one otherwise, WEB_CONCURRENCY when given."""
from __future__ import annotations

import pytest

from bot.infra.config import Settings, SettingsError
from bot.web.gunicorn_conf import workers_for


def test_workers_follow_the_machine_only_when_redis_is_shared(tmp_path):
    def settings(**env) -> Settings:
        return Settings.from_env(env, instance_path=tmp_path)
    assert workers_for(settings(), 4) == 1                                   # in-process store: one process
    assert workers_for(settings(REDIS_URL="redis://127.0.0.1:6379/0"), 4) == 4
    assert workers_for(settings(REDIS_URL="redis://127.0.0.1:6379/0"), None) == 1
    assert workers_for(settings(WEB_CONCURRENCY="3"), 4) == 3                # the platform's say wins
    with pytest.raises(SettingsError, match="WEB_CONCURRENCY"):
        settings(WEB_CONCURRENCY="many")
