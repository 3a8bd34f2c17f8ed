"""One reminder sweep over a generated school on PostgreSQL: time, memory, SQL statements,
counted messages, and the cost against a naive bot.

    python bench/bench_sweep.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test_f \\
        [--students 3000 100000] [--term-students 3000]

**The database is wiped** (DROP SCHEMA public CASCADE) and migrated. For each size the
school is bulk-loaded with COPY: 40 students a class (grades 1-3), 6 courses a class,
1.5 teachers a class (homeroom teachers, two proxies a course, a 註冊組 member), three
outcomes a student this term (15 % 未送出, 20 % 待認證, 10 % 認證失敗 with a reason, the rest
認證成功), a 多元表現 for 60 %, a 收訖明細 batch for everyone (70 % confirmed); 95 % of
students and 90 % of teachers bound, 2 % blocked, 1 % no longer enrolled, 3 % muted 勾選.

Five windows are open on 2026-11-17 (Taipei) and each has a stage due at 08:00 that day,
the worst case for one sweep: 課程學習成果上傳 (3 days before closing), 認證 (escalation),
多元表現上傳 (高一/高二, 3 days before), 勾選 (3 days before, homeroom lists) and 收訖明細確認
(its last day, homeroom lists); plus 認證失敗 news from the day before. The sweep at 08:05
runs for real: ledger rows, outbox rows, and sends to a LINE stand-in in another process.

Printed per size: wall time; the next sweep's wall time (5 minutes later, when everything found is
already in the ledger: the worker's steady state); peak Python memory of the sweep (tracemalloc, a second run
on an emptied ledger) and the process's peak RSS; SQL statements (every cursor execute,
counted by a SQLAlchemy event) split into planning + recording and delivery; LINE
requests; counted messages; and the naive bot's counted messages for the same moment (every
window's due reminder pushed, one message per window, to everyone in its 對象 who can be
reached: students of the audience; teachers of its courses for 認證; homeroom teachers for
勾選/收訖明細 lists). With ``--term-students`` a whole term (11/01-11/21, one sweep a day at
08:05) is swept three times and compared with the naive bot over every stage of every window: on
static data; with people acting towards each deadline (the behaviour model below); and with that
and a monthly budget (``--budget``, LINE_MONTHLY_BUDGET; default one message a student).
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import threading
import time
import tracemalloc
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.infra.config import Settings  # noqa: E402
from bot.infra.db import Database  # noqa: E402
from bot.infra.migrate import upgrade  # noqa: E402
from bot.infra.sender import Sender  # noqa: E402
from bot.infra.services import Services  # noqa: E402
from bot.infra.store import MemoryStore  # noqa: E402

TZ = ZoneInfo("Asia/Taipei")
PER_CLASS = 40
COURSES_PER_CLASS = 6
REASONS = ["照片模糊", "缺少心得", "檔案無法開啟", "內容與課程無關", "重複上傳"]
SWEEP_AT = "2026-11-17 08:05"
NEXT_SWEEP_MINUTES = 5  # the worker's next sweep: finds the same items, all in the ledger by then
WINDOWS = [  # kind, audience, start, end (local)
    ("outcome_upload", "全校", "2026-11-02 00:00", "2026-11-20 17:00"),
    ("certification", "全校", "2026-11-10 00:00", "2026-11-19 17:00"),
    ("performance_upload", "grades:1;2", "2026-11-03 00:00", "2026-11-20 17:00"),
    ("pick", "全校", "2026-11-14 00:00", "2026-11-20 17:00"),
    ("receipt", "全校", "2026-11-15 00:00", "2026-11-18 00:00"),
]
STANDIN = """
import logging, sys
from flask import Flask
logging.getLogger("werkzeug").setLevel(logging.ERROR)
from werkzeug.serving import make_server
from bot.demo.simulator.line_api import LineStandIn
app = Flask("standin"); app.register_blueprint(LineStandIn().blueprint())
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


def local(text_: str) -> datetime:
    return datetime.fromisoformat(text_).replace(tzinfo=TZ).astimezone(timezone.utc)


# -- the data set -------------------------------------------------------------------------
def reset(url: str) -> Database:
    db = Database(url)
    if db.engine.dialect.name != "postgresql":
        raise SystemExit("bench_sweep needs PostgreSQL (--database-url postgresql+psycopg://...)")
    with db.engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
    db.dispose()
    upgrade(url)
    return Database(url)


