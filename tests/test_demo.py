"""The demo school's seed (on the suite's database) and `portfolio-bot demo` (always SQLite)."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import requests
from sqlalchemy import func, select

from bot.demo import start_demo
from bot.demo.school import (
    HOMEROOM_TEACHERS, STAFF, STRANGERS, STUDENTS, SUBJECT_TEACHERS, previous_term, roc_term, seed_demo_school,
)
from bot.domain.audience import Audience
from bot.domain.binding import BindOutcome, redeem
from bot.domain.people import active_binding, load_person
from bot.infra.config import SchoolRules, StageConfig
from bot.infra.models import (
    Course, LineBinding, Outcome, Performance, ReceiptBatch, SchoolClass, Student, Teacher, TeacherAbsence, Term,
    Window,
)
from bot.infra.vocab import (
    OUTCOME_PICKS_PER_YEAR, OUTCOME_UPLOADS_PER_TERM, PERFORMANCE_PICKS_PER_YEAR, RECEIPT_WINDOW_MIN_DAYS, Duty,
    OutcomeStatus, PersonKind, ReceiptItem, WindowKind,
)

TZ = ZoneInfo("Asia/Taipei")
TODAY = date(2025, 10, 15)  # 114-1


@pytest.fixture
def seeded(db):
    with db.session() as session:
        demo = seed_demo_school(session, TODAY, TZ)
    return db, demo


@pytest.mark.parametrize("day, term", [
    (date(2025, 8, 1), (114, 1)), (date(2026, 1, 31), (114, 1)), (date(2026, 2, 1), (114, 2)),
    (date(2025, 7, 31), (113, 2)), (date(2025, 12, 25), (114, 1)),
])
def test_roc_term(day, term):
    assert roc_term(day) == term


def test_previous_term():
    assert previous_term(114, 1) == (113, 2)
    assert previous_term(114, 2) == (114, 1)


def test_school_classes_people_and_courses(seeded):
    db, demo = seeded
    with db.session() as s:
        assert {(t.year, t.semester) for t in s.scalars(select(Term))} == {(114, 1), (113, 2)}
        classes = s.scalars(select(SchoolClass)).all()
        assert sorted(c.code for c in classes) == ["101", "102", "103", "201", "202", "203", "301", "302", "303"]
        assert {c.grade for c in classes} == {1, 2, 3} and {c.division for c in classes} == {"日間部"}
        per_class = Counter(st.school_class.code for st in s.scalars(select(Student)))
        assert set(per_class) == {c.code for c in classes} and min(per_class.values()) >= 6
        names = [st.name for st in s.scalars(select(Student))]
        assert len(set(names)) == len(names) and all(re.fullmatch(r"[\u4e00-\u9fff]{2,4}", n) for n in names)
        seats = s.execute(select(Student.class_id, Student.seat)).all()
        assert len(set(seats)) == len(seats)

        teachers = s.scalars(select(Teacher)).all()
        assert len(teachers) >= 12
        duties = Counter(d for t in teachers for d in t.duty_set)
        for duty in (Duty.registry, Duty.academic, Duty.activities, Duty.admin, Duty.subject_teacher):
            assert duties[duty] >= 1, duty
        homerooms = {t.homeroom_class_id for t in teachers if t.homeroom_class_id}
        assert homerooms == {c.id for c in classes}

        this_term = s.scalar(select(Term).where(Term.year == 114, Term.semester == 1))
        courses = s.scalars(select(Course).where(Course.term_id == this_term.id)).all()
        assert {c.class_id for c in courses} == {c.id for c in classes}
        for course in courses:
            assert 1 <= len(course.proxies) <= 2
            assert [p.position for p in course.proxies] == list(range(1, len(course.proxies) + 1))
            assert course.teacher_id not in {p.teacher_id for p in course.proxies}
        assert {len(c.proxies) for c in courses} == {1, 2}
    assert demo.term_label == "114-1" and demo.previous_term_label == "113-2"


def test_outcomes_in_every_status_with_history(seeded):
    db, _ = seeded
    start_of_today = datetime.combine(TODAY, datetime.min.time(), TZ)
    with db.session() as s:
        this_term = s.scalar(select(Term).where(Term.year == 114, Term.semester == 1))
        outcomes = s.scalars(select(Outcome).join(Course).where(Course.term_id == this_term.id)).all()
        by_status = Counter(o.status for o in outcomes)
        assert set(by_status) == set(OutcomeStatus)
        pending = [o for o in outcomes if o.status == OutcomeStatus.pending]
        waits = {(datetime.combine(TODAY, datetime.min.time(), TZ) - o.submitted_at).days for o in pending}
        assert len(waits) >= 4 and max(waits) >= 14
        for o in outcomes:
            assert o.history[0].status == OutcomeStatus.draft and o.history[-1].status == o.status
            if o.status == OutcomeStatus.draft:
                assert o.submitted_at is None
            else:
                assert o.submitted_at is not None
            if o.status == OutcomeStatus.failed:
                assert o.reason and o.certified_at and o.certified_at > o.submitted_at
        per_student = Counter(o.student_id for o in outcomes if o.submitted_at)
        assert max(per_student.values()) <= OUTCOME_UPLOADS_PER_TERM
        assert all(o.submitted_at < start_of_today for o in outcomes if o.submitted_at)


def test_classes_and_teachers_differ_as_in_a_real_school(seeded):
    """The statistics have something to show: classes at different paces, slow and quick certifiers."""
    db, _ = seeded
    with db.session() as s:
        this_term = s.scalar(select(Term).where(Term.year == 114, Term.semester == 1))
        outcomes = s.scalars(select(Outcome).join(Course).where(Course.term_id == this_term.id)).all()
        rate: dict[str, list[int]] = {}
        days: dict[int, list[float]] = {}
        for o in outcomes:
            if o.submitted_at:
                counts = rate.setdefault(o.course.school_class.code, [0, 0])
                counts[0] += o.status == OutcomeStatus.certified
                counts[1] += 1
            if o.status == OutcomeStatus.certified:
                days.setdefault(o.course.teacher_id, []).append((o.certified_at - o.submitted_at).days)
        rates = sorted(round(100 * c / n) for c, n in rate.values())
        assert rates[-1] - rates[0] >= 20 and len(set(rates)) >= 4, rates
        medians = sorted(sorted(d)[len(d) // 2] for d in days.values())
        assert medians[-1] - medians[0] >= 5, medians
        picked_share = Counter(o.student.school_class.code for o in s.scalars(select(Outcome).where(Outcome.picked)))
        assert len(set(picked_share.values())) >= 2


def test_picks_respect_the_yearly_limits(seeded):
    db, _ = seeded
    with db.session() as s:
        picked = s.scalars(select(Outcome).where(Outcome.picked)).all()
        assert picked and all(o.status == OutcomeStatus.certified for o in picked)
        assert all(o.course.term.year == 114 for o in picked)
        assert max(Counter(o.student_id for o in picked).values()) <= OUTCOME_PICKS_PER_YEAR
        performances = s.scalars(select(Performance)).all()
        assert performances and {p.year for p in performances} == {114}
        picked_p = [p for p in performances if p.picked]
        assert picked_p and max(Counter(p.student_id for p in picked_p).values()) <= PERFORMANCE_PICKS_PER_YEAR
        assert len(picked_p) < len(performances)


def test_receipts_for_the_previous_term(seeded):
    db, _ = seeded
    with db.session() as s:
        batches = s.scalars(select(ReceiptBatch)).all()
        assert batches and {b.term.label for b in batches} == {"113-2"}
        assert {line.item for b in batches for line in b.lines} == set(ReceiptItem)
        confirmed = [b for b in batches if b.confirmed_at]
        assert confirmed and len(confirmed) < len(batches)
        assert {b.confirmed_how for b in confirmed} == {"student"}


def test_windows_of_every_kind_around_today(seeded):
    db, _ = seeded
    now = datetime.combine(TODAY, datetime.min.time().replace(hour=12), TZ)
    with db.session() as s:
        windows = s.scalars(select(Window)).all()
    assert {w.kind for w in windows} == set(WindowKind)
    open_now = [w for w in windows if w.starts_at <= now <= w.ends_at]
    assert len(open_now) >= 3
    assert any(w.starts_at > now and w.starts_at - now < timedelta(days=10) for w in windows)  # coming soon
    assert any(w.ends_at < now for w in windows)  # closed
    for w in windows:
        assert w.starts_at < w.ends_at and w.starts_at.tzinfo is not None
        Audience.from_db(w.audience)  # stored in the canonical form
        if w.kind == WindowKind.receipt:
            assert w.ends_at - w.starts_at >= timedelta(days=RECEIPT_WINDOW_MIN_DAYS)
            assert w.starts_at <= now <= w.ends_at


def test_one_teacher_is_away_and_proxies_answer(seeded):
    db, _ = seeded
    noon = datetime.combine(TODAY, datetime.min.time().replace(hour=12), TZ)
    with db.session() as s:
        (away,) = s.scalars(select(TeacherAbsence)).all()
        assert away.starts_at <= noon <= away.ends_at and away.note
        courses = s.scalars(select(Course).where(Course.teacher_id == away.teacher_id)).all()
        assert courses and all(c.proxies for c in courses)
        pending = s.scalar(select(func.count(Outcome.id)).where(
            Outcome.course_id.in_([c.id for c in courses]), Outcome.status == OutcomeStatus.pending))
        assert pending > 0  # something for the proxies to certify


def test_demo_people_bindings_and_the_code(seeded, store):
    db, demo = seeded
    groups = {p.group for p in demo.people}
    assert groups == {STUDENTS, SUBJECT_TEACHERS, HOMEROOM_TEACHERS, STAFF, STRANGERS}
    assert all(re.fullmatch(r"Udemo[0-9a-f]{28}", p.user_id) for p in demo.people)
    assert len({p.user_id for p in demo.people}) == len(demo.people)
    holder, stranger = demo.unbound_student, demo.stranger
    assert [p for p in demo.people if p.code] == [holder]
    with db.session() as s:
        bound = [p for p in demo.people if p not in (holder, stranger)]
        for person in bound:
            found = load_person(s, person.user_id)
            assert found is not None and found.name == person.name and found.id == person.person_id
        assert {"homeroom"} <= load_person(s, demo.in_group(HOMEROOM_TEACHERS)[0].user_id).roles
        assert "staff" in load_person(s, demo.in_group(STAFF)[0].user_id).roles
        assert load_person(s, holder.user_id) is None and load_person(s, stranger.user_id) is None
        # a few students were never bound (what homeroom teachers are told about)
        students = s.scalar(select(func.count(Student.id)))
        student_bindings = s.scalar(select(func.count(LineBinding.id)).where(
            LineBinding.person_kind == PersonKind.student))
        assert student_bindings < students - 1
    with db.session() as s:
        result = redeem(s, store, holder.user_id, holder.code, datetime.now(timezone.utc))
        assert result.outcome == BindOutcome.bound and result.person.id == holder.person_id
    with db.session() as s:
        assert active_binding(s, holder.user_id).person_id == holder.person_id


def test_seed_is_deterministic_for_a_day(db):
    with db.session() as s:
        first = seed_demo_school(s, TODAY, TZ)
        names = sorted(s.scalars(select(Student.name)))
        s.rollback()
    with db.session() as s:
        second = seed_demo_school(s, TODAY, TZ)
        assert sorted(s.scalars(select(Student.name))) == names
    assert [(p.user_id, p.name) for p in first.people] == [(p.user_id, p.name) for p in second.people]


def test_second_term_seed_picks_across_the_year(db):
    with db.session() as s:
        demo = seed_demo_school(s, date(2026, 3, 10), TZ)
        assert demo.term_label == "114-2" and demo.previous_term_label == "114-1"
        picked = s.scalars(select(Outcome).where(Outcome.picked)).all()
        assert {o.course.term.label for o in picked} == {"114-1", "114-2"}
        assert max(Counter(o.student_id for o in picked).values()) <= OUTCOME_PICKS_PER_YEAR


# -- the running demo (always SQLite and the in-process store) ------------------------------
def test_start_demo_serves_a_fresh_school_with_a_scheduler(tmp_path, monkeypatch):
    monkeypatch.setenv("LINE_CHANNEL_SECRET", "a-production-secret")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/never")
    db_path = tmp_path / "demo.sqlite3"
    db_path.write_bytes(b"not a database")  # an earlier run's file is replaced
    running = start_demo("127.0.0.1", 0, db_path)
    try:
        settings = running.services.settings
        assert settings.local_mode and settings.redis_url is None
        # the school's numbers: the documented defaults (臺南二中's)
        assert settings.school == SchoolRules() and settings.stages == StageConfig()
        assert settings.channel_secret and settings.channel_secret != "a-production-secret"
        assert settings.database_url.endswith(str(db_path.resolve()))
        assert settings.line_api_base == f"{running.url}/_line"
        assert running.scheduler.running
        assert {job.id for job in running.scheduler.get_jobs()} >= {"outbox", "retention"}
        assert requests.get(f"{running.url}/healthz", timeout=5).json()["database"] is True
        page = requests.get(running.simulator_url + "/", timeout=5)
        assert page.status_code == 200 and "LINE 模擬器" in page.text
        with running.services.db.session() as s:
            assert s.scalar(select(func.count(Student.id))) >= 54
        first_people = [p.user_id for p in running.demo.people]
    finally:
        running.stop()
    assert not running.scheduler.running
    again = start_demo("127.0.0.1", 0, db_path)
    try:
        with again.services.db.session() as s:
            assert s.scalar(select(func.count(Student.id))) == len(
                [p for p in again.demo.people if p.group == STUDENTS]) + 3  # the never-bound seniors
        assert [p.user_id for p in again.demo.people] == first_people
    finally:
        again.stop()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_demo_command_prints_the_url_and_stops_on_ctrl_c(tmp_path):
    port = _free_port()
    env = {**os.environ, "LINE_CHANNEL_SECRET": "from-the-environment"}
    env.pop("DATABASE_URL", None)
    cli = Path(sys.executable).parent / "portfolio-bot"
    proc = subprocess.Popen([str(cli), "demo", "--port", str(port), "--db", str(tmp_path / "demo.sqlite3")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "/simulator" in line:
                break
        url = f"http://127.0.0.1:{port}/simulator"
        assert any(url in line for line in lines), lines
        assert any("LINE_CHANNEL_SECRET" in line for line in lines), lines  # told it is ignored
        assert requests.get(url + "/api/people", timeout=5).json()["people"]
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "Traceback" not in out
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)


def test_demo_command_on_a_taken_port_says_so_in_zh_tw(tmp_path):
    from click.testing import CliRunner

    from bot.demo import demo_command

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(demo_command, ["--port", str(port), "--db", str(tmp_path / "demo.sqlite3")])
    assert result.exit_code == 1
    assert f"連接埠 {port} 已被其他程式使用" in result.output and "Traceback" not in result.output
    assert "Address already in use" not in result.output


def test_demo_that_cannot_draw_its_menus_stops_and_says_why(tmp_path, monkeypatch):
    """Never half a demo: a menu the font cannot draw stops it with the reason, and frees the port."""
    from click.testing import CliRunner

    from bot.demo import demo_command
    from bot.domain import richmenu

    monkeypatch.setattr(richmenu.words, "BUTTONS", dict(richmenu.words.BUTTONS, staff=("統計", "龘")))
    port = _free_port()
    result = CliRunner().invoke(demo_command, ["--port", str(port), "--db", str(tmp_path / "demo.sqlite3")])
    assert result.exit_code == 1, result.output
    assert "示範無法啟動" in result.output and "缺少「龘」" in result.output
    assert "請用瀏覽器開啟" not in result.output and "Traceback" not in result.output
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{port}/simulator", timeout=2)


def test_seniors_upload_to_march_31_and_pick_after_in_the_second_term(db):
    # Seed: 「「學術群」高三學生上傳113學年度第2學期課程學習成果及113學年度多元表現 各校上傳截止日應於3/31(一)以後」
    from bot.infra.models import Window
    from bot.infra.vocab import WindowKind

    with db.session() as s:
        seed_demo_school(s, date(2026, 3, 10), TZ)
        windows = {(w.kind, w.audience): w for w in s.scalars(select(Window))}
    senior_upload = windows[(WindowKind.outcome_upload, "grades:3")]
    assert senior_upload.ends_at.astimezone(TZ).date() >= date(2026, 3, 31)
    assert windows[(WindowKind.pick, "grades:3")].starts_at > senior_upload.ends_at
    assert windows[(WindowKind.certification, "grades:3")].ends_at > senior_upload.ends_at
    assert windows[(WindowKind.outcome_upload, "grades:1;2")].ends_at < senior_upload.ends_at


def test_first_years_have_no_records_from_before_they_enrolled(db):
    # In term 1 the previous term is last school year's, before 高一 students came: no outcomes, no 收訖明細.
    from bot.infra.models import ReceiptBatch, SchoolClass

    with db.session() as s:
        demo = seed_demo_school(s, TODAY, TZ)
        assert demo.term_label.endswith("-1")
        grades_with_batches = set(s.scalars(
            select(SchoolClass.grade).join(Student, Student.class_id == SchoolClass.id)
            .join(ReceiptBatch, ReceiptBatch.student_id == Student.id)))
        terms = {o.course.term.label for o in s.scalars(
            select(Outcome).join(Student, Outcome.student_id == Student.id)
            .join(SchoolClass, Student.class_id == SchoolClass.id).where(SchoolClass.grade == 1))}
    assert grades_with_batches == {2, 3}
    assert terms == {demo.term_label}
