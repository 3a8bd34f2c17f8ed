"""A small realistic school for the reminder tests, built through the ORM.

Term 115-1; classes 101, 102 (高一) and 201 (高二). Who is who:

students  amy 101-1 draft outcome            ben 101-2 failed outcome (reason)
          cat 101-3 all certified + picked   dan 102-1 pending outcome, no performance
          eve 102-2 draft, BLOCKED the bot   fay 102-3 draft, NOT BOUND
          gus 201-1 draft, NOT ENROLLED       hal 201-2 draft, MUTED outcome_upload
teachers  wang  math teacher of 101/102, 導師 of 101     lin  proxy 1 of wang's courses
          chen  proxy 2                                  hsu  註冊組 (staff)
          kao   導師 of 102, NOT BOUND
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.infra.models import (
    Course, CourseProxy, LineBinding, Outcome, OutcomeEvent, Performance, ReceiptBatch, ReceiptLine,
    ReminderMute, SchoolClass, Student, Teacher, TeacherDuty, Term, Window,
)
from bot.infra.vocab import Duty, OutcomeStatus, PersonKind, ReceiptItem, WindowKind

TZ = ZoneInfo("Asia/Taipei")


def local(text: str) -> datetime:
    """'2026-11-02 08:05' in Taipei, as aware UTC."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(timezone.utc)


def uid(n: int) -> str:
    return "U" + f"{n:032x}"


@dataclass
class School:
    term: Term
    ids: dict[str, int] = field(default_factory=dict)
    uids: dict[str, str] = field(default_factory=dict)
    courses: dict[str, Course] = field(default_factory=dict)

    def line(self, name: str) -> str:
        return self.uids[name]


STUDENTS = [  # name, class, seat, enrolled
    ("amy", "101", 1, True), ("ben", "101", 2, True), ("cat", "101", 3, True),
    ("dan", "102", 1, True), ("eve", "102", 2, True), ("fay", "102", 3, True),
    ("gus", "201", 1, False), ("hal", "201", 2, True),
]
TEACHERS = ["wang", "lin", "chen", "hsu", "kao"]
UNBOUND = {"fay", "kao"}
BLOCKED = {"eve"}


def build_school(session: Session) -> School:
    term = Term(year=115, semester=1)
    session.add(term)
    classes = {code: SchoolClass(code=code, grade=int(code[0])) for code in ("101", "102", "201")}
    session.add_all(classes.values())
    session.flush()
    school = School(term=term)
    people: dict[str, Student | Teacher] = {}
    for name, code, seat, enrolled in STUDENTS:
        people[name] = Student(student_no=f"S{name}", name=name.upper(), class_id=classes[code].id, seat=seat,
                               enrolled=enrolled)
    for name in TEACHERS:
        people[name] = Teacher(teacher_no=f"T{name}", name=name.upper())
    people["wang"].homeroom_class_id = classes["101"].id
    people["kao"].homeroom_class_id = classes["102"].id
    session.add_all(people.values())
    session.flush()
    people["hsu"].duties.append(TeacherDuty(duty=Duty.registry))
    people["wang"].duties.append(TeacherDuty(duty=Duty.subject_teacher))
    for n, (name, person) in enumerate(people.items(), start=1):
        school.ids[name] = person.id
        school.uids[name] = uid(n)
        if name not in UNBOUND:
            kind = PersonKind.student if isinstance(person, Student) else PersonKind.teacher
            session.add(LineBinding(line_user_id=uid(n), person_kind=kind, person_id=person.id,
                                    blocked=name in BLOCKED))
    session.add(ReminderMute(person_kind=PersonKind.student, person_id=people["hal"].id,
                             kind=WindowKind.outcome_upload.value))
    for code in ("101", "102", "201"):
        course = Course(term_id=term.id, code="MATH", subject="數學", class_id=classes[code].id,
                        teacher_id=people["wang"].id)
        session.add(course)
        session.flush()
        course.proxies.append(CourseProxy(position=1, teacher_id=people["lin"].id))
        course.proxies.append(CourseProxy(position=2, teacher_id=people["chen"].id))
        school.courses[code] = course
    session.flush()
    drafts = {"amy": "101", "eve": "102", "fay": "102", "gus": "201", "hal": "201"}
    for name, code in drafts.items():
        add_outcome(session, school, name, code, OutcomeStatus.draft)
    add_outcome(session, school, "ben", "101", OutcomeStatus.failed, reason="缺少心得")
    add_outcome(session, school, "cat", "101", OutcomeStatus.certified, picked=True)
    add_outcome(session, school, "dan", "102", OutcomeStatus.pending, submitted=local("2026-11-10 09:00"))
    session.add(Performance(performance_no="P-cat", student_id=people["cat"].id, year=115, category="競賽",
                            title="科展", picked=True))
    session.flush()
    return school


