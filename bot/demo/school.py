"""The demo school: a realistic small senior high seeded through the ORM around a given day.

Nine classes over three grades, teachers with homerooms and office duties, this term's
courses with ordered proxies, outcomes in every status, performances, picks, last
term's receipt batches, schedule windows around today and one teacher away (公假). Most people are bound to a
deterministic demo LINE account; one student is left unbound with a fresh binding code,
and one LINE account (a stranger) belongs to nobody. Deterministic for a given day.
"""
from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from bot.domain.audience import Audience
from bot.domain.binding import issue_code
from bot.domain.queries.terms import roc_term
from bot.infra.models import (
    Course, CourseProxy, LineBinding, Objection, Outcome, OutcomeEvent, Performance, ReceiptBatch, ReceiptLine,
    SchoolClass, Student, Teacher, TeacherAbsence, TeacherDuty, Term, Window,
)
from bot.infra.vocab import (
    DEFAULT_DIVISION, DUTY_LABELS, OUTCOME_PICKS_PER_YEAR, PERFORMANCE_PICKS_PER_YEAR, Duty, OutcomeStatus,
    PersonKind, ReceiptItem, WindowKind,
)

# Groups the simulator lists people under.
STUDENTS, SUBJECT_TEACHERS, HOMEROOM_TEACHERS, STAFF, STRANGERS = "學生", "任課教師", "導師", "行政", "未綁定"
GROUPS = (STUDENTS, SUBJECT_TEACHERS, HOMEROOM_TEACHERS, STAFF, STRANGERS)

CLASS_CODES = ("101", "102", "103", "201", "202", "203", "301", "302", "303")
STUDENTS_PER_CLASS = 8
# How far along each class is this term (0 behind, 1 typical, 2 ahead), so the statistics differ by class.
CLASS_PACE = {"101": 2, "102": 1, "103": 0, "201": 1, "202": 2, "203": 0, "301": 2, "302": 1, "303": 1}
# Away this week (公假) around today: the proxies (代理教師) of their courses answer for them.
ABSENT_TEACHER = "T003"
# How many days each teacher usually takes to certify (a few are slow: the statistics show who).
CERTIFY_DAYS = {"T001": 2, "T002": 6, "T003": 10, "T004": 3, "T005": 1, "T006": 8, "T007": 4, "T008": 5,
                "T009": 9, "T010": 2, "T011": 3, "T012": 7}
# Per pace, the weights of: nothing uploaded, 未送出, 待認證, 已認證, 認證失敗 for one student's course.
PACE_WEIGHTS = {0: (35, 25, 25, 10, 5), 1: (15, 15, 35, 25, 10), 2: (5, 5, 30, 50, 10)}

# (teacher_no, name, homeroom class, subject taught or None, office duties)
TEACHERS: tuple[tuple[str, str, str | None, str | None, tuple[Duty, ...]], ...] = (
    ("T001", "林美玲", "101", "國語文", ()),
    ("T002", "陳志明", "102", "數學", ()),
    ("T003", "黃淑芬", "103", "英語文", ()),
    ("T004", "張家豪", "201", "物理", ()),
    ("T005", "李雅婷", "202", "歷史", ()),
    ("T006", "王建國", "203", "數學", ()),
    ("T007", "吳佩珊", "301", "國語文", ()),
    ("T008", "劉俊傑", "302", "化學", ()),
    ("T009", "蔡宜君", "303", "英語文", ()),
    ("T010", "楊文彬", None, "生物", ()),
    ("T011", "許雅惠", None, "地理", ()),
    ("T012", "謝明哲", None, "資訊科技", (Duty.academic,)),
    ("T013", "鄭秀英", None, None, (Duty.registry,)),
    ("T014", "郭淑華", None, None, (Duty.activities,)),
    ("T015", "洪振宇", None, None, (Duty.admin,)),
)

