"""``Prepared`` (bot/infra/prepared.py): the reads every tap runs, on the driver's cursor, give exactly
what ``session.execute`` gives for the same statement (types included: aware UTC datetimes, enums,
booleans), on SQLite and PostgreSQL; statement listeners still see them; unwritten changes are flushed
first; and a statement it cannot run as compiled is refused when it is first run."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import bindparam, select

from bot.domain import people
from bot.domain.queries import student as queries
from bot.domain.queries import terms
from bot.infra.models import Outcome, Window
from bot.infra.prepared import Prepared
from bot.infra.vocab import OutcomeStatus, PersonKind, WindowKind
from tests.student_school import NOW, TZ, uid
from tests.test_student_status import school  # noqa: F401  (the fixture)
from tests.helpers import counting


def _cases(school):  # noqa: F811
    later = NOW + timedelta(days=400)
    for who in ("nil", "ace", "fix", "max", "old", "sen"):
        sid = school.ids[who]
        yield people._BOUND, {"user": uid(who)}
        yield queries._WHO, {"student": sid}
        for now in (NOW, NOW - timedelta(days=300), later):
            yield queries._STATUS, {**terms.calendar(now, TZ), "student": sid}
    yield people._BOUND, {"user": uid("wang")}
    yield people._BOUND, {"user": uid("out")}  # not bound: no row
    for now in (NOW, NOW - timedelta(days=300), later):
        yield queries._WINDOWS, {"now": now}
        for year, semester in ((114, 2), (115, 1), (116, 1)):
            yield queries._STATUS, {"year": year, "semester": semester, "now": now, "student": school.ids["fix"]}


def test_each_read_gives_what_session_execute_gives(school, db):  # noqa: F811
    checked = 0
    with db.session() as session:
        term = terms.current_term(session, NOW, TZ)
        cases = list(_cases(school)) + [
            (queries._OUTCOMES, {"student": school.ids[who], "term": term.id}) for who in ("ace", "fix", "max")]
        for prepared, params in cases:
            expected = [tuple(row) for row in session.execute(prepared.statement, params)]
            got = prepared.rows(session, params)
            assert got == expected, (prepared.statement, params)
            checked += bool(expected)
    assert checked > 20  # most cases found rows: the comparison is not between empty lists


def test_values_come_back_typed_as_sqlalchemy_gives_them(school, db):  # noqa: F811
    with db.session() as session:
        windows = queries._WINDOWS.rows(session, {"now": NOW})
        bound = people._BOUND.first(session, {"user": uid("fix")})
        term = terms.current_term(session, NOW, TZ)
        outcomes = queries._OUTCOMES.rows(session, {"student": school.ids["fix"], "term": term.id})
    assert windows and all(isinstance(w[1], WindowKind) for w in windows)
    assert all(w[5].tzinfo is not None and w[5].utcoffset() == timedelta(0) for w in windows)
    assert bound[0] is PersonKind.student and bound[2] == school.ids["fix"]
    assert {o[3] for o in outcomes} >= {OutcomeStatus.failed, OutcomeStatus.pending}
    assert all(isinstance(o[5], bool) for o in outcomes)  # SQLite stores 0/1


def test_listeners_see_the_statement_and_its_parameters(school, db):  # noqa: F811
    with db.session() as session, counting(db) as seen:
        queries._WHO.first(session, {"student": school.ids["ace"]})
    assert len(seen) == 1 and "FROM student" in seen[0]


def test_changes_not_yet_written_are_flushed_first(school, db):  # noqa: F811
    with db.session() as session:
        before = len(queries._WINDOWS.rows(session, {"now": NOW}))
        term = terms.current_term(session, NOW, TZ)
        session.add(Window(kind=WindowKind.pick, term_id=term.id, audience="高三",
                           starts_at=NOW, ends_at=NOW + timedelta(days=3)))
        assert len(queries._WINDOWS.rows(session, {"now": NOW})) == before + 1
        session.rollback()


def test_a_statement_with_a_list_expanded_at_execution_is_refused(db):
    expanding = Prepared(select(Outcome.id).where(Outcome.status.in_(bindparam("statuses", expanding=True))))
    with db.session() as session, pytest.raises(ValueError, match="expanding"):
        expanding.rows(session, {"statuses": ["pending"]})
    literal = Prepared(select(Outcome.id).where(Outcome.status.in_([OutcomeStatus.pending])))
    with db.session() as session, pytest.raises(ValueError):
        literal.rows(session)


def test_a_naive_datetime_is_refused_as_the_column_type_refuses_it(db):
    with db.session() as session, pytest.raises(ValueError, match="naive"):
        queries._WINDOWS.rows(session, {"now": datetime(2026, 10, 15, 10, 0)})


def test_after_the_session_commits_or_rolls_back_the_next_read_runs_in_its_new_transaction(school, db):  # noqa: F811
    sid = school.ids["ace"]
    with db.session() as session:
        first = queries._WHO.first(session, {"student": sid})
        session.commit()
        assert queries._WHO.first(session, {"student": sid}) == first
        session.rollback()
        assert queries._WHO.first(session, {"student": sid}) == first
        # and it is the session's transaction: a change made through the session is seen
        from bot.infra.models import Student
        session.get(Student, sid).name = "改名"
        assert queries._WHO.first(session, {"student": sid})[0] == "改名"
        session.rollback()


def test_my_progress_in_one_statement_is_what_the_reads_apart_give(school, db):  # noqa: F811
    # 2026-10-15: 115-1 with open windows; 2027-01-20: still 115-1, every window closed (the term on a
    # row of NULLs); 2027-03-10 and 2030: their terms are not loaded (the nearest term, asked apart);
    # 2025-12-01: 114-1.
    from bot.domain.queries.student import status_of, who
    from tests.student_school import local

    seen = set()
    with db.session() as session:
        for when in ("2026-10-15 10:00", "2027-01-20 10:00", "2027-03-10 10:00", "2025-12-01 10:00", "2030-01-05 10:00",
                     "2026-10-13 07:59", "2026-10-13 08:00"):
            now = local(when)
            for name in ("ace", "sen", "old", "fix"):
                sid = school.ids[name]
                status = status_of(session, sid, now, TZ)
                term = terms.current_term(session, now, TZ)
                assert status.term_label == (f"{term.year}-{term.semester}" if term else None), (when, name)
                assert list(status.windows) == queries.windows_for(session, who(session, sid), now), (when, name)
                apart = queries._OUTCOMES.rows(session, {"student": sid, "term": term.id}) if term else []
                assert list(status.outcomes) == [queries.OutcomeRow(*row) for row in apart], (when, name)
                seen.add((status.term_label, bool(status.windows), bool(status.outcomes)))
    assert {("115-1", True, True), ("115-1", False, True), ("114-1", True, False)} <= seen, seen


def test_a_literal_percent_and_a_parameter_used_twice_run_as_compiled(school, db):  # noqa: F811
    """On psycopg the statement is compiled with ``$1`` placeholders for a raw cursor: a ``%`` in the
    SQL is then the SQL's own, and a parameter named twice is sent once."""
    from bot.infra.models import Student
    named = Prepared(select(Student.student_no).where(
        Student.name.contains(bindparam("part")) | (Student.student_no == bindparam("part")))
        .order_by(Student.student_no))
    with db.session() as session:
        for part in ("同學", "S-ace", "ACE", "%", "無此人"):
            expected = [tuple(row) for row in session.execute(named.statement, {"part": part})]
            assert named.rows(session, {"part": part}) == expected, part
        assert len(named.rows(session, {"part": "同學"})) > 3 and named.rows(session, {"part": "S-ace"}) == [("S-ace",)]


