"""開課資料: courses upserted by 學年度+學期+課程代碼+班級; terms created as needed;
授課教師 and 代理教師 (in proxy order) must be known teachers; proxies replaced on upsert."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from bot.domain.importer.bulk import delete_where_in, insert_all, insert_returning_ids, update_by_id
from bot.domain.importer.checks import Record, drop_duplicates
from bot.domain.importer.context import ImportContext
from bot.domain.importer.fields import Fields
from bot.domain.importer.readers import Table
from bot.domain.importer.report import FileReport
from bot.domain.importer.spec import KindSpec
from bot.infra.models import Course, CourseProxy


@dataclass(frozen=True)
class CourseRow:
    year: int
    semester: int
    code: str
    subject: str
    class_id: int
    teacher_id: int
    proxy_ids: tuple[int, ...]


def _parse(table: Table, ctx: ImportContext) -> list[Record[CourseRow]]:
    classes, teachers = ctx.classes(), ctx.teachers()
    records: list[Record[CourseRow]] = []
    for row in table.consume():
        f = Fields(row, ctx.tz)
        year, semester = f.year(), f.semester()
        code = f.text("課程代碼", max_len=64)
        subject = f.text("科目名稱", max_len=64)
        class_code = f.text("班級")
        if class_code is not None and class_code not in classes:
            f.fail(f"班級「{class_code}」不是已知的班級（請先匯入學生名冊）")
        teacher_no = f.text("授課教師")
        if teacher_no is not None and teacher_no not in teachers:
            f.fail(f"授課教師「{teacher_no}」不是已知的教師編號（請先匯入教師名冊）")
        proxies = f.items("代理教師")
        for no in proxies:
            if no not in teachers:
                f.fail(f"代理教師「{no}」不是已知的教師編號")
        if len(set(proxies)) != len(proxies):
            f.fail("代理教師有重複")
        if teacher_no is not None and teacher_no in proxies:
            f.fail("授課教師不能同時是代理教師")
        if not ctx.reject(table, f):
            data = CourseRow(year, semester, code, subject, classes[class_code].id, teachers[teacher_no],
                             tuple(teachers[no] for no in proxies))
            records.append(Record(row.number, (year, semester, code, class_code), data))
    return drop_duplicates(
        ctx, table, records, lambda k: f"{k[0]}-{k[1]} 課程代碼 {k[2]} 班級 {k[3]} ")


def run(table: Table, ctx: ImportContext, report: FileReport) -> None:
    records = _parse(table, ctx)
    session = ctx.session
    term_ids = {(r.data.year, r.data.semester): ctx.term_id(r.data.year, r.data.semester) for r in records}
    wanted_terms = sorted(set(term_ids.values()))
    existing = {(t, code, c): (id_, subject, teacher) for id_, t, code, c, subject, teacher in session.execute(
        select(Course.id, Course.term_id, Course.code, Course.class_id, Course.subject, Course.teacher_id)
        .where(Course.term_id.in_(wanted_terms)))} if wanted_terms else {}
    proxies: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if wanted_terms:
        for course_id, position, teacher_id in session.execute(
                select(CourseProxy.course_id, CourseProxy.position, CourseProxy.teacher_id)
                .join(Course, Course.id == CourseProxy.course_id).where(Course.term_id.in_(wanted_terms))):
            proxies[course_id].append((position, teacher_id))
    old_proxies = {cid: tuple(t for _, t in sorted(ps)) for cid, ps in proxies.items()}

    new: list[tuple[int, CourseRow]] = []
    updates: list[dict] = []
    proxy_changed: dict[int, tuple[int, ...]] = {}
    for record in records:
        c = record.data
        term_id = term_ids[(c.year, c.semester)]
        old = existing.get((term_id, c.code, c.class_id))
        if old is None:
            new.append((term_id, c))
            continue
        id_, subject, teacher_id = old
        changed = False
        if (subject, teacher_id) != (c.subject, c.teacher_id):
            updates.append({"id": id_, "subject": c.subject, "teacher_id": c.teacher_id})
            changed = True
        if old_proxies.get(id_, ()) != c.proxy_ids:
            proxy_changed[id_] = c.proxy_ids
            changed = True
        report.counts.updated += changed
        report.counts.unchanged += not changed

    ids = insert_returning_ids(session, Course, [
        {"term_id": t, "code": c.code, "subject": c.subject, "class_id": c.class_id, "teacher_id": c.teacher_id}
        for t, c in new], ("term_id", "code", "class_id"))
    update_by_id(session, Course, updates)
    delete_where_in(session, CourseProxy.course_id, list(proxy_changed))
    proxy_sets = [(id_, c.proxy_ids) for (_, c), id_ in zip(new, ids)] + list(proxy_changed.items())
    insert_all(session, CourseProxy, [
        {"course_id": cid, "position": pos, "teacher_id": tid}
        for cid, tids in proxy_sets for pos, tid in enumerate(tids, start=1)])
    report.counts.inserted += len(new)


SPEC = KindSpec("courses", "開課資料", ("學年度", "學期", "課程代碼", "科目名稱", "班級", "授課教師", "代理教師"), run)
