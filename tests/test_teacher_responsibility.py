"""代理人機制: who answers for a course's pending items, with absences and escalation (set-based)."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.domain.queries.responsibility import covered_by, responsibility, responsible_for
from bot.infra.models import Course, LineBinding, Outcome, TeacherAbsence
from bot.infra.vocab import OutcomeStatus
from tests.roles_school import NOW, build


def absent(s, teacher_id: int, days_from: float = -1, days_to: float = 1) -> None:
    s.add(TeacherAbsence(teacher_id=teacher_id, starts_at=NOW + timedelta(days=days_from),
                         ends_at=NOW + timedelta(days=days_to)))
    s.flush()


def test_present_teacher_is_responsible_and_no_proxy_covers(db):
    with db.session() as s:
        school = build(s)
        found = responsible_for(s, NOW)
        math = found[school.courses["math101"]]
        assert math.teacher_id == school.ids["wang"] and not math.teacher_absent
        assert math.proxy_id == school.ids["lin"] and not math.proxy_covers
        assert math.acting == (school.ids["wang"],)
        assert found[school.courses["chi201"]].proxy_id is None


def test_absent_teacher_hands_over_to_the_first_proxy_only_during_the_absence(db):
    with db.session() as s:
        school = build(s)
        absent(s, school.ids["wang"], days_from=-1, days_to=2)
        now = responsible_for(s, NOW, [school.courses["math101"], school.courses["math102"]])
        assert set(now) == {school.courses["math101"], school.courses["math102"]}
        for r in now.values():
            assert r.teacher_absent and r.proxy_covers and r.acting == (school.ids["lin"],)
        later = responsible_for(s, NOW + timedelta(days=3), [school.courses["math101"]])
        assert later[school.courses["math101"]].acting == (school.ids["wang"],)  # the absence ended
        before = responsible_for(s, NOW - timedelta(days=2), [school.courses["math101"]])
        assert before[school.courses["math101"]].acting == (school.ids["wang"],)


def test_an_absent_first_proxy_is_skipped_for_the_next_in_position_order(db):
    with db.session() as s:
        school = build(s)
        absent(s, school.ids["wang"])
        absent(s, school.ids["lin"])
        r = responsible_for(s, NOW, [school.courses["math101"]])[school.courses["math101"]]
        assert r.proxy_id == school.ids["chen"] and r.acting == (school.ids["chen"],)
        absent(s, school.ids["chen"])
        r = responsible_for(s, NOW, [school.courses["math101"]])[school.courses["math101"]]
        assert r.proxy_id is None and r.uncovered and r.acting == ()


def test_escalation_adds_the_proxy_while_the_present_teacher_keeps_the_items(db):
    with db.session() as s:
        school = build(s)
        late = Course.id == school.courses["math101"]
        found = responsible_for(s, NOW, escalated=late)
        assert found[school.courses["math101"]].acting == (school.ids["wang"], school.ids["lin"])
        assert found[school.courses["math102"]].acting == (school.ids["wang"],)
        assert responsible_for(s, NOW, escalated=True)[school.courses["eng102"]].acting == (
            school.ids["lin"], school.ids["wang"])


def test_bound_only_skips_a_proxy_who_cannot_be_reached(db):
    with db.session() as s:
        school = build(s)
        s.query(LineBinding).filter(LineBinding.person_id == school.ids["lin"]).update({"blocked": True})
        r = responsible_for(s, NOW, [school.courses["math101"]], escalated=True, bound_only=True)
        assert r[school.courses["math101"]].proxy_id == school.ids["chen"]


def test_the_subquery_joins_into_a_set_based_count_per_responsible_teacher(db):
    with db.session() as s:
        school = build(s)
        absent(s, school.ids["wang"])
        resp = responsibility(NOW)
        rows = dict(s.execute(
            select(resp.c.responsible_id, func.count(Outcome.id))
            .join(resp, resp.c.course_id == Outcome.course_id)
            .where(Outcome.status == OutcomeStatus.pending)
            .group_by(resp.c.responsible_id)).all())
        # wang is away: lin answers for math 101 (2) and 102 (1) and for his own english (1)
        assert rows == {school.ids["lin"]: 4}
        covered = set(s.scalars(select(Course.id).where(covered_by(NOW, school.ids["lin"]))))
        assert covered == {school.courses["math101"], school.courses["math102"]}