def test_on_postgresql_the_driver_is_given_the_statement_ready_to_send(school, db):  # noqa: F811
    """psycopg rewrites ``%(name)s`` to ``$1`` on every execution and caches that only for statements
    under 4 KB; 我的進度's statement is longer, so it would be rewritten on every tap."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's driver only")
    with db.session() as session, counting(db) as seen:
        rows = queries._STATUS.rows(session, {**terms.calendar(NOW, TZ), "student": school.ids["fix"]})
    assert rows and len(seen) == 1
    assert len(seen[0].encode()) > 4096 and "$1" in seen[0] and "%(" not in seen[0]


def test_the_person_with_my_progress_is_what_load_person_and_status_of_give(school, db):  # noqa: F811
    """``status_with_person`` (one statement) against ``load_person`` then ``status_of``: students, one who
    has left, a teacher, someone not bound, at moments with open windows, closed ones and no term loaded."""
    from bot.domain.queries.student import status_of, status_with_person
    from bot.infra.models import Student
    from bot.infra.vocab import Enrolment
    from tests.student_school import local

    with db.session() as session:
        session.get(Student, school.ids["old"]).enrolment = Enrolment.transferred
    compared = set()
    for when in ("2026-10-15 10:00", "2027-01-20 10:00", "2027-03-10 10:00", "2025-12-01 10:00"):
        now = local(when)
        for who in ("ace", "sen", "old", "fix", "max", "nil", "wang", "out"):
            with db.reading() as session:
                person = people.load_person(session, uid(who))
                status = (status_of(session, person.id, now, TZ)
                          if person is not None and person.kind == PersonKind.student else None)
            with db.reading() as session:
                got = status_with_person(session, uid(who), now, TZ)
                assert people.kept_person(session) == person, who  # kept for the unit of work, as load_person keeps it
            assert got == (person, status), (when, who)
            compared.add((person.kind if person else None, bool(person and person.enrolled),
                          bool(status and status.outcomes), bool(status and status.windows)))
    assert {(PersonKind.student, True, True, True), (PersonKind.student, False, False, True),
            (PersonKind.teacher, True, False, False), (None, False, False, False)} <= compared, compared


def test_on_postgresql_a_statement_is_prepared_on_the_server_at_its_first_run(school, db):  # noqa: F811
    """Not after psycopg's default of five runs: until prepared, PostgreSQL plans 我的進度's statement anew
    each time (about a millisecond), and a pooled connection opened under load would pay that."""
    if db.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's driver only")
    from sqlalchemy import text

    from bot.infra.db import Database
    fresh = Database(db.url)  # a new pool: connections that have run nothing yet
    try:
        with fresh.engine.connect() as conn:
            assert people._BOUND.first(conn, {"user": uid("fix")})[2] == school.ids["fix"]
            prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements "
                                         "WHERE strpos(statement, 'FROM line_binding') > 0")).scalar()
        assert prepared == 1
    finally:
        fresh.dispose()
