"""Import: upserts of every kind, status history, re-import no-op, dependency order, all-or-nothing.

Also holds the helpers the other tests/test_import_*.py use (write files, snapshot the DB,
import and expect rejection).
"""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.domain.audience import Audience
from bot.domain.importer import ImportReport, import_files
from bot.infra.db import Database
from bot.infra.models import (
    Base, Course, CourseProxy, Outcome, OutcomeEvent, Performance, ReceiptBatch, ReceiptLine, SchoolClass,
    Student, Teacher, Term, Window,
)
from bot.infra.vocab import Duty, OutcomeStatus, ReceiptItem, WindowKind

TZ = ZoneInfo("Asia/Taipei")
NOW = datetime(2025, 10, 20, 4, 0, tzinfo=timezone.utc)
LATER = datetime(2025, 10, 21, 4, 0, tzinfo=timezone.utc)

HEADERS = {
    "students": "學號,姓名,班級,座號,年級,部別",
    "teachers": "教師編號,姓名,導師班級,職務",
    "courses": "學年度,學期,課程代碼,科目名稱,班級,授課教師,代理教師",
    "outcomes": "成果編號,學號,學年度,學期,課程代碼,成果名稱,狀態,送出時間,認證時間,認證說明,勾選",
    "performances": "表現編號,學號,學年度,類別,名稱,上傳時間,勾選",
    "receipts": "學號,提交批次,項目,內容",
    "schedule": "項目,學年度,學期,對象,開始,截止",
}

STUDENTS = [
    "S001,王小明,101,1,高一,日間部",
    "S002,林怡君,101,2,高一,日間部",
    "S003,陳冠宇,102,1,高一,日間部",
    "S004,黃詩涵,201,1,高二,日間部",
]
TEACHERS = [
    "T01,吳美玲,101,任課教師",
    "T02,周志明,201,任課教師;註冊組",
    "T03,蔡承翰,,任課教師",
]
COURSES = [
    "114,1,CHI,國語文,101,T01,T02;T03",
    "114,1,CHI,國語文,102,T01,",
    "114,1,PHY,物理,201,T02,T01",
    "114,1,ART,美術,102,T03,",
]


def write(directory: Path, name: str, kind: str, rows: list[str], encoding: str = "utf-8") -> Path:
    """A CSV with ``kind``'s header and ``rows`` (each a comma-joined line)."""
    path = directory / name
    path.write_bytes(("\n".join([HEADERS[kind], *rows]) + "\n").encode(encoding))
    return path


def run(db: Database, *paths: Path, now: datetime = NOW) -> ImportReport:
    return import_files(db, list(paths), TZ, now=now)


def snapshot(db: Database) -> dict[str, list[tuple]]:
    """Every row of every table, to show an import changed nothing."""
    with db.engine.connect() as conn:
        return {t.name: sorted(map(tuple, conn.execute(select(t))), key=repr) for t in Base.metadata.sorted_tables}


def count(db: Database, model) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(model))


def rejected(db: Database, *paths: Path) -> list[tuple[str, int | None, str]]:
    """Import expecting failure; assert nothing changed; return (file, row, reason) of every error."""
    before = snapshot(db)
    report = run(db, *paths)
    assert not report.ok
    assert snapshot(db) == before
    return [(e.file, e.row_number, e.reason) for e in report.errors]


def assert_rows(errors: list[tuple[str, int | None, str]], expected: list[tuple[str, int | None, str]]) -> None:
    """``expected`` lists (file, row, a fragment of the reason), in order, and nothing else."""
    assert [(f, r) for f, r, _ in errors] == [(f, r) for f, r, _ in expected], errors
    for (_, _, reason), (_, _, fragment) in zip(errors, expected):
        assert fragment in reason, (reason, fragment)


@pytest.fixture
def school(db: Database, tmp_path: Path) -> Database:
    """Classes 101, 102 (高一), 201 (高二); four students; three teachers; four courses in 114-1."""
    report = run(db, write(tmp_path, "s.csv", "students", STUDENTS), write(tmp_path, "t.csv", "teachers", TEACHERS),
                 write(tmp_path, "c.csv", "courses", COURSES))
    assert report.ok, report.errors
    return db


def outcome(no: str, student: str = "S001", course: str = "CHI", status: str = "待認證", *, term: str = "114,1",
            submitted: str = "2025-10-01 20:00", certified: str = "", reason: str = "", picked: str = "否") -> str:
    return f"{no},{student},{term},{course},成果{no},{status},{submitted},{certified},{reason},{picked}"


# -- students, teachers, courses ---------------------------------------------------------------

