"""A small school for the student self-service tests, seen on 2026-10-15 10:00 (Taipei): term 115-1.

students (class 101 unless said)
  nil   nothing uploaded, no receipts
  ace   all certified (3 outcomes, 2 picked), 2 performances (1 picked); 114-2 receipts CONFIRMED
  fix   failed (with reason) + pending + draft; 114-2 receipts open for confirmation
  max   over every limit: 7 outcomes, 21 performances, 7 outcome picks, 11 performance picks
  old   114-1 receipts never confirmed, whose window CLOSED long ago
  sen   class 201: 114-2 receipts, but the 114-2 window is for 高一 only (no window for them)
  out   class 102, NOT BOUND
teachers
  reg 註冊組, aca 教學組, act1 + act2 訓育組 (two: one multicast), act3 訓育組 NOT BOUND, wang 任課教師
windows (全校 unless said)
  115-1 課程學習成果上傳 10/1 - 10/20 23:59 (open), 115-1 勾選 10/25 - 11/5 (coming),
  115-1 課程學習成果認證 10/1 - 10/31, 114-2 收訖明細確認 高一 10/13 08:00 - 10/17 23:59 (open),
  114-1 收訖明細確認 2026-03-01 - 03-05 (closed)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.infra.models import (
    Course, LineBinding, Outcome, Performance, ReceiptBatch, ReceiptLine, SchoolClass, Student, Teacher,
    TeacherDuty, Term, Window,
)
from bot.infra.vocab import Duty, OutcomeStatus, PersonKind, ReceiptItem, WindowKind

TZ = ZoneInfo("Asia/Taipei")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=TZ).astimezone(timezone.utc)


NOW = local("2026-10-15 10:00")


def uid(name: str) -> str:
    return "U" + name.encode().hex().rjust(32, "0")[-32:]


@dataclass
class School:
    terms: dict[str, Term] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    batches: dict[str, int] = field(default_factory=dict)   # "<student>:<term>" -> batch id

    @staticmethod
    def line(name: str) -> str:
        return uid(name)


STUDENTS = [("nil", "101", 1), ("ace", "101", 2), ("fix", "101", 3), ("max", "101", 4), ("old", "101", 5),
            ("sen", "201", 1), ("out", "102", 1)]
TEACHERS = [("reg", (Duty.registry,)), ("aca", (Duty.academic,)), ("act1", (Duty.activities,)),
            ("act2", (Duty.activities,)), ("act3", (Duty.activities,)), ("wang", (Duty.subject_teacher,))]
UNBOUND = {"out", "act3"}


def build(session: Session) -> School:
    school = School()
    for label in ("115-1", "114-2", "114-1"):
        year, sem = label.split("-")
        school.terms[label] = Term(year=int(year), semester=int(sem))
    session.add_all(school.terms.values())
    classes = {code: SchoolClass(code=code, grade=int(code[0])) for code in ("101", "102", "201")}
    session.add_all(classes.values())
    session.flush()
    people: dict[str, Student | Teacher] = {}
    for name, code, seat in STUDENTS:
        people[name] = Student(student_no=f"S-{name}", name=f"{name.upper()}同學", class_id=classes[code].id,
                               seat=seat)
    for name, duties in TEACHERS:
        people[name] = Teacher(teacher_no=f"T-{name}", name=f"{name.upper()}老師",
                               duties=[TeacherDuty(duty=d) for d in duties])
    session.add_all(people.values())
    session.flush()
    for name, person in people.items():
        school.ids[name] = person.id
        if name not in UNBOUND:
            kind = PersonKind.student if isinstance(person, Student) else PersonKind.teacher
            session.add(LineBinding(line_user_id=uid(name), person_kind=kind, person_id=person.id))

    term = school.terms["115-1"]
    subjects = ["國語文", "英語文", "數學", "物理", "化學", "歷史", "地理"]
    courses = {}
    for subject in subjects:
        courses[subject] = Course(term_id=term.id, code=subject, subject=subject, class_id=classes["101"].id,
                                  teacher_id=people["wang"].id)
    session.add_all(courses.values())
    session.flush()
    n = 0

    def outcome(name: str, subject: str, status: OutcomeStatus, reason: str | None = None, picked: bool = False):
        nonlocal n
        n += 1
        session.add(Outcome(outcome_no=f"O{n}", student_id=people[name].id, course_id=courses[subject].id,
                            title=f"{subject}作品{n}", status=status, reason=reason, picked=picked))

    for i, subject in enumerate(subjects[:3]):
        outcome("ace", subject, OutcomeStatus.certified, picked=i < 2)
    outcome("fix", "國語文", OutcomeStatus.failed, reason="檔案無法開啟，請改存 PDF")
    outcome("fix", "英語文", OutcomeStatus.pending)
    outcome("fix", "數學", OutcomeStatus.draft)
    for subject in subjects:
        outcome("max", subject, OutcomeStatus.certified, picked=True)

    def performance(name: str, k: int, picked: bool = False):
        session.add(Performance(performance_no=f"P-{name}-{k}", student_id=people[name].id, year=115,
                                category="競賽表現", title=f"比賽{k}", picked=picked))

    performance("ace", 1, picked=True)
    performance("ace", 2)
    for k in range(21):
        performance("max", k, picked=k < 11)

    def batch(name: str, label: str, confirmed: bool = False) -> None:
        b = ReceiptBatch(student_id=people[name].id, term_id=school.terms[label].id,
                         confirmed_at=local("2026-10-14 20:00") if confirmed else None,
                         confirmed_how="student" if confirmed else None)
        b.lines = [ReceiptLine(item=ReceiptItem.cadre, content="學藝股長"),
                   ReceiptLine(item=ReceiptItem.course_record, content="物理 2 學分"),
                   ReceiptLine(item=ReceiptItem.course_record, content="數學 4 學分"),
                   ReceiptLine(item=ReceiptItem.outcome, content="物理：自由落體實驗報告"),
                   ReceiptLine(item=ReceiptItem.performance, content="競賽表現：科展佳作")]
        session.add(b)
        session.flush()
        school.batches[f"{name}:{label}"] = b.id

    batch("ace", "114-2", confirmed=True)
    batch("fix", "114-2")
    batch("max", "114-2")
    batch("old", "114-1")
    batch("sen", "114-2")

    def window(kind: WindowKind, label: str, start: str, end: str, audience: str = "全校") -> None:
        session.add(Window(kind=kind, term_id=school.terms[label].id, audience=audience,
                           starts_at=local(start), ends_at=local(end)))

    window(WindowKind.outcome_upload, "115-1", "2026-10-01 08:00", "2026-10-20 23:59")
    window(WindowKind.certification, "115-1", "2026-10-01 08:00", "2026-10-31 23:59")
    window(WindowKind.pick, "115-1", "2026-10-25 08:00", "2026-11-05 23:59")
    window(WindowKind.receipt, "114-2", "2026-10-13 08:00", "2026-10-17 23:59", audience="grades:1")
    window(WindowKind.receipt, "114-1", "2026-03-01 08:00", "2026-03-05 23:59")
    session.flush()
    return school
