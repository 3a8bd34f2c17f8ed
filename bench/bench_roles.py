"""How long 待認證, 班級名單 (+ the nudge plan) and 統計 take in a big school; prints figures.

Seeds N students (default 2,000, 50 a class), 6 courses a class taught by 40 teachers (each
course with 2 proxies; 5 teachers absent), 6 outcomes a student (draft/pending/certified/failed),
10 performances, this term's 收訖明細 batch (half confirmed over the window's first days), and
the windows. Then times, with their SQL statement counts: every teacher's 待認證, every class's
four lists with the nudge plan, and the whole 統計. No LINE, no web server: the queries alone.

    .venv/bin/python bench/bench_roles.py                      # a SQLite file in a temp dir
    .venv/bin/python bench/bench_roles.py --students 5000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_e   # WIPES that database
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, insert, select, text  # noqa: E402

from bot.domain import nudge  # noqa: E402
from bot.infra.db import Database  # noqa: E402
from bot.infra.migrate import upgrade  # noqa: E402
from bot.infra.models import (  # noqa: E402
    Course, CourseProxy, LineBinding, Outcome, Performance, ReceiptBatch, SchoolClass, Student, Teacher,
    TeacherAbsence, Term, Window,
)
from bot.domain.queries.homeroom import all_lists  # noqa: E402
from bot.domain.queries.rates import rates  # noqa: E402
from bot.domain.queries.teacher import pending_for_teacher  # noqa: E402
from bot.domain.queries.terms import current_term  # noqa: E402
from bot.infra.vocab import OutcomeStatus, PersonKind, WindowKind  # noqa: E402
from bot.domain.stages import StageConfig  # noqa: E402

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2025, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Taipei, term 114-1
PER_CLASS, COURSES, TEACHERS = 50, 6, 40


def seed(db: Database, students: int) -> None:
    classes = (students + PER_CLASS - 1) // PER_CLASS
    with db.session() as s:
        term = Term(year=114, semester=1)
        s.add(term)
        s.flush()
        s.execute(insert(SchoolClass), [{"id": c + 1, "code": f"{1 + c // 20}{c % 20 + 1:02d}", "grade": 1 + c // 20}
                                        for c in range(classes)])
        s.execute(insert(Teacher), [{"id": t + 1, "teacher_no": f"T{t:03d}", "name": f"老師{t}",
                                     "homeroom_class_id": t + 1 if t < classes else None} for t in range(TEACHERS)])
        s.execute(insert(LineBinding), [{"line_user_id": f"UT{t:031d}", "person_kind": PersonKind.teacher.value,
                                         "person_id": t + 1} for t in range(TEACHERS)])
        courses = [{"id": c * COURSES + k + 1, "term_id": term.id, "code": f"C{k}", "subject": f"科目{k}",
                    "class_id": c + 1, "teacher_id": (c * COURSES + k) % TEACHERS + 1}
                   for c in range(classes) for k in range(COURSES)]
        s.execute(insert(Course), courses)
        s.execute(insert(CourseProxy), [{"course_id": c["id"], "position": p, "teacher_id": (c["teacher_id"] + p * 7)
                                         % TEACHERS + 1} for c in courses for p in (1, 2)])
        s.execute(insert(TeacherAbsence), [{"teacher_id": t + 1, "starts_at": NOW - timedelta(days=1),
                                            "ends_at": NOW + timedelta(days=3)} for t in range(0, TEACHERS, 8)])
        statuses = list(OutcomeStatus)
        s.execute(insert(Student), [{"id": n + 1, "student_no": f"S{n:06d}", "name": f"學生{n}",
                                     "class_id": n // PER_CLASS + 1, "seat": n % PER_CLASS + 1, "enrolment": "enrolled"}
                                    for n in range(students)])
        s.execute(insert(LineBinding), [{"line_user_id": f"US{n:031d}", "person_kind": PersonKind.student.value,
                                         "person_id": n + 1} for n in range(students) if n % 9])
        s.execute(insert(Outcome), [
            {"outcome_no": f"O{n}-{k}", "student_id": n + 1, "course_id": (n // PER_CLASS) * COURSES + k + 1,
             "title": "成果", "status": statuses[(n + k) % 4].value, "picked": k == 0 and n % 3 == 0,
             "submitted_at": NOW - timedelta(days=(n + k) % 12),
             "certified_at": NOW - timedelta(days=(n + k) % 5) if (n + k) % 4 >= 2 else None,
             "status_changed_at": NOW} for n in range(students) for k in range(COURSES) if (n + k) % 17])
        s.execute(insert(Performance), [{"performance_no": f"P{n}-{k}", "student_id": n + 1, "year": 114,
                                         "category": "競賽", "title": "表現", "picked": k == 0 and n % 2 == 0,
                                         "uploaded_at": NOW - timedelta(days=30)}
                                        for n in range(students) for k in range(10) if n % 13])
        s.execute(insert(ReceiptBatch), [{"student_id": n + 1, "term_id": term.id,
                                          "confirmed_at": NOW - timedelta(days=n % 3) if n % 2 else None,
                                          "confirmed_how": "student" if n % 2 else None} for n in range(students)])
        for kind, start, days in ((WindowKind.certification, -20, 60), (WindowKind.receipt, -3, 7),
                                  (WindowKind.pick, -20, 40), (WindowKind.outcome_upload, -60, 70)):
            s.add(Window(kind=kind, term_id=term.id, audience="全校", starts_at=NOW + timedelta(days=start),
                         ends_at=NOW + timedelta(days=start + days)))


def timed(db: Database, work) -> tuple[list[float], int]:
    statements = [0]

    def count(*_args):
        statements[0] += 1
    event.listen(db.engine, "before_cursor_execute", count)
    times = []
    try:
        for job in work:
            with db.session() as s:
                started = time.perf_counter()
                job(s)
                times.append((time.perf_counter() - started) * 1000)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return times, statements[0]


def report(name: str, times: list[float], statements: int) -> None:
    print(f"{name:<34} runs {len(times):>4}  p50 {statistics.median(times):7.1f} ms  "
          f"max {max(times):7.1f} ms  SQL statements/run {statements / len(times):5.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--database-url", default=None, help="WIPED first; default: a SQLite file in a temp dir")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    db = Database(url)
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    upgrade(url)
    started = time.perf_counter()
    seed(db, args.students)
    with db.session() as s:
        outcomes = s.scalar(select(Outcome.id).order_by(Outcome.id.desc()).limit(1))
        classes = list(s.scalars(select(SchoolClass.id).order_by(SchoolClass.id)))
        term = current_term(s, NOW, TZ)
    print(f"{db.engine.dialect.name}: {args.students} students, {len(classes)} classes, {TEACHERS} teachers, "
          f"~{outcomes} outcomes; seeded in {time.perf_counter() - started:.1f} s")
    cfg = StageConfig()
    report("待認證 (each teacher)", *timed(db, [
        (lambda s, t=t: pending_for_teacher(s, t, NOW, cfg, TZ)) for t in range(1, TEACHERS + 1)]))

    def lists(s, class_id):
        for listing in all_lists(s, class_id, NOW, TZ):
            nudge.plan(s, listing, NOW, TZ)
    report("班級名單 4 lists + nudge plans", *timed(db, [(lambda s, c=c: lists(s, c)) for c in classes]))
    report("統計 (whole school)", *timed(db, [(lambda s: rates(s, term, NOW, TZ))] * 5))
    db.dispose()


if __name__ == "__main__":
    main()
