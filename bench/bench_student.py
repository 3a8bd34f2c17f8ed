"""How long a student's 我的進度 and 收訖明細 take to compute in a big school; prints figures.

Seeds N students (default 2,000 in 40 classes), each with 6 outcomes this term, 10 performances,
last term's 收訖明細 batch of 20 lines and an objection for every tenth; five windows. Then, for
200 random students, times `status_of` + `batches_of` (what 我的進度 and 收訖明細 run) and counts
their SQL statements. No LINE, no web server: the queries alone.

    .venv/bin/python bench/bench_student.py                     # a SQLite file in a temp dir
    .venv/bin/python bench/bench_student.py --students 5000 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_d   # WIPES that database
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event, text  # noqa: E402

from bot.infra.db import Database  # noqa: E402
from bot.infra.migrate import upgrade  # noqa: E402
from bot.infra.models import (  # noqa: E402
    Course, Objection, Outcome, Performance, ReceiptBatch, ReceiptLine, SchoolClass, Student, Teacher, Term, Window,
)
from bot.domain.queries.student import batches_of, status_of  # noqa: E402
from bot.infra.vocab import OutcomeStatus, ReceiptItem, WindowKind  # noqa: E402

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2026, 10, 15, 2, 0, tzinfo=timezone.utc)


def seed(db: Database, students: int) -> list[int]:
    per_class = 50
    with db.session() as s:
        term, prev = Term(year=115, semester=1), Term(year=114, semester=2)
        s.add_all([term, prev])
        teacher = Teacher(teacher_no="T1", name="老師")
        s.add(teacher)
        s.flush()
        classes = [SchoolClass(code=f"{1 + i // 14}{i % 14 + 1:02d}", grade=1 + i // 14)
                   for i in range((students + per_class - 1) // per_class)]
        s.add_all(classes)
        s.flush()
        courses = {}
        for c in classes:
            courses[c.id] = [Course(term_id=term.id, code=f"C{k}", subject=f"科目{k}", class_id=c.id,
                                    teacher_id=teacher.id) for k in range(6)]
            s.add_all(courses[c.id])
        s.flush()
        ids = []
        statuses = list(OutcomeStatus)
        for n in range(students):
            c = classes[n // per_class]
            st = Student(student_no=f"S{n:06d}", name=f"學生{n}", class_id=c.id, seat=n % per_class + 1)
            s.add(st)
            s.flush()
            ids.append(st.id)
            s.add_all(Outcome(outcome_no=f"O{n}-{k}", student_id=st.id, course_id=course.id, title=f"成果{k}",
                              status=statuses[(n + k) % 4], reason="請補充" if (n + k) % 4 == 3 else None,
                              picked=k < 2) for k, course in enumerate(courses[c.id]))
            s.add_all(Performance(performance_no=f"P{n}-{k}", student_id=st.id, year=115, category="競賽",
                                  title=f"表現{k}", picked=k < 3) for k in range(10))
            batch = ReceiptBatch(student_id=st.id, term_id=prev.id)
            batch.lines = [ReceiptLine(item=list(ReceiptItem)[k % 4], content=f"項目 {k}") for k in range(20)]
            s.add(batch)
            if n % 10 == 0:
                s.flush()
                s.add(Objection(batch_id=batch.id, item=ReceiptItem.course_record, reason="有誤", created_at=NOW))
        for kind, t, start, days in ((WindowKind.outcome_upload, term, -14, 20), (WindowKind.certification, term, -14, 30),
                                     (WindowKind.performance_upload, term, -40, 10), (WindowKind.pick, term, 5, 10),
                                     (WindowKind.receipt, prev, -1, 5)):
            s.add(Window(kind=kind, term_id=t.id, audience="全校", starts_at=NOW + timedelta(days=start),
                         ends_at=NOW + timedelta(days=start + days)))
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--database-url", default=None, help="PostgreSQL URL (wiped) or none for SQLite")
    args = parser.parse_args()
    url = args.database_url or f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench.sqlite3'}"
    if url.startswith("postgresql"):
        probe = Database(url)
        with probe.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        probe.dispose()
    upgrade(url)
    db = Database(url)
    started = time.perf_counter()
    ids = seed(db, args.students)
    print(f"seeded {args.students} students ({args.students * 6} outcomes, {args.students * 10} performances, "
          f"{args.students * 20} receipt lines) in {time.perf_counter() - started:.1f} s on {db.engine.dialect.name}")
    statements = 0

    def count(*_):
        nonlocal statements
        statements += 1

    event.listen(db.engine, "before_cursor_execute", count)
    rng = random.Random(4)
    timings, counts = [], []
    for student_id in rng.sample(ids, min(args.samples, len(ids))):
        statements = 0
        t0 = time.perf_counter()
        with db.session() as session:
            status = status_of(session, student_id, NOW, TZ)
            batches = batches_of(session, student_id, NOW)
        timings.append((time.perf_counter() - t0) * 1000)
        counts.append(statements)
        assert status is not None and len(status.outcomes) == 6 and batches
    timings.sort()
    p = lambda q: timings[min(len(timings) - 1, int(q * len(timings)))]  # noqa: E731
    print(f"我的進度 + 收訖明細 per student: p50 {p(0.5):.1f} ms, p95 {p(0.95):.1f} ms, max {timings[-1]:.1f} ms "
          f"over {len(timings)} students; SQL statements per student: {min(counts)}-{max(counts)} "
          f"(mean {statistics.mean(counts):.1f})")
    db.dispose()


if __name__ == "__main__":
    main()
