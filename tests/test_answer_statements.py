"""The cost of the commonest answer (issue #12, item 12): a student's 我的進度 through the signed webhook
runs a fixed, small number of SQL statements, from storing the event to marking it done. Every statement
is a round trip on PostgreSQL, so one more here is paid on every tap of every student."""
from __future__ import annotations

from bot.domain.people import load_person
from tests.student_school import uid
from tests.test_student_status import school  # noqa: F401  (the fixture)
from tests.test_teacher_query_counts import counting

MY_PROGRESS = [
    "INSERT INTO webhook_event",            # durable intake, before the 200
    "FROM line_binding",                    # who: the binding, the student and the class, together
    "WITH current_term AS",                 # all of 我的進度 together: the term, the deadlines (windows),
                                            # 課程學習成果, 多元表現, the year's picks, 收訖明細 to confirm
    "UPDATE webhook_event SET done_at",     # answered
]


def test_my_progress_runs_four_statements(school, chat, db):  # noqa: F811
    chat(uid("fix")).say("我的進度")  # warm: statements compiled once per process
    with counting(db.engine) as seen:
        answer = chat(uid("fix")).say("我的進度")
    assert answer and answer[0]["type"] == "flex"
    assert len(seen) == len(MY_PROGRESS), "\n".join(s[:120] for s in seen)
    for statement, expected in zip(seen, MY_PROGRESS):
        assert expected in " ".join(statement.replace('"', "").split()), (expected, statement[:200])  # PostgreSQL quotes "window"
    assert "JOIN student" in " ".join(seen[1].split())  # the student came with the binding
    together = " ".join(seen[2].replace('"', "").split())
    for part in ("FROM current_term LEFT OUTER JOIN window", "JOIN current_term ON course.term_id",
                 "FROM performance", "FROM receipt_batch"):
        assert part in together, part


def test_a_student_is_found_in_one_statement_a_teacher_in_three(school, db):  # noqa: F811
    for who, kind, statements in (("fix", "student", 1), ("wang", "teacher", 3), ("nobody-bound", None, 1)):
        with db.session() as session, counting(db.engine) as seen:
            person = load_person(session, uid(who))
        assert (person.kind if person else None) == kind, who
        assert len(seen) == statements, (who, seen)