# subject -> (course code stem, teacher by grade)
SUBJECTS: dict[str, tuple[str, dict[int, str]]] = {
    "國語文": ("CHI", {1: "T001", 2: "T007", 3: "T007"}),
    "英語文": ("ENG", {1: "T003", 2: "T003", 3: "T009"}),
    "數學": ("MAT", {1: "T002", 2: "T006", 3: "T006"}),
    "生物": ("BIO", {1: "T010"}),
    "資訊科技": ("ICT", {1: "T012"}),
    "物理": ("PHY", {2: "T004"}),
    "歷史": ("HIS", {2: "T005"}),
    "化學": ("CHE", {3: "T008"}),
    "地理": ("GEO", {3: "T011"}),
}
# Ordered proxies (代理教師) per subject; the course's own teacher is skipped.
PROXIES: dict[str, tuple[str, ...]] = {
    "國語文": ("T007", "T001", "T012"), "英語文": ("T009", "T003"), "數學": ("T006", "T002"),
    "生物": ("T008", "T004"), "資訊科技": ("T002",), "物理": ("T008", "T010"), "歷史": ("T011", "T014"),
    "化學": ("T004",), "地理": ("T005", "T011"),
}
OUTCOME_TITLES: dict[str, tuple[str, ...]] = {
    "國語文": ("〈背影〉閱讀心得", "議論文寫作：科技與人性", "現代詩創作與賞析"),
    "英語文": ("English Speech: My Hometown", "Reading Log: The Giver", "英文簡報：臺灣夜市文化"),
    "數學": ("函數圖形探究報告", "統計調查：校園午餐滿意度", "數學建模：公車班距"),
    "生物": ("校園植物觀察紀錄", "DNA 萃取實驗報告"),
    "資訊科技": ("Python 成績分析小工具", "網頁設計：班級介紹網站"),
    "物理": ("自由落體實驗報告", "簡諧運動探究"),
    "歷史": ("臺灣史專題：清領時期的港口", "家族口述歷史訪談"),
    "化學": ("酸鹼滴定實驗報告", "電池原理探究"),
    "地理": ("社區土地利用調查", "GIS 地圖製作：通學路線"),
}
FAILURE_REASONS = (
    "檔案無法開啟，請改存成 PDF 後重新上傳。",
    "內容與本課程無關，請補充課堂實作的說明。",
    "缺少 100 字內的簡述，請補上後再送出。",
    "這是小組作品，請註明你個人負責的部分。",
)
PERFORMANCES: tuple[tuple[str, str], ...] = (
    ("幹部經歷", "班級幹部：學藝股長"), ("幹部經歷", "熱音社社長"), ("競賽表現", "校內英文演講比賽第二名"),
    ("競賽表現", "全國中學生科學展覽佳作"), ("志工服務", "社區圖書館志工 24 小時"), ("檢定證照", "全民英檢中級初試通過"),
    ("彈性學習", "自主學習：Arduino 智慧盆栽"), ("團體活動", "校慶園遊會籌備"), ("志工服務", "淨灘活動志工"),
    ("檢定證照", "TQC 文書處理實用級"), ("其他多元表現", "高中生程式設計營結業"),
)
CADRES = ("班長", "副班長", "學藝股長", "風紀股長", "衛生股長", "總務股長", "康樂股長", "輔導股長")
CREDITS = {"國語文": 4, "英語文": 4, "數學": 4, "生物": 2, "資訊科技": 2, "物理": 2, "歷史": 2, "化學": 2, "地理": 2}

