"""The filled-in example school (templates/examples/) follows the rules it teaches: dated in the school
year the README names, 高三's second-term upload open to 3/31 with their 勾選 after it, and 高一 students
with no records from before they enrolled."""
from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import select

from bot.domain.audience import Audience
from bot.domain.importer import import_files
from bot.infra.models import Course, Outcome, ReceiptBatch, SchoolClass, Student, Term, Window
from bot.infra.vocab import WindowKind

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "templates" / "examples").glob("*.csv"))
TZ = ZoneInfo("Asia/Taipei")
YEAR = 115  # the README: 「dated for the 115 school year」


def test_the_readme_names_the_examples_school_year() -> None:
    assert f"dated for the {YEAR} school year" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_examples_follow_the_schedule_rules(db) -> None:
    assert import_files(db, EXAMPLES, TZ, now=datetime(2026, 10, 1, tzinfo=TZ)).ok
    with db.session() as s:
        windows = [(w.kind, Audience.from_db(w.audience), t.year, t.semester, w.starts_at.astimezone(TZ),
                    w.ends_at.astimezone(TZ)) for w, t in s.execute(select(Window, Term).join(Term))]
        # every window runs inside the school year (Aug 1 to Jul 31)
        assert all(date(YEAR + 1911, 8, 1) <= start.date() and end.date() <= date(YEAR + 1912, 7, 31)
                   for *_, start, end in windows)
        # Seed: 「高三學生上傳113學年度第2學期課程學習成果…各校上傳截止日應於3/31(一)以後」, and 勾選 follows it.
        upload = [end for kind, who, _, sem, _, end in windows
                  if kind == WindowKind.outcome_upload and sem == 2 and who.includes(3, "301")]
        picks = [start for kind, who, *_, start, _ in windows if kind == WindowKind.pick and who.includes(3, "301")]
        assert upload and all(end.date() >= date(YEAR + 1912, 3, 31) for end in upload)
        assert picks and min(picks) > max(upload)
        # 高一 came this school year: nothing of theirs before it
        first_years = select(Student.id).join(SchoolClass).where(SchoolClass.grade == 1)
        batches = s.scalars(select(Term.year).join(ReceiptBatch, ReceiptBatch.term_id == Term.id)
                            .where(ReceiptBatch.student_id.in_(first_years))).all()
        outcomes = s.scalars(select(Term.year).join(Course, Course.term_id == Term.id)
                             .join(Outcome, Outcome.course_id == Course.id)
                             .where(Outcome.student_id.in_(first_years))).all()
    assert outcomes and all(year >= YEAR for year in outcomes + batches)
