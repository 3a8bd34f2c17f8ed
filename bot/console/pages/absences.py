"""教師請假: mark a teacher away for dates with a note, see who covers which course, end an absence.
The same functions as `portfolio-bot teacher unavailable / absences / available`."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from bot.console.blueprint import bp, now, record, services
from bot.domain.absences import (AbsenceError, add_absence, clear_absences, find_teacher, handovers,
                                 list_absences, parse_local)
from bot.domain.queries.terms import current_term
from bot.infra.models import Course, Teacher


@bp.get("/absences")
def absences():
    moment = now()
    with services().db.session() as s:
        rows = list_absences(s, moment)
        term = current_term(s, moment, services().settings.tz)
        this_term = f"{term.label} " if term else ""
        covers = {r.id: [h for h in handovers(s, find_teacher(s, r.teacher_no).id, max(r.starts_at, moment))
                         if h.course.startswith(this_term)] for r in rows}  # this term's courses
        teachers = s.execute(select(Teacher.teacher_no, Teacher.name)
                             .where(Teacher.id.in_(select(Course.teacher_id))).order_by(Teacher.teacher_no)).all()
    return render_template("console/absences.html", rows=rows, covers=covers, teachers=teachers)


@bp.post("/absences")
def absence_add():
    form, tz = request.form, services().settings.tz
    try:
        with services().db.session() as s:
            starts = parse_local(form.get("from", ""), tz)
            ends = parse_local(form.get("to", ""), tz, end_of_day=True)
            absence, covered = add_absence(s, form.get("teacher", ""), starts, ends, (form.get("note") or "").strip())
            teacher = s.get(Teacher, absence.teacher_id)
            record(s, "absence", f"{teacher.name}（{teacher.teacher_no}）{form.get('from')}～{form.get('to')}"
                   + (f"：{absence.note}" if absence.note else ""))
    except AbsenceError as exc:
        flash(f"沒有登記：{exc}", "error")
        return redirect(url_for("console.absences"))
    lines = [f"{h.course} → {h.proxy or '沒有可代理的教師'}" for h in covered]
    flash("已登記請假。" + ("代理：" + "；".join(lines) if lines else "這位老師目前沒有任何課程。"), "ok")
    return redirect(url_for("console.absences"))


@bp.post("/absences/<int:absence_id>/end")
def absence_end(absence_id: int):
    moment = now()
    try:
        with services().db.session() as s:
            teacher_no = request.form.get("teacher", "")
            clear_absences(s, teacher_no, moment, absence_id)
            record(s, "absence_end", f"教師 {teacher_no} 的請假 #{absence_id}")
    except AbsenceError as exc:
        flash(f"沒有變更：{exc}", "error")
        return redirect(url_for("console.absences"))
    flash("已結束請假，待認證的提醒回到任課老師。", "ok")
    return redirect(url_for("console.absences"))