def school_with_upload_window(db) -> School:
    """The school with one 課程學習成果上傳 window to 全校, 11/02 to 11/20 17:00: opening on 11/02,
    3 days before on 11/17, the last day on 11/20."""
    with db.session() as session:
        school = build_school(session)
        add_window(session, school, WindowKind.outcome_upload, "2026-11-02 00:00", "2026-11-20 17:00")
    return school


def add_outcome(session: Session, school: School, name: str, code: str, status: OutcomeStatus,
                reason: str | None = None, picked: bool = False, submitted: datetime | None = None) -> Outcome:
    outcome = Outcome(outcome_no=f"O-{name}-{status.value}-{len(school.ids)}-{code}", student_id=school.ids[name],
                      course_id=school.courses[code].id, title=f"{name}的作品", status=status, reason=reason,
                      picked=picked, submitted_at=submitted)
    session.add(outcome)
    session.flush()
    return outcome


def fail_outcome(session: Session, outcome: Outcome, reason: str, recorded: datetime) -> OutcomeEvent:
    outcome.status = OutcomeStatus.failed
    outcome.reason = reason
    event = OutcomeEvent(outcome_id=outcome.id, status=OutcomeStatus.failed, happened_at=recorded,
                         reason=reason, recorded_at=recorded)
    session.add(event)
    session.flush()
    return event


def add_window(session: Session, school: School, kind: WindowKind, start: str, end: str,
               audience: str = "全校") -> Window:
    window = Window(kind=kind, term_id=school.term.id, audience=audience, starts_at=local(start), ends_at=local(end))
    session.add(window)
    session.flush()
    return window


def add_receipts(session: Session, school: School, names: list[str], confirmed: list[str] = ()) -> None:
    for name in names:
        batch = ReceiptBatch(student_id=school.ids[name], term_id=school.term.id,
                             confirmed_at=local("2026-11-01 10:00") if name in confirmed else None,
                             confirmed_how="student" if name in confirmed else None)
        batch.lines.append(ReceiptLine(item=ReceiptItem.course_record, content="數學 4 學分"))
        session.add(batch)
    session.flush()


def sweep_concurrently(settings, stores: list, when: datetime, cfg, start_together: bool = True) -> list:
    """Run one sweep per store at once, each like a separate worker (own engine, sender, store).

    Returns the reports; re-raises the first error. With ``start_together`` the threads wait
    for each other before sweeping.
    """
    import threading

    from bot.infra.db import Database
    from bot.infra.sender import Sender
    from bot.infra.services import Services
    from scheduler.sweep import run_sweep

    workers = []
    for store in stores:
        database = Database(settings.database_url)
        workers.append(Services(settings=settings, db=database, store=store,
                                sender=Sender(settings, database, store)))
    barrier = threading.Barrier(len(workers), timeout=30)
    reports, errors = [], []

    def run(svc) -> None:
        try:
            if start_together:
                barrier.wait()
            reports.append(run_sweep(svc, when, cfg=cfg))
        except Exception as exc:  # re-raised below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(svc,)) for svc in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for svc in workers:
        svc.close()
    if errors:
        raise errors[0]
    return reports
