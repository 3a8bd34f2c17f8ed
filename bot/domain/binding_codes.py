"""One-time binding codes for people not yet bound, as rows of the CSV handed out (with the LINE link
that carries each code). Issuing a code for a person makes their earlier unused codes stop working."""
from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.domain.binding import issue_code
from bot.infra.cells import as_text
from bot.infra.models import LineBinding, SchoolClass, Student, Teacher
from bot.infra.vocab import PersonKind

HEADER = ["身分", "編號", "姓名", "班級", "座號", "綁定碼", "綁定連結"]
KIND_LABELS = {PersonKind.student: "學生", PersonKind.teacher: "教師"}


@dataclass(frozen=True)
class CodeRow:
    kind: PersonKind
    number: str
    name: str
    class_code: str
    seat: int | None
    code: str
    link: str

    def sort_key(self) -> tuple:
        # By class (no class last); in a class the 導師 first, then students by seat.
        return (self.class_code == "", self.class_code, self.seat or 0, self.number)

    def cells(self) -> list[str]:
        return [KIND_LABELS[self.kind], self.number, self.name, self.class_code,
                "" if self.seat is None else str(self.seat), self.code, self.link]


def basic_id_of(services) -> tuple[str | None, str]:
    """The bot's basic id (GET /v2/bot/info), or None and why not (zh-TW)."""
    if not services.settings.channel_access_token:
        return None, "未設定 LINE_CHANNEL_ACCESS_TOKEN，無法讀取官方帳號 ID"
    basic_id = services.sender.bot_basic_id()
    if not basic_id:
        return None, f"無法從 {services.settings.line_api_base} 讀取官方帳號 ID（GET /v2/bot/info 失敗）"
    return basic_id, ""


def line_link(basic_id: str | None, code: str) -> str:
    """The LINE URL that opens the chat with the bot, ``綁定 <code>`` typed in; empty without a basic id."""
    if not basic_id:
        return ""
    return f"https://line.me/R/oaMessage/{basic_id}/?" + quote("綁定 " + code)


def _bound_ids(session: Session, kind: PersonKind) -> set[int]:
    return set(session.scalars(select(LineBinding.person_id).where(
        LineBinding.person_kind == kind, LineBinding.unbound_at.is_(None))))


def unbound_people(session: Session, role: str | None, klass: SchoolClass | None) -> list[Student | Teacher]:
    """Enrolled students and teachers (of ``role``, in ``klass``: students of it, its 導師) with no binding."""
    people: list[Student | Teacher] = []
    if role in (None, PersonKind.student.value):
        query = select(Student).where(Student.enrolled)
        if klass is not None:
            query = query.where(Student.class_id == klass.id)
        bound = _bound_ids(session, PersonKind.student)
        people += [s for s in session.scalars(query) if s.id not in bound]
    if role in (None, PersonKind.teacher.value):
        query = select(Teacher)
        if klass is not None:
            query = query.where(Teacher.homeroom_class_id == klass.id)
        bound = _bound_ids(session, PersonKind.teacher)
        people += [t for t in session.scalars(query) if t.id not in bound]
    return people


def issue_rows(session: Session, people: list[Student | Teacher], basic_id: str | None) -> list[CodeRow]:
    """A fresh code for each person (in the session's transaction), as CSV rows sorted by class and seat."""
    rows: list[CodeRow] = []
    for person in people:
        if isinstance(person, Student):
            code = issue_code(session, PersonKind.student, person.id)
            rows.append(CodeRow(PersonKind.student, person.student_no, person.name, person.school_class.code,
                                person.seat, code, line_link(basic_id, code)))
        else:
            code = issue_code(session, PersonKind.teacher, person.id)
            homeroom = person.homeroom_class.code if person.homeroom_class else ""
            rows.append(CodeRow(PersonKind.teacher, person.teacher_no, person.name, homeroom, None, code,
                                line_link(basic_id, code)))
    return sorted(rows, key=CodeRow.sort_key)


def write_csv_atomically(path: Path, rows: list[CodeRow]) -> Path:
    """Write to a temporary file beside ``path``; the caller moves it into place. Returns the temporary path."""
    fd, tmp = tempfile.mkstemp(prefix=".codes-", suffix=".csv", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows([as_text(cell) for cell in row.cells()] for row in rows)  # text, never a formula
    return Path(tmp)
