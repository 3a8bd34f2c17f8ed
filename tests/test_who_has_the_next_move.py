"""Nobody is chased for what is not theirs to do: a student whose 疑義 is open is not reminded to confirm
(nor listed to the 導師), and after certification closes a teacher's items no longer count as theirs to
certify in 統計."""
from __future__ import annotations

import pytest

from bot.domain import objections
from bot.domain.queries.homeroom import unconfirmed
from bot.domain.queries.rates import find_term, rates
from bot.infra.models import Student
from bot.infra.vocab import ReceiptItem
from scheduler.sweep import run_sweep
from tests.helpers import texts_of
from tests.student_school import NOW, TZ, build, local, uid

LAST_DAY = local("2026-10-17 08:05")


@pytest.fixture
def school(db, services):
    services.clock = lambda: NOW
    with db.session() as session:
        return build(session)


def test_an_open_objection_is_the_offices_move_not_the_students(school, db, services, line_api) -> None:
    # Seed: 「逾公告期間未確認，或未向學校提出疑義者，視為已確認」 — raising a 疑義 is the student's answer;
    # while it is open they cannot confirm, so they are not told to (and their 導師 does not chase them).
    with db.session() as session:
        class_id = session.get(Student, school.ids["fix"]).class_id
        term_id = school.terms["114-2"].id
        assert [r.name for r in unconfirmed(session, class_id, term_id)] == ["FIX同學", "MAX同學"]
        objections.raise_objection(session, school.ids["fix"], school.batches["fix:114-2"], ReceiptItem.cadre,
                                   "我不是學藝股長", NOW)
    with db.session() as session:
        assert [r.name for r in unconfirmed(session, class_id, term_id)] == ["MAX同學"]
    report = run_sweep(services, now=LAST_DAY)
    assert report.reached[("receipt", "last_day")] == 1
    assert "收訖明細" not in texts_of([m for d in line_api.sent_to(uid("fix")) for m in d.messages])
    assert "收訖明細" in texts_of([m for d in line_api.sent_to(uid("max")) for m in d.messages])


def test_after_certification_closes_pending_is_not_the_teachers_any_more(school, db) -> None:
    # Seed: 「此時間區間僅教師可認證」 ends with the 認證 window: what is still 待認證 then was not certified in
    # time (統計 counts it apart, as 未及認證), and no teacher is shown as having it to do.
    with db.session() as session:
        term = find_term(session, "115-1")
        open_ = rates(session, term, local("2026-10-20 10:00"), TZ)
        closed = rates(session, term, local("2026-11-02 10:00"), TZ)
    wang = {t.teacher_no: t for t in open_.teachers}["T-wang"]
    assert (wang.pending, open_.totals.pending, open_.totals.uncertified) == (1, 1, 0)
    wang = {t.teacher_no: t for t in closed.teachers}["T-wang"]
    assert (wang.pending, wang.oldest_days, closed.totals.pending, closed.totals.uncertified) == (0, 0, 0, 1)
    assert closed.behind_teachers() == []