SURNAMES = "陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴"
GIVEN_NAMES = (
    "冠宇", "承恩", "宥廷", "品妍", "子晴", "家豪", "怡君", "宇翔", "詠晴", "柏翰", "思妤", "彥廷", "雅婷", "俊宏",
    "芷涵", "語彤", "博宇", "宸睿", "亦晴", "以琳", "睿恩", "品睿", "昀蓁", "禹辰", "沛晴", "竣凱", "詩涵", "柏宇",
    "佳穎", "晨希", "宜蓁", "立恩", "彥均", "郁涵", "承翰", "心妍", "宥蓁", "哲瑋", "芯瑜", "冠霖", "子芸", "品叡",
    "筱涵", "奕辰", "亭妤", "柏諺", "采潔", "恩綺", "翊安", "可欣", "祐誠", "姿穎", "浩宇", "若瑜", "俊諺", "巧昀",
    "丞佑", "筠婷", "紹謙", "欣妤", "定宏", "婕妤", "文傑", "玟君", "建廷", "靖雯", "韋辰", "湘芸", "明軒", "妍希",
    "泓毅", "佩蓉", "聖傑", "詩婷", "志豪", "于萱",
)


@dataclass(frozen=True)
class DemoPerson:
    """Someone the simulator can play: their demo LINE account and how the page lists them."""

    user_id: str
    group: str
    name: str
    detail: str
    kind: PersonKind | None = None
    person_id: int | None = None
    code: str | None = None   # the fresh binding code of the unbound demo student


@dataclass(frozen=True)
class DemoSchool:
    today: date
    term_label: str
    previous_term_label: str
    people: tuple[DemoPerson, ...]

    def by_user(self, user_id: str) -> DemoPerson | None:
        return next((p for p in self.people if p.user_id == user_id), None)

    def in_group(self, group: str) -> list[DemoPerson]:
        return [p for p in self.people if p.group == group]

    @property
    def unbound_student(self) -> DemoPerson:
        return next(p for p in self.people if p.code)

    @property
    def stranger(self) -> DemoPerson:
        return self.in_group(STRANGERS)[0]


def demo_user_id(key: str) -> str:
    """A deterministic demo LINE user id: ``Udemo`` + 28 hex characters."""
    return "Udemo" + hashlib.sha256(f"demo:{key}".encode()).hexdigest()[:28]


def previous_term(year: int, semester: int) -> tuple[int, int]:
    return (year, 1) if semester == 2 else (year - 1, 2)


