"""`portfolio-bot codes`: the CSV of one-time codes and LINE links, and what the console may show."""
from __future__ import annotations

import csv
import os
import re
import socket
from pathlib import Path
from urllib.parse import quote, unquote

import pytest
from click.testing import CliRunner

from bot.cli import main
from bot.domain.binding_codes import HEADER
from bot.infra.vocab import Duty
from tests import factories as f
from tests.helpers import TOKEN, texts_of

LINK = re.compile(r"^https://line\.me/R/oaMessage/(?P<basic>[^/]+)/\?(?P<text>.+)$")


@pytest.fixture
def env(migrated, line_api_server) -> dict[str, str]:
    _, url = line_api_server
    return {"DATABASE_URL": migrated, "LINE_API_BASE": url, "LINE_CHANNEL_ACCESS_TOKEN": TOKEN,
            "REDIS_URL": os.environ.get("REDIS_URL", "")}


@pytest.fixture
def school(db):
    """101: seats 3, 1, 2 (+ one bound, one who left) and its 導師; 102: seat 1; a teacher with no class."""
    with db.session() as s:
        c101, c102 = f.school_class(s, "101"), f.school_class(s, "102")
        f.student(s, c101, seat=3, name="丙", student_no="1010003")
        f.student(s, c101, seat=1, name="甲", student_no="1010001")
        f.student(s, c101, seat=2, name="乙", student_no="1010002")
        f.bind(s, f.student(s, c101, seat=4, name="已綁定", student_no="1010004"), f.line_user_id("bound"))
        f.student(s, c101, seat=5, name="轉出", student_no="1010005", enrolled=False)
        f.student(s, c102, seat=1, name="丁", student_no="1020001")
        f.teacher(s, name="林導師", teacher_no="T001", homeroom=c101)
        f.teacher(s, name="註冊組長", teacher_no="T002", duties=[Duty.registry])
        f.bind(s, f.teacher(s, name="已綁定老師", teacher_no="T003"), f.line_user_id("bound-t"))


def run(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, ["codes", *args], env=env, catch_exceptions=False)


