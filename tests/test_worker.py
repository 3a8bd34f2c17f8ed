"""Worker jobs: pending pushes are retried with their key; retention; one runner at a time."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from bot.infra.models import OutboxMessage
from messages.common import text
from scheduler.worker import locked, retention, retry_outbox


def test_retry_outbox_sends_a_push_left_pending_once(services, line_api, db):
    row = services.sender.enqueue("push", ["U" + "c" * 32], [text("提醒")], purpose="test")
    with db.session() as s:  # as if the process died right after writing the row
        s.get(OutboxMessage, row.id).created_at = datetime.now(timezone.utc) - timedelta(minutes=5)
    assert retry_outbox(services) == 1
    assert retry_outbox(services) == 0
    pushes = line_api.calls("push")
    assert len(pushes) == 1 and pushes[0].headers["X-Line-Retry-Key"] == row.retry_key
    assert len(line_api.sent_to("U" + "c" * 32)) == 1


def test_retention_forgets_old_delivered_pushes_only(services, db):
    old = datetime.now(timezone.utc) - timedelta(days=400)
    with db.session() as s:
        s.add_all([
            OutboxMessage(retry_key="k-old-sent", kind="push", recipients=["U1"], messages=[], status="sent", created_at=old),
            OutboxMessage(retry_key="k-old-pending", kind="push", recipients=["U1"], messages=[], created_at=old),
            OutboxMessage(retry_key="k-new-sent", kind="push", recipients=["U1"], messages=[], status="sent"),
        ])
    assert retention(services) == 1
    with db.session() as s:
        assert sorted(s.scalars(select(OutboxMessage.retry_key))) == ["k-new-sent", "k-old-pending"]


def test_locked_job_runs_in_one_place_at_a_time(services):
    ran: list[str] = []
    inner = locked(services, "demo", 30, lambda: ran.append("inner"))
    outer = locked(services, "demo", 30, lambda: (ran.append("outer"), inner()))
    outer()
    assert ran == ["outer"]  # the inner run found the lock held and skipped
    inner()
    assert ran == ["outer", "inner"]