def copy(raw, table: str, columns: list[str], rows) -> None:
    with raw.cursor() as cur:
        with cur.copy(f"COPY \"{table}\" ({', '.join(columns)}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)


def load(db: Database, n_students: int) -> dict[str, int]:
    """Bulk-load the school (fresh tables: ids are 1..n in COPY order)."""
    classes = -(-n_students // PER_CLASS)
    n_teachers = classes * 3 // 2 + 1
    t0 = local("2026-09-01 08:00")
    recent, old = local("2026-11-16 10:00"), local("2026-10-01 10:00")
    raw = db.engine.raw_connection()
    try:
        copy(raw, "term", ["year", "semester"], [(115, 1)])
        copy(raw, "school_class", ["code", "grade", "division"],
             ((f"{c % 3 + 1}{c // 3 + 1:04d}", c % 3 + 1, "普通科") for c in range(classes)))
        copy(raw, "student", ["student_no", "name", "class_id", "seat", "enrolment"],
             ((f"S{s:06d}", f"學生{s}", s // PER_CLASS + 1, s % PER_CLASS + 1,
               "enrolled" if s % 100 != 99 else "transferred")
              for s in range(n_students)))
        copy(raw, "teacher", ["teacher_no", "name", "homeroom_class_id"],
             ((f"T{t:05d}", f"老師{t}", t + 1 if t < classes else None) for t in range(n_teachers)))
        copy(raw, "teacher_duty", ["teacher_id", "duty"], [(n_teachers, "registry")])
        course_teacher = lambda c, k: (c * COURSES_PER_CLASS + k) % n_teachers + 1  # noqa: E731
        copy(raw, "course", ["term_id", "code", "subject", "class_id", "teacher_id"],
             ((1, f"C{k}", f"科目{k}", c + 1, course_teacher(c, k))
              for c in range(classes) for k in range(COURSES_PER_CLASS)))
        copy(raw, "course_proxy", ["course_id", "position", "teacher_id"],
             ((c * COURSES_PER_CLASS + k + 1, p, (course_teacher(c, k) + 7 * p) % n_teachers + 1)
              for c in range(classes) for k in range(COURSES_PER_CLASS) for p in (1, 2)))
        outcomes, events = [], []
        for s in range(n_students):
            c = s // PER_CLASS
            for k in range(3):
                r = (s * 7 + k * 3) % 20
                status = ("draft" if r < 3 else "pending" if r < 7 else "failed" if r < 9 else "certified")
                reason = REASONS[s % len(REASONS)] if status == "failed" else None
                submitted = None if status == "draft" else t0 + timedelta(days=r + 30)
                outcomes.append((f"O{s:06d}-{k}", s + 1, c * COURSES_PER_CLASS + k + 1, f"成果{s}-{k}", status,
                                 submitted, submitted if status in ("failed", "certified") else None, reason,
                                 status == "certified" and k == 0 and s % 3 == 0, submitted or t0))
                if status == "failed":  # one in four learnt yesterday (news), the rest long ago
                    when = recent if len(events) % 4 == 0 else old
                    events.append((len(outcomes), "failed", when, reason, when))
        copy(raw, "outcome", ["outcome_no", "student_id", "course_id", "title", "status", "submitted_at",
                              "certified_at", "reason", "picked", "status_changed_at"], outcomes)
        copy(raw, "outcome_event", ["outcome_id", "status", "happened_at", "reason", "recorded_at"], events)
        copy(raw, "performance", ["performance_no", "student_id", "year", "category", "title", "uploaded_at",
                                  "picked"],
             ((f"P{s:06d}", s + 1, 115, "幹部", f"表現{s}", t0, s % 2 == 0)
              for s in range(n_students) if s % 5 < 3))
        copy(raw, "receipt_batch", ["student_id", "term_id", "confirmed_at", "confirmed_how"],
             ((s + 1, 1, t0 if s % 10 < 7 else None, "student" if s % 10 < 7 else None)
              for s in range(n_students)))
        copy(raw, "line_binding", ["line_user_id", "person_kind", "person_id", "bound_at", "blocked"],
             [(f"U{s:032x}", "student", s + 1, t0, s % 50 == 1) for s in range(n_students) if s % 20 != 0]
             + [(f"U{10**7 + t:032x}", "teacher", t + 1, t0, False) for t in range(n_teachers) if t % 10 != 9])
        copy(raw, "reminder_mute", ["person_kind", "person_id", "kind", "muted_at"],
             ((("student", s + 1, "pick", t0)) for s in range(n_students) if s % 33 == 0))
        copy(raw, "window", ["kind", "term_id", "audience", "starts_at", "ends_at"],
             ((kind, 1, audience, local(start), local(end)) for kind, audience, start, end in WINDOWS))
        raw.commit()
        with raw.cursor() as cur:
            cur.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    return {"classes": classes, "teachers": n_teachers, "outcomes": len(outcomes)}


# -- the naive bot ------------------------------------------------------------------------
NAIVE_SQL = {
    "students": """SELECT count(*) FROM student s JOIN school_class c ON c.id = s.class_id
        JOIN line_binding b ON b.person_kind = 'student' AND b.person_id = s.id AND b.unbound_at IS NULL
             AND NOT b.blocked
        WHERE s.enrolment = 'enrolled' AND (:aud = '全校' OR c.grade = ANY(CAST(:grades AS integer[])))""",
    "course_teachers": """SELECT count(DISTINCT t.id) FROM course co JOIN school_class c ON c.id = co.class_id
        JOIN teacher t ON t.id = co.teacher_id
        JOIN line_binding b ON b.person_kind = 'teacher' AND b.person_id = t.id AND b.unbound_at IS NULL
             AND NOT b.blocked
        WHERE (:aud = '全校' OR c.grade = ANY(CAST(:grades AS integer[])))""",
    "homeroom": """SELECT count(*) FROM teacher t JOIN school_class c ON c.id = t.homeroom_class_id
        JOIN line_binding b ON b.person_kind = 'teacher' AND b.person_id = t.id AND b.unbound_at IS NULL
             AND NOT b.blocked
        WHERE (:aud = '全校' OR c.grade = ANY(CAST(:grades AS integer[])))""",
}


def naive_audience(db: Database, kind: str, audience: str) -> tuple[int, int]:
    """(main audience, homeroom teachers) a naive bot pushes each of the window's reminders to."""
    grades = [int(g) for g in audience.split(":", 1)[1].split(";")] if audience.startswith("grades:") else []
    with db.engine.connect() as conn:
        def count(name: str) -> int:
            return conn.execute(text(NAIVE_SQL[name]), {"aud": audience, "grades": grades}).scalar_one()
        main = count("course_teachers") if kind == "certification" else count("students")
        homeroom = count("homeroom") if kind in ("pick", "receipt") else 0
    return main, homeroom


def naive_for(db: Database, cfg, moments: list[datetime]) -> int:
    """The naive bot's counted messages over the given sweep moments (each stage sent once)."""
    from bot.domain.stages import daily_stage, due_stage, window_stages
    total, sent = 0, set()
    for kind, audience, start, end in WINDOWS:
        names = ("opening", "before", "escalate", "last_day") if kind == "certification" else (
            ("opening", "last_day") if kind == "receipt" else ("opening", "before", "last_day"))
        stages = window_stages(local(start), local(end), cfg, TZ, names)
        main, homeroom = naive_audience(db, kind, audience)
        for now in moments:
            stage = due_stage(stages, local(end), now)
            if stage is not None and (kind, stage.name) not in sent:
                sent.add((kind, stage.name))
                total += main + (homeroom if kind == "pick" else 0)
            day = daily_stage(local(start), local(end), now, cfg, TZ) if kind == "receipt" else None
            if day is not None and (kind, day.name) not in sent:
                sent.add((kind, day.name))
                total += homeroom
    return total


# -- measuring ----------------------------------------------------------------------------
@dataclass
class Counter:
    """Every cursor execute; those inside `Sender.deliver_many` counted apart too."""

    n: int = 0
    delivering: int = 0

    def __call__(self, *args) -> None:
        with _lock:
            self.n += 1


_lock = threading.Lock()


@contextmanager
def counting(db: Database):
    counter = Counter()
    with db.watching(counter):
        yield counter


def forget_sends(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("TRUNCATE reminder_ledger, outbox_message RESTART IDENTITY"))


def services_for(url: str, line_api_base: str) -> Services:
    settings = Settings(channel_secret="bench", channel_access_token="bench", line_api_base=line_api_base,
                        database_url=url, redis_url=None, local_mode=False, sender_attempts=3,
                        sender_backoff=0.05, sender_timeout=10)
    db = Database(url)
    store = MemoryStore()
    return Services(settings=settings, db=db, store=store, sender=Sender(settings, db, store))


def one_sweep(url: str, base: str, n_students: int) -> None:
    from bot.domain.stages import StageConfig
    from scheduler.sweep import run_sweep

    db = reset(url)
    started = time.perf_counter()
    shape = load(db, n_students)
    print(f"\n== {n_students:,} students: {shape['classes']:,} classes, {shape['teachers']:,} teachers, "
          f"{shape['outcomes']:,} outcomes (bulk load {time.perf_counter() - started:.1f} s)")
    cfg = StageConfig()
    services = services_for(url, base)
    real_deliver_many = services.sender.deliver_many

    sending = [0.0]

    def deliver_many(outbox_ids, threads=8):
        before, began = counter.n, time.perf_counter()
        try:
            return real_deliver_many(outbox_ids, threads)
        finally:
            counter.delivering += counter.n - before
            sending[0] += time.perf_counter() - began

    services.sender.deliver_many = deliver_many
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with counting(services.db) as counter:
        started = time.perf_counter()
        report = run_sweep(services, local(SWEEP_AT), cfg=cfg)
        wall = time.perf_counter() - started
        sent_in = sending[0]
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    later = run_sweep(services, local(SWEEP_AT) + timedelta(minutes=NEXT_SWEEP_MINUTES), cfg=cfg)
    next_wall = time.perf_counter() - started
    assert later.people == 0, later.lines()  # everything due was sent by the first sweep
    forget_sends(services.db)
    tracemalloc.start()
    again = run_sweep(services, local(SWEEP_AT), cfg=cfg)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert again.counted == report.counted
    naive = naive_for(services.db, cfg, [local(SWEEP_AT)])
    for (rule, stage), people in sorted(report.reached.items()):
        print(f"   {rule:<22} {stage:<16} {people:>8,} people")
    print(f"   wall time                 {wall:8.2f} s  (planning + recording {wall - sent_in:.2f} s, "
          f"sending to the stand-in {sent_in:.2f} s)")
    print(f"   the next sweep            {next_wall:8.2f} s  ({NEXT_SWEEP_MINUTES} min later: the same items found, "
          f"all already in the ledger, nothing sent)")
    print(f"   peak Python memory        {peak / 2**20:8.1f} MB (tracemalloc)   peak RSS {rss_after / 1024:.0f} MB "
          f"(grew {max(rss_after - rss_before, 0) / 1024:.0f} MB in the sweep)")
    print(f"   SQL statements            {counter.n - counter.delivering:8,} planning + recording, "
          f"{counter.delivering:,} delivering ({report.requests:,} LINE requests)")
    print(f"   counted messages          {report.counted:8,} to {report.people:,} people")
    print(f"   naive bot, same moment    {naive:8,}   ratio {report.counted / naive:.3f}")
    services.close()


# -- the behaviour model (whole term) -------------------------------------------------------
# Each day before the 08:05 sweep, people who still owe something act with a probability that grows
# towards the window's last day: P_FAR while 10 or more days are left, rising linearly to P_LAST on
# the last day; a person reminded by yesterday's sweep acts with P_REMINDED more. Students upload
# (未送出 / 認證失敗 -> 待認證), add a 多元表現, pick, and confirm their 收訖明細; subject teachers certify
# (待認證 -> 認證成功). Each owed row is drawn on its own (PostgreSQL random(), seeded).
P_FAR, P_LAST, P_REMINDED, RAMP_DAYS = 0.05, 0.40, 0.20, 10

BEHAVIOUR = {
    "outcome_upload": """UPDATE outcome o SET status = 'pending', submitted_at = :now, status_changed_at = :now
        WHERE o.status IN ('draft', 'failed') AND random() < :p + :b * (o.student_id IN (SELECT * FROM reminded_students))::int""",
    "certification": """UPDATE outcome o SET status = 'certified', certified_at = :now, status_changed_at = :now
        FROM course c WHERE c.id = o.course_id AND o.status = 'pending'
        AND random() < :p + :b * (c.teacher_id IN (SELECT * FROM reminded_teachers))::int""",
    "performance_upload": """INSERT INTO performance (performance_no, student_id, year, category, title, uploaded_at, picked)
        SELECT 'M' || s.id || '-' || :day, s.id, 115, '幹部', '新表現', :now, false FROM student s
        JOIN school_class k ON k.id = s.class_id WHERE k.grade IN (1, 2)
        AND NOT EXISTS (SELECT 1 FROM performance p WHERE p.student_id = s.id AND p.year = 115)
        AND random() < :p + :b * (s.id IN (SELECT * FROM reminded_students))::int""",
    "pick": """UPDATE outcome o SET picked = true WHERE o.status = 'certified' AND NOT o.picked
        AND random() < :p + :b * (o.student_id IN (SELECT * FROM reminded_students))::int""",
    "pick_performance": """UPDATE performance p SET picked = true WHERE NOT p.picked
        AND random() < :p + :b * (p.student_id IN (SELECT * FROM reminded_students))::int""",
    "receipt": """UPDATE receipt_batch r SET confirmed_at = :now, confirmed_how = 'student' WHERE r.confirmed_at IS NULL
        AND random() < :p + :b * (r.student_id IN (SELECT * FROM reminded_students))::int""",
}
REMINDED = """CREATE TEMP TABLE reminded_{kind}s ON COMMIT DROP AS SELECT DISTINCT person_id FROM reminder_ledger
    WHERE person_kind = '{kind}' AND skipped IS NULL AND created_at >= :since"""


def act(db: Database, day: date, moment: datetime) -> None:
    """A day of people acting, by the model above (one transaction, a statement per open window)."""
    with db.engine.begin() as conn:
        conn.execute(text("SELECT setseed(:seed)"), {"seed": day.day / 100})  # the same draws every run
        for kind in ("student", "teacher"):
            conn.execute(text(REMINDED.format(kind=kind)), {"since": moment - timedelta(days=1)})
        for kind, _audience, start, end in WINDOWS:
            if not local(start) <= moment < local(end):
                continue
            left = (local(end).astimezone(TZ).date() - day).days
            p = P_FAR + (P_LAST - P_FAR) * max(0, RAMP_DAYS - left) / RAMP_DAYS
            for name in (kind, "pick_performance") if kind == "pick" else (kind,):
                conn.execute(text(BEHAVIOUR[name]), {"p": p, "b": P_REMINDED, "now": moment, "day": day.isoformat()})


def whole_term(url: str, base: str, n_students: int, budget: int | None, behave: bool) -> None:
    from sqlalchemy import func, select

    from bot.domain.stages import StageConfig
    from bot.infra.models import ReminderLedger
    from scheduler.sweep import run_sweep

    db = reset(url)
    load(db, n_students)
    cfg = StageConfig()
    services = services_for(url, base)
    services.settings = services.settings.with_(line_monthly_budget=budget)
    day, counted, moments = date(2026, 11, 1), 0, []
    started = time.perf_counter()
    while day <= date(2026, 11, 21):
        moment = local(f"{day} 08:05")
        if behave:
            act(db, day, moment)
        moments.append(moment)
        services.clock = lambda moment=moment: moment  # outbox rows are dated by the sweep's moment
        counted += run_sweep(services, moment, cfg=cfg).counted
        day += timedelta(days=1)
    naive = naive_for(services.db, cfg, moments)
    with db.session() as s:
        by_stage = dict(s.execute(select(ReminderLedger.stage, func.count()).where(ReminderLedger.skipped.is_(None))
                                  .where(ReminderLedger.stage.in_(["opening", "last_day"]))
                                  .group_by(ReminderLedger.stage)).all())
        skipped = dict(s.execute(select(ReminderLedger.stage, func.count()).where(ReminderLedger.skipped.is_not(None))
                                 .group_by(ReminderLedger.stage)).all())
    label = (("students act (model above)" if behave else "static data") + ", "
             + (f"LINE_MONTHLY_BUDGET {budget:,}" if budget is not None else "no budget"))
    print(f"\n== whole term, {n_students:,} students, {len(moments)} daily sweeps, {label} "
          f"({time.perf_counter() - started:.1f} s)")
    print(f"   counted messages {counted:,} = {counted / n_students:.2f} a student in the month "
          f"(the term's windows all fall in November); naive bot {naive:,}; ratio {counted / naive:.3f}")
    print(f"   ledger items sent: opening {by_stage.get('opening', 0):,}, last day {by_stage.get('last_day', 0):,}; "
          f"skipped for the budget: {sum(skipped.values()):,} "
          + (f"({', '.join(f'{k} {v:,}' for k, v in sorted(skipped.items()))})" if skipped else ""))
    services.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--students", type=int, nargs="+", default=[3000, 100_000])
    parser.add_argument("--term-students", type=int, default=3000, help="0: skip the whole-term run")
    parser.add_argument("--budget", type=int, default=None,
                        help="LINE_MONTHLY_BUDGET for the modelled term (default: one message a student)")
    args = parser.parse_args()
    if not args.database_url:
        raise SystemExit("give --database-url (PostgreSQL; it is wiped)")
    standin = subprocess.Popen([sys.executable, "-c", STANDIN], stdout=subprocess.PIPE, text=True,
                               cwd=Path(__file__).resolve().parents[1])
    try:
        base = f"http://127.0.0.1:{standin.stdout.readline().strip()}"
        for n in args.students:
            one_sweep(args.database_url, base, n)
        if args.term_students:
            budget = args.budget if args.budget is not None else args.term_students
            whole_term(args.database_url, base, args.term_students, None, behave=False)
            whole_term(args.database_url, base, args.term_students, None, behave=True)
            whole_term(args.database_url, base, args.term_students, budget, behave=True)
    finally:
        standin.terminate()
        standin.wait(10)


if __name__ == "__main__":
    main()
