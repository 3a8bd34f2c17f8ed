"""Two workers at once on PostgreSQL (and Redis): every reminder goes out exactly once.

These run only when DATABASE_URL is PostgreSQL (CI's second run); SQLite serialises
writers, so racing there proves nothing. The first test races two real `portfolio-bot
remind` processes (sharing Redis's lock when REDIS_URL is set); the second makes two
sweeps pass the lock (each with its own in-process store) and hold at a barrier until
both have planned the same reminders, so only the ledger's unique rows stand between
them and a double send.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.domain.stages import StageConfig
from bot.infra.models import LineBinding, OutboxMessage, ReminderLedger, Student
from bot.infra.store import MemoryStore
from bot.infra.vocab import PersonKind, WindowKind
from scheduler import sweep as sweep_module
from tests.reminder_factories import add_window, build_school, local, sweep_concurrently, uid

CFG = StageConfig()
EXTRA = 600  # more students than one multicast holds, so each sweep sends several requests

pytestmark = pytest.mark.skipif(not (os.environ.get("DATABASE_URL") or "").startswith("postgresql"),
                                reason="needs DATABASE_URL on PostgreSQL (concurrent writers)")


@pytest.fixture
def big_school(db):
    with db.session() as s:
        school = build_school(s)
        class_id = s.scalar(select(Student.class_id).where(Student.id == school.ids["amy"]))
        extra = [Student(student_no=f"X{n:04d}", name=f"X{n}", class_id=class_id, seat=10 + n) for n in range(EXTRA)]
        s.add_all(extra)
        s.flush()
        s.add_all([LineBinding(line_user_id=uid(10_000 + n), person_kind=PersonKind.student, person_id=st.id)
                   for n, st in enumerate(extra)])
        add_window(s, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
    school.uids.update({f"x{n}": uid(10_000 + n) for n in range(EXTRA)})
    return school


REACHABLE = ["amy", "ben", "cat", "dan"]


def _everyone(school) -> list[str]:
    return REACHABLE + [f"x{n}" for n in range(EXTRA)]


def _copies(line_api, school) -> dict[int, int]:
    """How many people got 0, 1, 2... messages."""
    counts: dict[int, int] = {}
    for name in _everyone(school):
        n = len(line_api.sent_to(school.line(name)))
        counts[n] = counts.get(n, 0) + 1
    return counts


def _ledger_rows(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(ReminderLedger))


def test_two_worker_processes_send_each_reminder_once(settings, line_api, db, big_school):
    env = {**os.environ, "DATABASE_URL": settings.database_url, "LINE_API_BASE": settings.line_api_base,
           "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t", "QUIET_HOURS": "21:30-07:30"}
    cli = Path(sys.executable).parent / "portfolio-bot"
    if settings.redis_url:
        from bot.infra.store import RedisStore
        RedisStore(settings.redis_url).delete("lock:sweep")  # a lock left by an earlier killed run
    procs = [subprocess.Popen([str(cli), "remind", "--now", "2026-11-02T08:05"], env=env, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    people = len(_everyone(big_school))
    assert _copies(line_api, big_school) == {1: people}, outputs
    assert _ledger_rows(db) == people
    totals = [line for out in outputs for line in out.splitlines() if line.startswith("合計")]
    skipped = [out for out in outputs if "略過" in out]
    assert len(totals) + len(skipped) == 2
    assert sorted(totals)[-1].startswith(f"合計：{people} 人"), outputs   # one did it all
    assert all(t.startswith("合計：0 人") for t in sorted(totals)[:-1]), outputs


def test_two_sweeps_past_the_lock_rely_on_the_unique_ledger(settings, line_api, db, big_school, monkeypatch):
    barrier = threading.Barrier(2, timeout=30)
    real_record = sweep_module._record

    def record_after_both_planned(services, recipients):
        barrier.wait()                    # both have read the same, empty ledger
        return real_record(services, recipients)

    monkeypatch.setattr(sweep_module, "_record", record_after_both_planned)
    # each its own in-process store: no shared lock, both sweeps run
    reports = sweep_concurrently(settings, [MemoryStore(), MemoryStore()], local("2026-11-02 08:05"), CFG,
                                 start_together=False)
    assert len(reports) == 2
    people = len(_everyone(big_school))
    assert _copies(line_api, big_school) == {1: people}
    assert sum(r.people for r in reports) == people and _ledger_rows(db) == people
    with db.session() as s:  # every ledger row points at a delivered send; no orphan outbox rows
        statuses = s.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
        assert dict(statuses) == {"sent": sum(r.requests for r in reports)}
        assert s.scalar(select(func.count()).select_from(ReminderLedger)
                        .where(ReminderLedger.outbox_id.is_(None))) == 0
