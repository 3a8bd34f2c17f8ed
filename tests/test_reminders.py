"""Reminder rules over a term of a small school: who is reached at each stage, and who is not."""
from __future__ import annotations

import pytest

from bot.vocab import OutcomeStatus, WindowKind
from scheduler.stages import StageConfig
from scheduler.sweep import run_sweep
from tests.conftest import texts_of
from tests.reminder_factories import add_outcome, add_receipts, add_window, build_school, fail_outcome, local

CFG = StageConfig()


@pytest.fixture
def school(db):
    with db.session() as s:
        return build_school(s)


def sweep(services, when: str, **kw):
    return run_sweep(services, now=local(when), cfg=CFG, **kw)


def reached(line_api, school, since: dict | None = None) -> dict[str, str]:
    """name -> all text that person's LINE account received (since the given counts)."""
    out = {}
    for name, uid in school.uids.items():
        got = line_api.sent_to(uid)[(since or {}).get(name, 0):]
        if got:
            out[name] = texts_of([m for d in got for m in d.messages])
    return out


def counts(line_api, school) -> dict[str, int]:
    return {name: len(line_api.sent_to(uid)) for name, uid in school.uids.items()}


def test_outcome_upload_window_over_time(services, line_api, db, school):
    with db.session() as s:
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
    assert sweep(services, "2026-11-02 07:59").people == 0          # before the send time
    report = sweep(services, "2026-11-02 08:05")                     # opening: everyone reachable
    got = reached(line_api, school)
    assert sorted(got) == ["amy", "ben", "cat", "dan"]               # not eve/blocked, fay/unbound, gus/left, hal/muted
    assert "課程學習成果上傳開放" in got["amy"] and "11/20（五）17:00" in got["amy"]
    assert report.reached[("outcome_upload", "opening")] == 4 and report.counted == 4
    assert report.requests == 1 and line_api.calls("multicast")      # one identical message: one multicast
    assert sweep(services, "2026-11-02 12:00").people == 0           # rerun: nothing more
    before = counts(line_api, school)
    sweep(services, "2026-11-17 08:05")                              # 3 days before: only those with work
    got = reached(line_api, school, before)
    assert sorted(got) == ["amy", "ben"]
    assert "1 件成果尚未送出認證" in got["amy"] and "缺少心得" in got["ben"]
    before = counts(line_api, school)
    assert sweep(services, "2026-11-18 08:05").people == 0
    sweep(services, "2026-11-20 08:05")                              # the last day
    assert sorted(reached(line_api, school, before)) == ["amy", "ben"]
    assert sweep(services, "2026-11-20 17:00").people == 0           # closed
