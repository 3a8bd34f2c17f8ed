"""bot.domain.nudge at the function level: a stale plan (a second tap racing the first) writes and sends nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from bot.domain import nudge
from bot.domain.queries.homeroom import class_list
from bot.infra.models import OutboxMessage, ReminderLedger
from messages import homeroom as msg
from tests.roles_school import NOW, TZ, build


def test_a_second_record_of_the_same_list_and_day_inserts_nothing(db, services):
    with db.session() as s:
        school = build(s)
    c = school.classes["101"]
    with db.session() as s:
        listing = class_list(s, c, "unconfirmed", NOW, TZ)
        first = nudge.plan(s, listing, NOW, TZ)
    with db.session() as s:
        stale = nudge.plan(s, listing, NOW, TZ)  # planned before the first was recorded
    assert not first.sent_today and not stale.sent_today and first.cost == 2
    with db.session() as s:
        assert nudge.record(s, services.sender, first, school.ids["wang"], msg.student_nudge(listing, TZ), NOW, TZ)
    with db.session() as s:
        assert nudge.record(s, services.sender, stale, school.ids["lin"], msg.student_nudge(listing, TZ), NOW,
                            TZ) is None
    with db.session() as s:
        assert s.scalar(select(func.count(ReminderLedger.id))) == 3
        assert s.scalar(select(func.count(OutboxMessage.id))) == 1
        assert nudge.plan(s, listing, NOW, TZ).sent_today


def test_two_concurrent_nudges_of_one_list_send_once(db, services):
    """Two 導師 taps racing in two transactions: the ledger's unique key lets exactly one through."""
    import threading

    with db.session() as s:
        school = build(s)
    c = school.classes["101"]
    with db.session() as s:
        listing = class_list(s, c, "unconfirmed", NOW, TZ)
        plan = nudge.plan(s, listing, NOW, TZ)
    barrier = threading.Barrier(2)
    results: list = []

    def tap(teacher: str) -> None:
        barrier.wait()
        with db.session() as s:
            results.append(nudge.record(s, services.sender, plan, school.ids[teacher],
                                        msg.student_nudge(listing, TZ), NOW, TZ))

    threads = [threading.Thread(target=tap, args=(t,)) for t in ("wang", "lin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(r is None for r in results) == [False, True]
    with db.session() as s:
        assert s.scalar(select(func.count(ReminderLedger.id))) == 3
        assert s.scalar(select(func.count(OutboxMessage.id))) == 1