def test_school_imports_classes_students_teachers_and_courses(school: Database) -> None:
    with school.session() as s:
        classes = {c.code: (c.grade, c.division) for c in s.scalars(select(SchoolClass))}
        assert classes == {"101": (1, "日間部"), "102": (1, "日間部"), "201": (2, "日間部")}
        s001 = s.scalar(select(Student).where(Student.student_no == "S001"))
        assert (s001.name, s001.school_class.code, s001.seat, s001.enrolled) == ("王小明", "101", 1, True)
        t02 = s.scalar(select(Teacher).where(Teacher.teacher_no == "T02"))
        assert t02.homeroom_class.code == "201" and t02.duty_set == {Duty.subject_teacher, Duty.registry}
        assert s.scalar(select(Teacher).where(Teacher.teacher_no == "T03")).homeroom_class_id is None
        chi = s.scalar(select(Course).join(SchoolClass).where(Course.code == "CHI", SchoolClass.code == "101"))
        assert chi.term.label == "114-1" and chi.subject == "國語文" and chi.teacher.teacher_no == "T01"
        assert [(p.position, p.teacher.teacher_no) for p in chi.proxies] == [(1, "T02"), (2, "T03")]
        assert s.scalar(select(func.count()).select_from(Term)) == 1


def test_students_upsert_keeps_missing_students_and_defaults_division(school: Database, tmp_path: Path) -> None:
    path = tmp_path / "roster.csv"
    path.write_text("學號,姓名,班級,座號,年級\nS001,王大明,102,7,1\nS009,新同學,103,1,高一\n", encoding="utf-8")
    report = run(school, path)
    assert report.ok, report.errors
    assert (report.files[0].counts.inserted, report.files[0].counts.updated) == (1, 1)
    assert "新增班級 1 個" in report.files[0].summary()
    with school.session() as s:
        s001 = s.scalar(select(Student).where(Student.student_no == "S001"))
        assert (s001.name, s001.school_class.code, s001.seat) == ("王大明", "102", 7)
        assert s.scalar(select(SchoolClass).where(SchoolClass.code == "103")).division == "日間部"
        assert s.scalar(select(func.count()).select_from(Student)) == 5  # S002..S004 kept


def test_class_division_is_updated_from_the_roster(school: Database, tmp_path: Path) -> None:
    report = run(school, write(tmp_path, "s.csv", "students", ["S003,陳冠宇,102,1,高一,進修部"]))
    assert report.ok and "更新班級 1 個" in report.files[0].summary()
    with school.session() as s:
        assert s.scalar(select(SchoolClass.division).where(SchoolClass.code == "102")) == "進修部"


def test_teacher_duties_and_course_proxies_are_replaced(school: Database, tmp_path: Path) -> None:
    report = run(school, write(tmp_path, "t.csv", "teachers", ["T02,周志明,,教學組;管理者", "T03,蔡承翰,,"]),
                 write(tmp_path, "c.csv", "courses", ["114,1,CHI,國文,101,T01,T03"]))
    assert report.ok, report.errors
    assert report.counts["teachers"].updated == 2 and report.counts["courses"].updated == 1
    with school.session() as s:
        t02 = s.scalar(select(Teacher).where(Teacher.teacher_no == "T02"))
        assert t02.homeroom_class_id is None and t02.duty_set == {Duty.academic, Duty.admin}
        assert s.scalar(select(Teacher).where(Teacher.teacher_no == "T03")).duty_set == frozenset()
        chi = s.scalar(select(Course).join(SchoolClass).where(Course.code == "CHI", SchoolClass.code == "101"))
        assert chi.subject == "國文" and [(p.position, p.teacher.teacher_no) for p in chi.proxies] == [(1, "T03")]
        assert s.scalar(select(func.count()).select_from(CourseProxy)) == 2  # CHI-101's one + PHY-201's one


def test_new_term_is_created_for_courses(school: Database, tmp_path: Path) -> None:
    assert run(school, write(tmp_path, "c.csv", "courses", ["114,2,CHI,國語文,101,T01,"])).ok
    with school.session() as s:
        assert sorted(t.label for t in s.scalars(select(Term))) == ["114-1", "114-2"]


# -- outcomes -------------------------------------------------------------------------------

def test_outcome_course_is_the_students_class_else_the_only_one(school: Database, tmp_path: Path) -> None:
    report = run(school, write(tmp_path, "o.csv", "outcomes", [
        outcome("O1", "S001", "CHI"),   # CHI exists for 101: that one
        outcome("O2", "S003", "CHI"),   # ... and for 102
        outcome("O3", "S001", "ART"),   # ART only in 102: the unique one
    ]))
    assert report.ok, report.errors
    with school.session() as s:
        got = {o.outcome_no: o.course.school_class.code for o in s.scalars(select(Outcome))}
    assert got == {"O1": "101", "O2": "102", "O3": "102"}


