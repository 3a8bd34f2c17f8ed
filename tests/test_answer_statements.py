"""The cost of the commonest answer (issue #12, item 12): a student's 我的進度 through the signed webhook
runs a fixed, small number of SQL statements, from storing the event to marking it done. Every statement
is a round trip on PostgreSQL, so one more here is paid on every tap of every student."""
from __future__ import annotations

from bot.domain.people import load_person
from tests.student_school import uid
from tests.test_student_status import school  # noqa: F401  (the fixture)
from tests.helpers import counting

MY_PROGRESS = [
    "INSERT INTO webhook_event",            # durable intake, before the 200
    "WITH current_term AS",                 # who (the binding, the student and the class) and all of 我的進度
                                            # together: the term, the deadlines (windows), 課程學習成果,
                                            # 多元表現, the year's picks, 收訖明細 to confirm
    "UPDATE webhook_event SET done_at",     # answered
]


def test_my_progress_runs_three_statements(school, chat, db):  # noqa: F811
    chat(uid("fix")).say("我的進度")  # warm: statements compiled once per process
    with counting(db) as seen:
        answer = chat(uid("fix")).say("我的進度")
    assert answer and answer[0]["type"] == "flex"
    assert len(seen) == len(MY_PROGRESS), "\n".join(s[:120] for s in seen)
    for statement, expected in zip(seen, MY_PROGRESS):
        assert expected in " ".join(statement.replace('"', "").split()), (expected, statement[:200])  # PostgreSQL quotes "window"
    together = " ".join(seen[1].replace('"', "").split())
    for part in ("FROM line_binding LEFT OUTER JOIN student", "FROM current_term LEFT OUTER JOIN window",
                 "JOIN current_term ON course.term_id", "FROM performance", "FROM receipt_batch"):
        assert part in together, part


def test_a_status_detail_is_one_statement_with_the_person_too(school, chat, db):  # noqa: F811
    chat(uid("fix")).tap("a=st&v=outcomes")
    with counting(db) as seen:
        answer = chat(uid("fix")).tap("a=st&v=outcomes")
    assert answer and "課程學習成果" in answer[0]["text"]
    assert len(seen) == 3 and "FROM line_binding" in seen[1] and "current_term" in seen[1], seen


def test_whoever_else_taps_my_progress_gets_their_own_answer(school, chat, db):  # noqa: F811
    """The person comes with 我的進度's statement, and the route is still decided with them: a teacher, someone
    not bound and a student writing a 疑義 (whose words are the 疑義's) get what they got before."""
    from messages import common
    assert chat(uid("wang")).say("我的進度") == [common.not_for_your_role(student=False)]
    assert chat(uid("out")).say("我的進度") == [common.please_bind()]
    assert chat(uid("fix")).say("我的進度")[0]["type"] == "flex"


def test_a_student_is_found_in_one_statement_a_teacher_in_three(school, db):  # noqa: F811
    for who, kind, statements in (("fix", "student", 1), ("wang", "teacher", 3), ("nobody-bound", None, 1)):
        with db.session() as session, counting(db) as seen:
            person = load_person(session, uid(who))
        assert (person.kind if person else None) == kind, who
        assert len(seen) == statements, (who, seen)


def test_what_a_route_prefetched_reaches_only_that_route(school, services, db):  # noqa: F811
    """The route guessed before the person is known may not be the one that answers (an earlier route
    taking the event once the person is known): its data is then dropped, and the answering route reads
    its own."""
    from bot.domain.people import STUDENT
    from bot.web.dispatch import Dispatcher
    from handlers.context import EventContext
    from handlers.routing import Router
    from bot.demo.simulator.events import text_event

    router, seen = Router(), []
    prefetched = object()

    @router.words("甲", roles={STUDENT}, when=lambda ctx: ctx.person is not None)
    def earlier(ctx, session):
        seen.append(("earlier", ctx.prefetched))
        return [{"type": "text", "text": "earlier"}]

    @router.words("甲", reads_only=True, prefetch=lambda ctx, session: (load_person(session, ctx.user_id), prefetched))
    def guessed(ctx, session):
        seen.append(("guessed", ctx.prefetched))
        return [{"type": "text", "text": "guessed"}]

    dispatcher = Dispatcher(services, router, mode="inline")
    assert router.prefetching(EventContext.from_event(text_event(uid("fix"), "甲", "t"), services)).handler is guessed
    for who, answers in (("fix", "earlier"), ("out", "guessed")):  # bound: the earlier route; not bound: the guess
        ctx = EventContext.from_event(text_event(uid(who), "甲", "t"), services)
        assert dispatcher.handle(ctx) == [{"type": "text", "text": answers}], who
    assert seen == [("earlier", None), ("guessed", prefetched)]