def read_csv(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "UTF-8 with BOM, for Excel"
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


def test_codes_for_everyone_not_bound_sorted_by_class_and_seat(env, school, tmp_path):
    out = tmp_path / "codes.csv"
    result = run(env, "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert rows[0] == HEADER
    people = [(r[0], r[1], r[2], r[3], r[4]) for r in rows[1:]]
    assert people == [
        ("教師", "T001", "林導師", "101", ""),
        ("學生", "1010001", "甲", "101", "1"),
        ("學生", "1010002", "乙", "101", "2"),
        ("學生", "1010003", "丙", "101", "3"),
        ("學生", "1020001", "丁", "102", "1"),
        ("教師", "T002", "註冊組長", "", ""),
    ]
    codes = [r[5] for r in rows[1:]]
    assert all(re.fullmatch(r"[A-Z2-9]{8}", c) for c in codes) and len(set(codes)) == len(codes)
    for row in rows[1:]:
        match = LINK.match(row[6])
        assert match and match["basic"] == "@demo-bot", row[6]
        assert row[6] == f"https://line.me/R/oaMessage/@demo-bot/?{quote('綁定 ' + row[5])}"
        assert unquote(match["text"]) == "綁定 " + row[5]
    # Counts and the path only: no code on the console.
    assert "6 組" in result.output and str(out) in result.output
    assert not any(code in result.output for code in codes)


def test_the_link_text_binds_and_rerunning_invalidates_the_old_code(env, school, tmp_path, chat, db):
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    assert run(env, "--role", "student", "--class", "101", "--out", str(first)).exit_code == 0
    old = {r[1]: r for r in read_csv(first)[1:]}
    assert sorted(old) == ["1010001", "1010002", "1010003"]
    assert run(env, "--role", "student", "--class", "101", "--out", str(second)).exit_code == 0
    new = {r[1]: r for r in read_csv(second)[1:]}
    assert old["1010001"][5] != new["1010001"][5]

    user = chat(f.line_user_id("jia"))
    assert "不正確" in texts_of(user.say("綁定 " + old["1010001"][5]))
    typed = unquote(LINK.match(new["1010001"][6])["text"])  # what the link puts in the chat box
    answer = texts_of(user.say(typed))
    assert "綁定成功" in answer and "甲" in answer and "101 班 1 號學生" in answer
    # Once bound, the person is left out of the next run.
    third = tmp_path / "third.csv"
    result = run(env, "--role", "student", "--class", "101", "--out", str(third))
    assert [r[1] for r in read_csv(third)[1:]] == ["1010002", "1010003"]
    assert "2 組" in result.output


def test_teachers_only(env, school, tmp_path):
    out = tmp_path / "t.csv"
    assert run(env, "--role", "teacher", "--out", str(out)).exit_code == 0
    assert [(r[0], r[1], r[3], r[4]) for r in read_csv(out)[1:]] == [("教師", "T001", "101", ""), ("教師", "T002", "", "")]


def test_unknown_class_is_a_clear_error_and_writes_nothing(env, school, tmp_path):
    out = tmp_path / "none.csv"
    result = CliRunner().invoke(main, ["codes", "--class", "999", "--out", str(out)], env=env)
    assert result.exit_code == 2  # a bad argument, as an unknown 疑義 number is
    assert "找不到班級 999" in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_missing_output_folder_is_a_clear_error(env, school, tmp_path):
    result = CliRunner().invoke(main, ["codes", "--out", str(tmp_path / "no" / "x.csv")], env=env)
    assert result.exit_code == 2 and "輸出資料夾不存在" in result.output


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_without_the_basic_id_the_link_is_empty_and_stderr_says_why(env, school, tmp_path):
    out = tmp_path / "codes.csv"
    result = run({**env, "LINE_API_BASE": closed_port_url()}, "--role", "student", "--out", str(out))
    assert result.exit_code == 0
    rows = read_csv(out)[1:]
    assert len(rows) == 4 and all(r[5] and r[6] == "" for r in rows)
    assert "綁定連結" in result.stderr and "/v2/bot/info" in result.stderr
    assert not any(r[5] in result.output for r in rows)

    no_token = {**env, "LINE_CHANNEL_ACCESS_TOKEN": ""}
    result = run(no_token, "--role", "student", "--out", str(out))
    assert "LINE_CHANNEL_ACCESS_TOKEN" in result.stderr
    assert all(r[6] == "" for r in read_csv(out)[1:])


def test_a_class_run_leaves_its_homeroom_teachers_code_working(env, school, tmp_path, chat):
    """`--class 101` is the class's students: the 導師's code, handed out earlier, still binds."""
    teacher_csv, class_csv = tmp_path / "teacher.csv", tmp_path / "class.csv"
    assert run(env, "--role", "teacher", "--class", "101", "--out", str(teacher_csv)).exit_code == 0
    (teacher,) = read_csv(teacher_csv)[1:]
    assert teacher[:4] == ["教師", "T001", "林導師", "101"]
    result = run(env, "--class", "101", "--out", str(class_csv))
    assert result.exit_code == 0, result.output
    assert [(r[0], r[1]) for r in read_csv(class_csv)[1:]] == [("學生", "1010001"), ("學生", "1010002"),
                                                               ("學生", "1010003")]
    assert "已產生 3 組綁定碼（學生 3、教師 0）" in result.output
    assert "只產生 101 班學生的綁定碼；導師先前拿到的綁定碼仍然有效（要重新產生導師的，請加 --role teacher）。" in result.output
    answer = texts_of(chat(f.line_user_id("lin")).say("綁定 " + teacher[5]))
    assert "綁定成功" in answer and "林導師" in answer


def active_code_hash(db, teacher_no: str) -> str | None:
    """The hash of the teacher's one unused code, if any."""
    from sqlalchemy import select

    from bot.infra.models import BindingCode, Teacher
    from bot.infra.vocab import PersonKind

    with db.session() as s:
        teacher_id = s.scalar(select(Teacher.id).where(Teacher.teacher_no == teacher_no))
        return s.scalar(select(BindingCode.code_hash).where(
            BindingCode.person_kind == PersonKind.teacher, BindingCode.person_id == teacher_id,
            BindingCode.used_at.is_(None)))


def test_role_teacher_with_a_class_reissues_the_homeroom_teachers_code(env, school, tmp_path, chat, db):
    from bot.domain.binding import hash_code

    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    assert run(env, "--role", "teacher", "--class", "101", "--out", str(first)).exit_code == 0
    (old,) = read_csv(first)[1:]
    assert run(env, "--class", "101", "--out", str(tmp_path / "students.csv")).exit_code == 0
    assert active_code_hash(db, "T001") == hash_code(old[5])  # still the one handed out
    assert run(env, "--role", "teacher", "--class", "101", "--out", str(second)).exit_code == 0
    (new,) = read_csv(second)[1:]
    assert new[1] == "T001" and new[5] != old[5] and active_code_hash(db, "T001") == hash_code(new[5])
    lin = chat(f.line_user_id("lin"))
    assert "不正確" in texts_of(lin.say("綁定 " + old[5]))
    assert "綁定成功" in texts_of(lin.say("綁定 " + new[5]))