def test_outcome_status_history_and_reimport_is_a_no_op(school: Database, tmp_path: Path) -> None:
    first = write(tmp_path, "o.csv", "outcomes", [outcome("O1", submitted="2025-10-01 20:00"),
                                                   outcome("O2", status="未送出", submitted="")])
    report = run(school, first, now=NOW)
    assert report.ok and report.counts["outcomes"].inserted == 2
    with school.session() as s:
        o1 = s.scalar(select(Outcome).where(Outcome.outcome_no == "O1"))
        assert o1.status is OutcomeStatus.pending and o1.status_changed_at == NOW
        assert o1.submitted_at == datetime(2025, 10, 1, 12, 0, tzinfo=timezone.utc)  # 20:00 Taipei
        assert [(e.status, e.happened_at, e.recorded_at) for e in o1.history] == [
            (OutcomeStatus.pending, o1.submitted_at, NOW)]
        o2 = s.scalar(select(Outcome).where(Outcome.outcome_no == "O2"))
        assert [(e.status, e.happened_at) for e in o2.history] == [(OutcomeStatus.draft, None)]

    before = snapshot(school)
    again = run(school, first, now=LATER)
    assert again.ok and (again.counts["outcomes"].inserted, again.counts["outcomes"].updated) == (0, 0)
    assert again.counts["outcomes"].unchanged == 2
    assert snapshot(school) == before

    changed = write(tmp_path, "o2.csv", "outcomes", [
        outcome("O1", status="退回", certified="2025-10-03 09:30", reason="請補上引用來源"),
        outcome("O2", status="未送出", submitted="", reason="檔案待補"),  # not certified: a 勾選 would be refused
    ])
    report = run(school, changed, now=LATER)
    assert report.ok and report.counts["outcomes"].updated == 2
    with school.session() as s:
        o1 = s.scalar(select(Outcome).where(Outcome.outcome_no == "O1"))
        assert (o1.status, o1.reason, o1.status_changed_at) == (OutcomeStatus.failed, "請補上引用來源", LATER)
        assert [(e.status, e.happened_at, e.reason) for e in o1.history] == [
            (OutcomeStatus.pending, datetime(2025, 10, 1, 12, 0, tzinfo=timezone.utc), None),
            (OutcomeStatus.failed, datetime(2025, 10, 3, 1, 30, tzinfo=timezone.utc), "請補上引用來源"),
        ]
        o2 = s.scalar(select(Outcome).where(Outcome.outcome_no == "O2"))
        assert o2.reason == "檔案待補" and o2.status_changed_at == NOW and len(o2.history) == 1  # status unchanged
    recert = run(school, write(tmp_path, "o3.csv", "outcomes", [
        outcome("O1", status="認證成功", certified="2025-10-05")]), now=LATER)
    assert recert.ok
    with school.session() as s:
        o1 = s.scalar(select(Outcome).where(Outcome.outcome_no == "O1"))
        assert o1.status is OutcomeStatus.certified
        assert o1.history[-1].happened_at == datetime(2025, 10, 4, 16, 0, tzinfo=timezone.utc)
    assert count(school, OutcomeEvent) == 4


# -- performances, receipts, schedule ------------------------------------------------------

def test_performances_upsert(school: Database, tmp_path: Path) -> None:
    rows = ["P1,S001,114,社團活動,熱音社成果發表,2025-10-10 20:00,是", "P2,S002,114,競賽表現,科展,,"]
    assert run(school, write(tmp_path, "p.csv", "performances", rows)).ok
    report = run(school, write(tmp_path, "p2.csv", "performances", ["P1,S001,114,社團活動,熱音社期末發表,2025-10-10 20:00,否"]))
    assert report.ok and report.counts["performances"].updated == 1
    with school.session() as s:
        p1 = s.scalar(select(Performance).where(Performance.performance_no == "P1"))
        assert (p1.title, p1.picked, p1.year, p1.uploaded_at) == (
            "熱音社期末發表", False, 114, datetime(2025, 10, 10, 12, 0, tzinfo=timezone.utc))
        p2 = s.scalar(select(Performance).where(Performance.performance_no == "P2"))
        assert p2.uploaded_at is None and not p2.picked


