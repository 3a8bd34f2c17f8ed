"""`Sender.deliver_many`, the sweep's way out: one read and one write however many sends."""
from __future__ import annotations

from sqlalchemy import event, select

from bot.infra.models import OutboxMessage
from messages.common import text


def _count_statements(db):
    seen = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
    return seen


def _enqueue(services, n: int, start: int = 0) -> list[int]:
    return [services.sender.enqueue("push", [f"U{i:032x}"], [text(f"提醒 {i}")], purpose="reminder").id
            for i in range(start, start + n)]


def test_deliver_many_uses_the_same_statements_for_2_or_40_sends(services, line_api, db):
    few, many = _enqueue(services, 2), _enqueue(services, 40, start=100)
    seen = _count_statements(db)
    results = services.sender.deliver_many(few)
    for_few = len(seen)
    seen.clear()
    results += services.sender.deliver_many(many, threads=4)
    assert len(seen) == for_few <= 3, seen
    assert [r.status for r in results] == ["sent"] * 42
    assert len(line_api.calls("push")) == 42
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage)).all()
        assert {(r.status, r.attempts) for r in rows} == {("sent", 1)} and all(r.sent_at for r in rows)
    again = services.sender.deliver_many(few)                 # delivered rows are not sent twice
    assert [r.detail for r in again] == ["already delivered"] * 2 and len(line_api.calls("push")) == 42


def test_deliver_many_records_failures_and_keeps_the_order(services, line_api, db):
    ids = _enqueue(services, 3)
    line_api.fail_next("push", 400, "bad request")
    line_api.fail_next("push", 500, times=1)
    results = services.sender.deliver_many(ids, threads=1)    # one thread: the scripted failures in order
    assert [r.status for r in results] == ["failed", "sent", "sent"]
    assert [r.outbox_id for r in results] == ids
    with db.session() as s:
        failed = s.get(OutboxMessage, ids[0])
        assert failed.status == "failed" and "400" in failed.last_error and failed.attempts == 1
        assert s.get(OutboxMessage, ids[1]).attempts == 2     # the 5xx was retried with its key
