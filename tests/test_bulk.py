"""The importer's bulk writes (bot/domain/importer/bulk.py): on PostgreSQL a chunk is one INSERT from a
JSON document (``json_to_recordset``), and what it stores is what SQLAlchemy's ``insert(model)`` stores:
enums, aware UTC datetimes, booleans, NULLs and Python-side defaults."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from bot.domain.importer.bulk import CHUNK, _recordset, insert_all, insert_returning_ids
from bot.infra.models.base import UTCDateTime
from bot.infra.models import Course, Outcome, OutcomeEvent, Term
from bot.infra.vocab import OutcomeStatus
from tests.factories import school_class, student, teacher
from tests.helpers import counting

AT = datetime(2026, 11, 28, 6, 30, 15, 123456, tzinfo=timezone.utc)
COLUMNS = ("outcome_no", "student_id", "course_id", "title", "status", "submitted_at", "certified_at", "reason",
           "picked", "status_changed_at")


def rows_for(prefix: str, student_id: int, course_id: int, n: int) -> list[dict]:
    statuses = list(OutcomeStatus)
    return [{"outcome_no": f"{prefix}{i}", "student_id": student_id, "course_id": course_id,
             "title": f'成果 "{i}" \\ 第{i}件 😀', "status": statuses[i % len(statuses)],
             "submitted_at": None if i % 3 == 0 else AT - timedelta(days=i),
             "certified_at": AT.astimezone(timezone(timedelta(hours=8))) if i % 2 else None,  # stored as UTC
             "reason": None if i % 4 else "檔案無法開啟，請改存 PDF",
             "picked": None if i % 5 == 0 else i % 2 == 0}  # None: its default (False), as the ORM's insert does
            for i in range(n)]  # status_changed_at: left out, its default


def test_a_chunk_is_one_statement_and_stores_what_insert_stores(db):
    with db.session() as s:
        term = Term(year=115, semester=1)
        s.add(term)
        s.flush()
        kid = student(s, school_class(s, "101"))
        course = Course(term_id=term.id, code="C1", subject="數學", class_id=kid.class_id, teacher_id=teacher(s).id)
        s.add(course)
        s.flush()
        kid_id, course_id = kid.id, course.id
    n = CHUNK + 5  # two chunks
    with db.session() as s, counting(db) as seen:
        ids = insert_returning_ids(s, Outcome, rows_for("A", kid_id, course_id, n), ("outcome_no",))
        insert_all(s, OutcomeEvent, [{"outcome_id": i, "status": OutcomeStatus.pending, "happened_at": AT,
                                      "reason": None, "recorded_at": AT} for i in ids])
    inserts = [sql for sql in seen if sql.lstrip().upper().startswith("INSERT")]
    if not db.is_sqlite:  # (SQLite: SQLAlchemy's insert, a statement per pattern of NULLs)
        assert len(inserts) == 4 and all("json_to_recordset" in sql for sql in inserts)  # two chunks of each
    with db.session() as s:  # the same rows through SQLAlchemy's own insert, for comparison
        from sqlalchemy import insert
        s.execute(insert(Outcome), rows_for("B", kid_id, course_id, n))
    with db.session() as s:
        stored = {o.outcome_no: o for o in s.scalars(select(Outcome))}
        assert [stored[f"A{i}"].id for i in range(n)] == ids  # the ids in the rows' order
        for i in range(n):
            a, b = stored[f"A{i}"], stored[f"B{i}"]
            assert [getattr(a, c) for c in COLUMNS[1:-1]] == [getattr(b, c) for c in COLUMNS[1:-1]], i
            # status_changed_at: its default, the moment each was written
            assert abs(a.status_changed_at - b.status_changed_at) < timedelta(minutes=1)
        sample = stored["A1"]
        assert sample.status is OutcomeStatus(sample.status) and sample.picked is False
        assert stored["A5"].picked is False and stored["A2"].picked is True
        assert sample.certified_at == AT and sample.certified_at.tzinfo is not None
        assert sample.title == '成果 "1" \\ 第1件 😀'
        assert s.scalar(select(OutcomeEvent).where(OutcomeEvent.outcome_id == ids[-1])).happened_at == AT


def test_a_table_whose_default_is_sql_is_written_by_sqlalchemys_insert(db):
    """A default SQLAlchemy renders as SQL (here ``func.now()``) cannot be told in the JSON document: such a
    table takes ``insert(model)``."""
    class Scratch(DeclarativeBase):
        pass

    class Stamped(Scratch):
        __tablename__ = "stamped"
        id: Mapped[int] = mapped_column(primary_key=True)
        at: Mapped[datetime] = mapped_column(UTCDateTime, default=func.now())

    class Plain(Scratch):
        __tablename__ = "plain"
        id: Mapped[int] = mapped_column(primary_key=True)
        at: Mapped[datetime] = mapped_column(UTCDateTime, default=lambda: AT)

    with db.session() as s:
        assert _recordset(s, Stamped, [{"id": 1}]) is None
        assert (_recordset(s, Plain, [{"id": 1}]) is None) is db.is_sqlite  # PostgreSQL: the JSON path