def test_receipts_batch_per_student_and_term_lines_added_once(school: Database, tmp_path: Path) -> None:
    rows = ["S004,113-2,幹部經歷,班級風紀股長", "S004,113-2,修課紀錄,12 科", "S001,114-1,多元表現,科展"]
    report = run(school, write(tmp_path, "r.csv", "receipts", rows))
    assert report.ok and report.counts["receipts"].inserted == 3
    report = run(school, write(tmp_path, "r2.csv", "receipts", rows[:2] + ["S004,113-2,課程學習成果,物理報告"]))
    assert report.ok
    assert (report.counts["receipts"].inserted, report.counts["receipts"].unchanged) == (1, 2)
    with school.session() as s:
        batches = {(b.student.student_no, b.term.label): sorted((ln.item, ln.content) for ln in b.lines)
                   for b in s.scalars(select(ReceiptBatch))}
    assert batches == {
        ("S004", "113-2"): sorted([(ReceiptItem.cadre, "班級風紀股長"), (ReceiptItem.course_record, "12 科"),
                                   (ReceiptItem.outcome, "物理報告")]),
        ("S001", "114-1"): [(ReceiptItem.performance, "科展")],
    }


def test_schedule_times_audience_and_upsert(school: Database, tmp_path: Path) -> None:
    rows = ["課程學習成果上傳,114,1,全校,2025-09-15,2025-11-14",
            "收訖明細確認,114,1,高三;高二,2025-10-01 08:00,2025-10-14",
            "勾選,114,1,102;101,2025-10-01,2025-10-01 17:00"]
    report = run(school, write(tmp_path, "w.csv", "schedule", rows))
    assert report.ok, report.errors
    with school.session() as s:
        windows = {(w.kind, w.audience): (w.starts_at, w.ends_at) for w in s.scalars(select(Window))}
    assert windows == {
        (WindowKind.outcome_upload, "全校"): (datetime(2025, 9, 14, 16, 0, tzinfo=timezone.utc),
                                              datetime(2025, 11, 14, 15, 59, 59, tzinfo=timezone.utc)),
        (WindowKind.receipt, "grades:2;3"): (datetime(2025, 10, 1, 0, 0, tzinfo=timezone.utc),
                                             datetime(2025, 10, 14, 15, 59, 59, tzinfo=timezone.utc)),
        (WindowKind.pick, "classes:101;102"): (datetime(2025, 9, 30, 16, 0, tzinfo=timezone.utc),
                                               datetime(2025, 10, 1, 9, 0, tzinfo=timezone.utc)),
    }
    assert Audience.from_db("grades:2;3").includes(3, "301")
    report = run(school, write(tmp_path, "w2.csv", "schedule", ["課程學習成果上傳,114,1,全校,2025-09-15,2025-11-21"]))
    assert report.ok and report.counts["schedule"].updated == 1 and count(school, Window) == 3


# -- many files --------------------------------------------------------------------------------

def test_files_are_imported_in_dependency_order_whatever_order_given(db: Database, tmp_path: Path) -> None:
    files = [
        write(tmp_path, "w.csv", "schedule", ["勾選,114,1,101,2025-10-01,2025-10-09"]),
        write(tmp_path, "r.csv", "receipts", ["S001,114-1,修課紀錄,8 科"]),
        write(tmp_path, "p.csv", "performances", ["P1,S001,114,社團,熱音社,,"]),
        write(tmp_path, "o.csv", "outcomes", [outcome("O1")]),
        write(tmp_path, "c.csv", "courses", COURSES),
        write(tmp_path, "t.csv", "teachers", TEACHERS),
        write(tmp_path, "s.csv", "students", STUDENTS),
    ]
    report = run(db, *files)
    assert report.ok, report.errors
    assert [f.kind for f in report.files] == [
        "students", "teachers", "courses", "outcomes", "performances", "receipts", "schedule"]
    assert [count(db, m) for m in (Student, Teacher, Course, Outcome, Performance, ReceiptLine, Window)] == [
        4, 3, 4, 1, 1, 1, 1]


def test_one_bad_file_rolls_back_every_file(db: Database, tmp_path: Path) -> None:
    errors = rejected(db, write(tmp_path, "s.csv", "students", STUDENTS),
                      write(tmp_path, "t.csv", "teachers", ["T01,吳美玲,999,任課教師"]))
    assert_rows(errors, [("t.csv", 2, "導師班級「999」不是已知的班級")])
    assert count(db, Student) == 0 and count(db, SchoolClass) == 0


def test_bad_rows_in_several_files_are_all_reported(school: Database, tmp_path: Path) -> None:
    errors = rejected(school,
                      write(tmp_path, "o.csv", "outcomes", [outcome("O1"), outcome("O2", student="S999")]),
                      write(tmp_path, "s.csv", "students", ["S010,新生,101,x,高一,日間部", "S011,新生,101,3,高一,日間部"]))
    assert_rows(errors, [("s.csv", 2, "座號「x」不正確"), ("o.csv", 3, "學號「S999」不是已知的學生")])
