"""Times `import_files` on a generated school: 3,000 students, their teachers, courses and
20,000 outcomes, written as CSV in a temp dir; or, with ``--county``, a county's import in one go:
100,000 students, 300,000 outcomes, 20,000 courses and 66,000 收訖明細 lines.

    python bench/bench_import.py [--students 3000] [--outcomes 20000] [--reset]
    python bench/bench_import.py --county [--reset]

DATABASE_URL picks the database (default: a temp SQLite file); it is migrated first. A
database that already holds students is refused unless --reset (which empties it).
Prints seconds, rows/s and peak memory for a first import, a re-import (no change) and
an import that changes every outcome's status; then, on an emptied database, the first
import once more as a school runs it: ``portfolio-bot import FILE...`` in a fresh process
(interpreter start and imports included).
"""
from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.infra.db import Database  # noqa: E402
from bot.domain.importer import import_files  # noqa: E402
from bot.infra.migrate import upgrade  # noqa: E402
from bot.infra.models import Base, Student  # noqa: E402

PER_CLASS = 40
RECEIPT_ITEMS = ("修課紀錄", "幹部經歷", "多元表現")


def write(path: Path, header: list[str], rows: list[list[object]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def generate(directory: Path, n_students: int, n_outcomes: int, status: str = "待認證", courses_per_class: int = 6,
             terms: tuple = ((114, 1), (114, 2)), receipt_lines: int = 0) -> list[Path]:
    n_classes = max(60, -(-n_students // PER_CLASS))  # 3,000 students: 60 classes of 50, as always
    classes = sorted(f"{i % 3 + 1}{i // 3 + 1:03d}" for i in range(n_classes))
    per_class = -(-n_students // len(classes))
    COURSES_PER_CLASS, TERMS = courses_per_class, terms  # noqa: N806 (as the fixed sizes were named)
    students = [[f"S{i:05d}", f"學生{i}", classes[i // per_class], i % per_class + 1, classes[i // per_class][0]]
                for i in range(n_students)]
    teachers = [[f"T{i:04d}", f"老師{i}", classes[i] if i < len(classes) else "", "任課教師"]
                for i in range(len(classes) * 2 + 30)]
    courses, course_codes = [], [f"C{k}" for k in range(COURSES_PER_CLASS)]
    for year, semester in TERMS:
        for ci, code in enumerate(classes):
            for k, course_code in enumerate(course_codes):
                teacher = (ci + k) % len(teachers)
                courses.append([year, semester, course_code, f"科目{k}", code, f"T{teacher:04d}",
                                f"T{(teacher + 1) % len(teachers):04d}"])
    outcomes = []
    slots = [(s, t, k) for k in range(COURSES_PER_CLASS) for t in range(len(TERMS)) for s in range(n_students)]
    for i, (s, t, k) in enumerate(slots[:n_outcomes]):
        year, semester = TERMS[t]
        picked = "是" if (t == 0 and k < 2 and status == "已認證") else "否"  # only certified items are picked
        outcomes.append([f"O{i:06d}", students[s][0], year, semester, course_codes[k], f"成果{i}", status,
                         "2025-10-01 20:00", "2025-10-03" if status == "已認證" else "", "", picked])
    receipts = [[students[i // len(RECEIPT_ITEMS)][0], "113-2", RECEIPT_ITEMS[i % len(RECEIPT_ITEMS)], f"項目內容{i}"]
                for i in range(min(receipt_lines, n_students * len(RECEIPT_ITEMS)))]
    more = [write(directory / "receipts.csv", ["學號", "提交批次", "項目", "內容"], receipts)] if receipts else []
    return more + [
        write(directory / "students.csv", ["學號", "姓名", "班級", "座號", "年級"], students),
        write(directory / "teachers.csv", ["教師編號", "姓名", "導師班級", "職務"], teachers),
        write(directory / "courses.csv", ["學年度", "學期", "課程代碼", "科目名稱", "班級", "授課教師", "代理教師"], courses),
        write(directory / "outcomes.csv", ["成果編號", "學號", "學年度", "學期", "課程代碼", "成果名稱", "狀態",
                                           "送出時間", "認證時間", "認證說明", "勾選"], outcomes),
    ]


def empty(db: Database) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f'DELETE FROM "{table}"'))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def timed(label: str, db: Database, files: list[Path], rows: int) -> None:
    started = time.perf_counter()
    report = import_files(db, files, ZoneInfo("Asia/Taipei"))
    seconds = time.perf_counter() - started
    if not report.ok:
        raise SystemExit("import failed:\n" + "\n".join(map(str, report.errors[:20])))
    counts = {k: (c.inserted, c.updated, c.unchanged) for k, c in report.counts.items()}
    print(f"{label:<22} {rows:>7} rows  {seconds:7.2f} s  {rows / seconds:9.0f} rows/s  "
          f"peak RSS {peak_mb():6.0f} MB  (inserted, updated, unchanged) {counts}")


def timed_cli(db: Database, url: str, files: list[Path], rows: int) -> None:
    """The same first import through the console script, in its own process."""
    empty(db)
    exe = shutil.which("portfolio-bot", path=str(Path(sys.executable).parent)) or "portfolio-bot"
    started = time.perf_counter()
    done = subprocess.run([exe, "import", *map(str, files)], env=dict(os.environ, DATABASE_URL=url),
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"portfolio-bot import failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    print(f"{'CLI first import':<22} {rows:>7} rows  {seconds:7.2f} s  {rows / seconds:9.0f} rows/s  "
          f"(portfolio-bot import, a fresh process)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=3000)
    parser.add_argument("--outcomes", type=int, default=20000)
    parser.add_argument("--reset", action="store_true", help="empty the database first")
    parser.add_argument("--county", action="store_true",
                        help="100,000 students, 300,000 outcomes, 20,000 courses, 66,000 收訖明細 lines; first import only")
    args = parser.parse_args()
    shape = {}
    if args.county:
        args.students, args.outcomes = 100_000, 300_000
        shape = {"courses_per_class": 8, "terms": ((114, 1),), "receipt_lines": 66_000}

    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("DATABASE_URL") or f"sqlite:///{Path(tmp) / 'bench.sqlite3'}"
        upgrade(url)
        db = Database(url)
        if args.reset:
            empty(db)
        with db.session() as session:
            if session.scalar(select(func.count()).select_from(Student)):
                raise SystemExit("the database already holds students; use --reset to empty it first")
        files = generate(Path(tmp), args.students, args.outcomes, **shape)
        per_file = {f.stem: sum(1 for _ in f.open(encoding="utf-8")) - 1 for f in files}
        rows = sum(per_file.values())
        print(f"database: {db.engine.dialect.name}; rows per file: "
              + ", ".join(f"{name} {n:,}" for name, n in per_file.items()))
        timed("first import", db, files, rows)
        if args.county:  # what a county does once: the first import, in this process and through the CLI
            timed_cli(db, url, files, rows)
            db.dispose()
            return
        timed("re-import (no change)", db, files, rows)
        changed = generate(Path(tmp), args.students, args.outcomes, status="已認證")
        timed("status change", db, changed, rows)
        timed_cli(db, url, files, rows)
        db.dispose()


if __name__ == "__main__":
    main()