class _Seeder:
    """Holds the running state of one seeding; `run` does it all in order."""

    def __init__(self, session: Session, today: date, tz: ZoneInfo) -> None:
        self.session = session
        self.today = today
        self.tz = tz
        self.rng = random.Random(f"demo-school-{today.isoformat()}")
        self.outcome_seq = 0
        self.performance_seq = 0
        self.outcomes: list[Outcome] = []
        self.course_term: dict[int, int] = {}

    # -- time helpers ---------------------------------------------------------
    def at(self, days: int, hour: int = 8, minute: int = 0) -> datetime:
        """An aware UTC instant ``days`` from today at a local time."""
        local = datetime.combine(self.today + timedelta(days=days), time(hour, minute), self.tz)
        return local.astimezone(timezone.utc)

    def add(self, obj):
        self.session.add(obj)
        return obj

    # -- who is in the school ---------------------------------------------------
    def terms(self) -> None:
        year, semester = roc_term(self.today)
        self.year = year
        self.term = self.add(Term(year=year, semester=semester))
        prev_year, prev_semester = previous_term(year, semester)
        self.prev = self.add(Term(year=prev_year, semester=prev_semester))

    def classes(self) -> None:
        self.classes_by_code = {
            code: self.add(SchoolClass(code=code, grade=int(code[0]), division=DEFAULT_DIVISION))
            for code in CLASS_CODES
        }
        self.session.flush()

    def teachers(self) -> None:
        self.teachers_by_no: dict[str, Teacher] = {}
        for no, name, homeroom, subject, duties in TEACHERS:
            teacher = Teacher(teacher_no=no, name=name,
                              homeroom_class_id=self.classes_by_code[homeroom].id if homeroom else None)
            all_duties = ((Duty.subject_teacher,) if subject else ()) + duties
            teacher.duties = [TeacherDuty(duty=d) for d in all_duties]
            self.teachers_by_no[no] = self.add(teacher)
        self.session.flush()

    def students(self) -> None:
        names = self.rng.sample([s + g for s in SURNAMES for g in GIVEN_NAMES],
                                len(CLASS_CODES) * STUDENTS_PER_CLASS)
        self.students_by_class: dict[str, list[Student]] = {}
        for ci, code in enumerate(CLASS_CODES):
            entry_year = self.year - (int(code[0]) - 1)
            row = []
            for seat in range(1, STUDENTS_PER_CLASS + 1):
                row.append(self.add(Student(
                    student_no=f"{entry_year}{code[1:]}{seat:02d}", name=names[ci * STUDENTS_PER_CLASS + seat - 1],
                    class_id=self.classes_by_code[code].id, seat=seat, enrolled=True)))
            self.students_by_class[code] = row
        self.session.flush()

    def courses(self, term: Term) -> dict[str, list[Course]]:
        by_class: dict[str, list[Course]] = {}
        for code in CLASS_CODES:
            grade = int(code[0])
            by_class[code] = []
            for subject, (stem, teacher_by_grade) in SUBJECTS.items():
                if grade not in teacher_by_grade:
                    continue
                teacher_no = teacher_by_grade[grade]
                course = Course(term_id=term.id, code=f"{stem}{grade}{term.semester}", subject=subject,
                                class_id=self.classes_by_code[code].id, teacher_id=self.teachers_by_no[teacher_no].id)
                proxies = [p for p in PROXIES[subject] if p != teacher_no][: 1 + (int(code[2]) % 2)]
                course.proxies = [CourseProxy(position=i, teacher_id=self.teachers_by_no[p].id)
                                  for i, p in enumerate(proxies, start=1)]
                by_class[code].append(self.add(course))
        self.session.flush()
        self.course_term.update({c.id: term.id for cs in by_class.values() for c in cs})
        return by_class

    # -- the portfolio ----------------------------------------------------------
    def outcome(self, student: Student, course: Course, title: str, status: OutcomeStatus,
                submitted_days_ago: int | None = None, decided_days_ago: int | None = None,
                reason: str | None = None) -> Outcome:
        self.outcome_seq += 1
        submitted = self.at(-submitted_days_ago, 9 + self.outcome_seq % 10) if submitted_days_ago is not None else None
        decided = self.at(-decided_days_ago, 16, 30) if decided_days_ago is not None else None
        created = self.at(-(submitted_days_ago or 3) - 2, 20)
        outcome = Outcome(outcome_no=f"O{self.outcome_seq:05d}", student_id=student.id, course_id=course.id,
                          title=title, status=status, submitted_at=submitted, certified_at=decided, reason=reason,
                          status_changed_at=decided or submitted or created)
        outcome.history = [OutcomeEvent(status=OutcomeStatus.draft, happened_at=created, recorded_at=created)]
        if submitted:
            outcome.history.append(OutcomeEvent(status=OutcomeStatus.pending, happened_at=submitted,
                                                recorded_at=submitted))
        if decided:
            outcome.history.append(OutcomeEvent(status=status, happened_at=decided, reason=reason,
                                                recorded_at=decided))
        self.outcomes.append(outcome)
        return self.add(outcome)

    def current_outcomes(self, courses: dict[str, list[Course]]) -> None:
        """This term: every status, pending ones waiting from 1 to 20 days; classes at their own pace
        (CLASS_PACE), and each course's teacher certifying at theirs (some leave items waiting long)."""
        waits = (1, 2, 4, 6, 9, 13, 20)
        statuses = (None, OutcomeStatus.draft, OutcomeStatus.pending, OutcomeStatus.certified, OutcomeStatus.failed)
        teacher_no = {t.id: no for no, t in self.teachers_by_no.items()}
        for code, students in self.students_by_class.items():
            weights = PACE_WEIGHTS[CLASS_PACE[code]]
            for si, student in enumerate(students):
                for ci, course in enumerate(courses[code]):
                    status = self.rng.choices(statuses, weights)[0]
                    titles = OUTCOME_TITLES[course.subject]
                    title = titles[(si + ci) % len(titles)]
                    if status == OutcomeStatus.draft:
                        self.outcome(student, course, title, OutcomeStatus.draft)
                    elif status == OutcomeStatus.pending:
                        wait = waits[(si * 3 + ci + int(code)) % len(waits)]
                        self.outcome(student, course, title, OutcomeStatus.pending, submitted_days_ago=wait)
                    elif status == OutcomeStatus.certified:
                        submitted = 12 + si % 5
                        took = CERTIFY_DAYS[teacher_no[course.teacher_id]] + (si + ci) % 3
                        self.outcome(student, course, title, OutcomeStatus.certified,
                                     submitted_days_ago=submitted, decided_days_ago=max(1, submitted - took))
                    elif status == OutcomeStatus.failed:
                        reason = FAILURE_REASONS[(si + ci) % len(FAILURE_REASONS)]
                        self.outcome(student, course, title, OutcomeStatus.failed,
                                     submitted_days_ago=10 + si % 4, decided_days_ago=1 + si % 4, reason=reason)
                    # None: nothing uploaded yet for this course
        self.session.flush()

    def enrolled_by(self, code: str, term: Term) -> bool:
        """Whether a class's students were at the school in ``term`` (高一 in term 1: not last term)."""
        return term.year >= self.year - (int(code[0]) - 1)

    def previous_outcomes(self, courses: dict[str, list[Course]]) -> dict[int, list[Outcome]]:
        """Last term: certified outcomes (what the receipts list), two per student who was here then."""
        by_student: dict[int, list[Outcome]] = {}
        for code, students in self.students_by_class.items():
            if not self.enrolled_by(code, self.prev):
                continue
            for si, student in enumerate(students):
                picked_courses = [courses[code][(si + k) % len(courses[code])] for k in (0, 2)]
                for k, course in enumerate(picked_courses):
                    titles = OUTCOME_TITLES[course.subject]
                    by_student.setdefault(student.id, []).append(self.outcome(
                        student, course, titles[(si + k + 1) % len(titles)], OutcomeStatus.certified,
                        submitted_days_ago=150 + k * 7, decided_days_ago=140 + k * 7))
        self.session.flush()
        return by_student

    def performances(self) -> dict[int, list[Performance]]:
        by_student: dict[int, list[Performance]] = {}
        for students in self.students_by_class.values():
            for si, student in enumerate(students):
                for k in range(si % 4):
                    self.performance_seq += 1
                    category, title = PERFORMANCES[(si * 3 + k + student.id) % len(PERFORMANCES)]
                    by_student.setdefault(student.id, []).append(self.add(Performance(
                        performance_no=f"P{self.performance_seq:05d}", student_id=student.id, year=self.year,
                        category=category, title=title, uploaded_at=self.at(-(5 + 11 * k), 19))))
        self.session.flush()
        return by_student

    def picks(self, performances: dict[int, list[Performance]]) -> None:
        """Some students have picked for the central database (within the yearly limits)."""
        year_terms = {self.term.id} | ({self.prev.id} if self.prev.year == self.year else set())
        for code, students in self.students_by_class.items():
            for si, student in enumerate(students):
                if si % (4 - CLASS_PACE[code]) != 0:  # more pickers in the classes ahead
                    continue
                certified = [o for o in self.outcomes if o.student_id == student.id
                             and o.status == OutcomeStatus.certified and self.course_term[o.course_id] in year_terms]
                for outcome in certified[:OUTCOME_PICKS_PER_YEAR]:
                    outcome.picked = True
                for performance in performances.get(student.id, [])[:min(2, PERFORMANCE_PICKS_PER_YEAR)]:
                    performance.picked = True
        self.session.flush()

    def receipts(self, prev_courses: dict[str, list[Course]], prev_outcomes: dict[int, list[Outcome]],
                 performances: dict[int, list[Performance]]) -> None:
        """Last term's 收訖明細, with lines of all four items; some already confirmed (none for 高一 in
        term 1: they have no records from before they enrolled)."""
        for code, students in self.students_by_class.items():
            if not self.enrolled_by(code, self.prev):
                continue
            for si, student in enumerate(students):
                batch = ReceiptBatch(student_id=student.id, term_id=self.prev.id)
                if si % (4 - CLASS_PACE[code]) == 1:  # more confirmed in the classes ahead
                    batch.confirmed_at, batch.confirmed_how = self.at(-1, 12 + si, 5 * si), "student"
                lines = [(ReceiptItem.cadre, f"{CADRES[(si + int(code)) % len(CADRES)]}（{self.prev.label}）")]
                lines += [(ReceiptItem.course_record, f"{c.subject} {CREDITS[c.subject]} 學分")
                          for c in prev_courses[code]]
                lines += [(ReceiptItem.outcome, f"{o.course.subject}：{o.title}") for o in prev_outcomes[student.id]]
                shown = performances.get(student.id, [])[:1] or []
                lines += [(ReceiptItem.performance, f"{p.category}：{p.title}") for p in shown] or \
                    [(ReceiptItem.performance, "團體活動：班際合唱比賽")]
                batch.lines = [ReceiptLine(item=item, content=content) for item, content in lines]
                self.add(batch)
                if code == "201" and si == 4:  # one open objection (疑義) for the offices to answer
                    self.session.flush()
                    self.add(Objection(batch_id=batch.id, item=ReceiptItem.course_record,
                                       reason="物理學分應為 3 學分", created_at=self.at(0, 7, 40)))
        self.session.flush()

    def absences(self) -> None:
        """One teacher away this week (公假): their courses' pending items go to the first proxy."""
        away = self.teachers_by_no[ABSENT_TEACHER]
        self.add(TeacherAbsence(teacher_id=away.id, starts_at=self.at(-2, 0), ends_at=self.at(5, 23, 59),
                                note="公假：全國英語文教學研習", created_at=self.at(-3, 16)))
        self.session.flush()

    def windows(self) -> None:
        """All five kinds around today: open now, one coming soon, one closed; receipts open >= 3 days.

        In term 2 高三 upload closes on 3/31 at the earliest and their 勾選 follows it (seed: 「高三學生上傳
        …各校上傳截止日應於3/31(一)以後」); 高一 and 高二 keep the dates around today.
        """
        everyone, seniors = Audience.whole_school().to_db(), Audience(grades=(3,)).to_db()
        upload = (self.at(-21), self.at(3, 23, 59))
        certify = (self.at(-14), self.at(10, 23, 59))
        pick = (self.at(5), self.at(19, 23, 59))
        rows = [
            (WindowKind.performance_upload, self.term, everyone, self.at(-40), self.at(-2, 23, 59)),
            (WindowKind.performance_upload, self.term, seniors, self.at(-1), self.at(6, 23, 59)),
            (WindowKind.receipt, self.prev, everyone, self.at(-1), self.at(4, 23, 59)),
        ]
        if self.term.semester == 1:
            rows += [(WindowKind.outcome_upload, self.term, everyone, *upload),
                     (WindowKind.certification, self.term, everyone, *certify),
                     (WindowKind.pick, self.term, everyone, *pick)]
        else:
            juniors = Audience(grades=(1, 2)).to_db()
            march_31 = datetime.combine(date(self.today.year, 3, 31), time(23, 59), self.tz).astimezone(timezone.utc)
            senior_end = max(upload[1], march_31)
            rows += [(WindowKind.outcome_upload, self.term, juniors, *upload),
                     (WindowKind.certification, self.term, juniors, *certify),
                     (WindowKind.pick, self.term, juniors, *pick),
                     (WindowKind.outcome_upload, self.term, seniors, upload[0], senior_end),
                     (WindowKind.certification, self.term, seniors, certify[0], senior_end + timedelta(days=7)),
                     (WindowKind.pick, self.term, seniors, senior_end + timedelta(days=8, minutes=1),
                      senior_end + timedelta(days=22))]
        for kind, term, audience, start, end in rows:
            self.add(Window(kind=kind, term_id=term.id, audience=audience, starts_at=start, ends_at=end))
        self.session.flush()

    # -- LINE accounts ----------------------------------------------------------
    def bindings(self) -> tuple[DemoPerson, ...]:
        people: list[DemoPerson] = []
        code_holder = self.students_by_class["101"][-1]
        for code, students in self.students_by_class.items():
            for student in students:
                user = demo_user_id(f"student:{student.student_no}")
                detail = f"{code} 班 {student.seat} 號"
                if student is code_holder:
                    people.append(DemoPerson(user, STUDENTS, student.name, detail, PersonKind.student,
                                             student.id, issue_code(self.session, PersonKind.student, student.id)))
                    continue
                if code.startswith("3") and student.seat == STUDENTS_PER_CLASS:
                    continue  # a few seniors never bound: the homeroom teachers see them as unbound
                self.bind(user, PersonKind.student, student.id, days_ago=20 + student.seat)
                people.append(DemoPerson(user, STUDENTS, student.name, detail, PersonKind.student, student.id))
        subject_of = {no: subject for no, _, _, subject, _ in TEACHERS}
        for teacher in self.teachers_by_no.values():
            user = demo_user_id(f"teacher:{teacher.teacher_no}")
            self.bind(user, PersonKind.teacher, teacher.id, days_ago=30)
            group, detail = self.teacher_listing(teacher, subject_of[teacher.teacher_no])
            people.append(DemoPerson(user, group, teacher.name, detail, PersonKind.teacher, teacher.id))
        people.append(DemoPerson(demo_user_id("stranger"), STRANGERS, "陌生訪客", "尚未綁定的 LINE 帳號"))
        self.session.flush()
        order = {g: i for i, g in enumerate(GROUPS)}
        return tuple(sorted(people, key=lambda p: order[p.group]))

    def bind(self, user_id: str, kind: PersonKind, person_id: int, days_ago: int) -> None:
        self.add(LineBinding(line_user_id=user_id, person_kind=kind, person_id=person_id, bound_at=self.at(-days_ago)))

    def teacher_listing(self, teacher: Teacher, subject: str | None) -> tuple[str, str]:
        offices = [DUTY_LABELS[d] for d in sorted(teacher.duty_set - {Duty.subject_teacher})]
        if offices:
            return STAFF, "、".join(offices + ([subject] if subject else []))
        if teacher.homeroom_class_id is not None:
            homeroom = next(c for c in self.classes_by_code.values() if c.id == teacher.homeroom_class_id)
            return HOMEROOM_TEACHERS, f"{homeroom.code} 導師・{subject}"
        return SUBJECT_TEACHERS, subject or ""

    def run(self) -> DemoSchool:
        self.terms()
        self.classes()
        self.teachers()
        self.students()
        courses = self.courses(self.term)
        prev_courses = self.courses(self.prev)
        self.current_outcomes(courses)
        prev_outcomes = self.previous_outcomes(prev_courses)
        performances = self.performances()
        self.picks(performances)
        self.receipts(prev_courses, prev_outcomes, performances)
        self.windows()
        self.absences()
        people = self.bindings()
        return DemoSchool(self.today, self.term.label, self.prev.label, people)


def seed_demo_school(session: Session, today: date, tz: ZoneInfo) -> DemoSchool:
    """Fill an empty, migrated database with the demo school as of ``today`` (local date in ``tz``)."""
    return _Seeder(session, today, tz).run()
